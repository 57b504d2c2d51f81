"""Payment authorisation (Apple Pay JS's ``onpaymentauthorized``): the page posts the order id
and ``event.payment``; the shop verifies the token, charges **its own** order's amount through
PayKKa, and answers with what the page shows (never card data).

The libraries do the work: ``applepay_crypto`` verifies (Apple's signature, chain, signing
time) and decrypts; ``paykka_sign.client`` checks the order against the amount and currency
the shopper approved, claims the token in the replay guard, signs, sends, and verifies
PayKKa's signed answer before returning it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from applepay_crypto import (
    ApplePayError,
    DecryptedToken,
    TokenDecryptor,
    TokenVerifier,
    TrustStore,
    parse_token,
)
from paykka_sign import PaykkaSignError
from paykka_sign.client import AsyncPaykkaClient, Transaction

from .config import ShopConfig
from .errors import BadRequestError
from .orders import Order, OrderBook

__all__ = ["Authoriser", "Outcome"]

_log = logging.getLogger("applepay_shop.payments")

#: PayKKa's transaction status -> the order's (PayKKa documents SUCCESS, FAILURE,
#: AUTHORIZED, PROCESSING; anything else waits for the webhook).
_ORDER_STATUS = {"SUCCESS": "paid", "AUTHORIZED": "authorized", "FAILURE": "failed"}
_RESULT = {"paid": "approved", "authorized": "approved", "failed": "declined"}
#: Refusals raised before anything reached PayKKa: the order stays payable.
_BEFORE_SENDING = {"amount_mismatch", "currency_mismatch", "unsupported_token",
                   "invalid_argument", "unknown_currency"}  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What the page gets: ``result`` ``approved`` / ``declined`` / ``pending`` (Apple Pay
    JS: ``STATUS_SUCCESS`` for approved and pending, ``STATUS_FAILURE`` otherwise)."""

    order: Order
    result: str
    paykka_status: str | None
    error_code: str | None

    def public(self) -> dict[str, Any]:
        return {
            "order_id": self.order.order_id,
            "trans_id": self.order.trans_id,
            "result": self.result,
            "paykka_status": self.paykka_status,
            "error_code": self.error_code,  # PayKKa's decline code, if declined
            "amount": self.order.amount,
            "currency": self.order.currency,
        }


class Authoriser:
    def __init__(self, config: ShopConfig, paykka: AsyncPaykkaClient, orders: OrderBook) -> None:
        self.config = config
        self.paykka = paykka
        self.orders = orders
        trust = config.trust if config.trust is not None else TrustStore.apple_root()
        # The replay guard is the client's (claimed last, before sending), not the
        # decryptor's: a token refused for a fixable reason stays usable.
        self.decryptor = (
            TokenDecryptor(list(config.apple_pay_keys), trust=trust, clock=config.clock)
            if config.apple_pay_keys
            else None
        )
        self.verifier = TokenVerifier(trust, clock=config.clock)

    async def authorise(self, request: Any) -> Outcome:
        if not isinstance(request, dict) or "payment" not in request:
            raise BadRequestError('post {"order_id": ..., "payment": event.payment}')
        order, trans_id, previous = self.orders.start_payment(request.get("order_id"))
        try:
            transaction = await self._pay(order, trans_id, request["payment"])
        except (ApplePayError, PaykkaSignError) as error:
            self.orders.finish_payment(order, _status_after(error, previous), None)
            _log.warning("order %s: payment refused (%s)", order.order_id, error.code)
            raise
        except BaseException:
            # Not a refusal the libraries name (a bug, a cancelled request): the payment may
            # have been sent, so the order waits for the webhook or a query.
            self.orders.finish_payment(order, "pending", None)
            raise
        if transaction.trans_id not in (None, trans_id):
            # Authentic, but not the answer to this payment: the webhook or a query decides.
            _log.warning("order %s: PayKKa answered for another trans_id", order.order_id)
            status = "pending"
        else:
            status = _ORDER_STATUS.get(transaction.status or "", "pending")
        self.orders.finish_payment(order, status, transaction.order_id)
        return Outcome(order, _RESULT.get(status, "pending"), transaction.status,
                       transaction.error_code)  # fmt: skip

    async def _pay(self, order: Order, trans_id: str, payment: Any) -> Transaction:
        extra = {"notify_url": self.config.notify_url} if self.config.notify_url else None
        guard = self.config.replay_guard
        decrypted = self._decrypt(payment)
        if self.config.decryption == "merchant":
            assert decrypted is not None  # ShopConfig requires the keys
            return await self.paykka.pay_decrypted(
                decrypted, trans_id=trans_id, amount=order.amount, currency=order.currency,
                extra=extra, replay_guard=guard,
            )  # fmt: skip
        # PayKKa decrypts. With the shop's keys the order is checked against the token too;
        # without them only Apple's signature is (the amount charged is still the order's).
        verified = None if decrypted is not None else self.verifier.verify(parse_token(payment))
        return await self.paykka.pay_token(
            payment, trans_id=trans_id, amount=order.amount, currency=order.currency,
            decrypted=decrypted, verified=verified, extra=extra, replay_guard=guard,
        )  # fmt: skip

    def _decrypt(self, payment: Any) -> DecryptedToken | None:
        return self.decryptor.decrypt(payment) if self.decryptor is not None else None


def _status_after(error: ApplePayError | PaykkaSignError, previous: str) -> str:
    """The order's status after a refusal: payable again when nothing reached PayKKa or
    PayKKa refused; ``pending`` when the payment may have happened (no answer, an answer
    that did not verify): the webhook or ``query_transaction`` decides."""
    if isinstance(error, ApplePayError) or error.code in _BEFORE_SENDING:
        return previous
    if error.code == "network_error" and "nothing was sent" in error.message:
        return previous
    if error.code == "psp_refused":
        return "failed"
    return "pending"
