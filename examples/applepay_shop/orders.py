"""The shop's side of the order: a catalogue, carts priced on the server, and the orders'
states. The amount charged is always the order's, computed here: never one the browser sent.

In memory, for the example; a real shop keeps orders in its database.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from paykka_sign.currency import by_alpha, format_minor_units

from .errors import BadRequestError, OrderNotFoundError, OrderNotPayableError

__all__ = ["DEFAULT_CATALOGUE", "Order", "OrderBook", "Product"]

_MAX_QUANTITY = 99
_MAX_LINES = 20


@dataclass(frozen=True)
class Product:
    name: str
    price: int  # minor units of the shop's currency


DEFAULT_CATALOGUE: Mapping[str, Product] = {
    "tea": Product("Green tea, 100 g", 450),
    "mug": Product("Mug", 1200),
}


@dataclass
class Order:
    """``status``: ``open`` (can be paid), ``paying`` (a payment is being sent), ``paid``,
    ``authorized``, ``pending`` (PayKKa is processing, or the outcome is unknown: the webhook
    or a query decides), ``failed`` (declined: the shopper may try again)."""

    order_id: str
    lines: dict[str, int]
    amount: int
    currency: str
    status: str = "open"
    attempts: int = 0
    trans_id: str | None = None
    paykka_order_id: str | None = None
    events: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """What the page may see: no payment data at all."""
        return {
            "order_id": self.order_id,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "trans_id": self.trans_id,
            "events": list(self.events),
        }


class OrderBook:
    """Orders by id, and by the ``trans_id`` each payment attempt was sent with."""

    PAYABLE = frozenset({"open", "failed"})

    def __init__(self, catalogue: Mapping[str, Product], currency: str) -> None:
        self.catalogue = dict(catalogue)
        self.currency = by_alpha(currency)
        self._orders: dict[str, Order] = {}
        self._by_trans_id: dict[str, Order] = {}
        self._lock = threading.Lock()

    def create(self, items: Any) -> Order:
        """An order for ``{"sku": quantity, ...}``, priced from the catalogue."""
        lines = self._lines(items)
        amount = sum(self.catalogue[sku].price * quantity for sku, quantity in lines.items())
        order = Order(secrets.token_hex(8), lines, amount, self.currency.alpha)
        with self._lock:
            self._orders[order.order_id] = order
        return order

    def _lines(self, items: Any) -> dict[str, int]:
        if not isinstance(items, dict) or not 1 <= len(items) <= _MAX_LINES:
            raise BadRequestError(f"items must be an object of 1 to {_MAX_LINES} sku: quantity")
        for sku, quantity in items.items():
            if sku not in self.catalogue:
                raise BadRequestError("an item is not in the catalogue")
            if type(quantity) is not int or not 1 <= quantity <= _MAX_QUANTITY:
                raise BadRequestError(f"quantities must be whole numbers, 1 to {_MAX_QUANTITY}")
        return dict(items)

    def get(self, order_id: Any) -> Order:
        order = self._orders.get(order_id) if isinstance(order_id, str) else None
        if order is None:
            raise OrderNotFoundError("no such order")
        return order

    def start_payment(self, order_id: Any) -> tuple[Order, str, str]:
        """Mark the order ``paying``; the attempt's ``trans_id`` (one per attempt, since
        PayKKa does not document what a second payment with the same one does) and the
        status to go back to if nothing reaches PayKKa."""
        with self._lock:
            order = self.get(order_id)
            if order.status not in self.PAYABLE:
                raise OrderNotPayableError(f"the order is {order.status}")
            previous, order.status = order.status, "paying"
            order.attempts += 1
            trans_id = f"{order.order_id}-{order.attempts}"
            order.trans_id = trans_id
            self._by_trans_id[trans_id] = order
        return order, trans_id, previous

    def finish_payment(self, order: Order, status: str, paykka_order_id: str | None) -> None:
        with self._lock:
            order.status = status
            order.paykka_order_id = paykka_order_id or order.paykka_order_id

    def by_trans_id(self, trans_id: str | None) -> Order | None:
        return self._by_trans_id.get(trans_id) if trans_id else None

    def apple_pay_request(self, order: Order, *, display_name: str, country: str) -> dict[str, Any]:
        """The ``ApplePayPaymentRequest`` for Apple Pay JS: the total is the order's."""
        return {
            "countryCode": country,
            "currencyCode": order.currency,
            "merchantCapabilities": ["supports3DS"],
            "supportedNetworks": ["visa", "masterCard"],
            "total": {
                "label": display_name,
                "amount": format_minor_units(order.amount, self.currency),
            },
        }
