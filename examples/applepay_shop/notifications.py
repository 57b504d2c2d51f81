"""PayKKa's webhook: verified and parsed by :class:`paykka_sign.client.PaykkaWebhookHandler`
(signature, your app id / merchant id, time window, nonce), then applied to the order the
``trans_id`` names. PayKKa retries notifications, so applying one twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from paykka_sign import InMemoryNonceStore, PaykkaV3Verifier, PaykkaV12Verifier
from paykka_sign.client import PaykkaEvent, PaykkaWebhookHandler, WebhookAnswer

from .config import ShopConfig
from .orders import OrderBook

__all__ = ["Notifications"]

_log = logging.getLogger("applepay_shop.notifications")

#: notify_type -> the order's status (PayKKa documents these types; REFUND.* leave the
#: payment's status and are recorded as events).
_STATUS = {
    "PAYMENT.SUCCESS": "paid",
    "PAYMENT.AUTHORIZATION": "authorized",
    "PAYMENT.FAILURE": "failed",
    "PAYMENT.CANCELED": "failed",
}


class Notifications:
    def __init__(self, config: ShopConfig, orders: OrderBook) -> None:
        verifier: PaykkaV3Verifier | PaykkaV12Verifier
        if config.paykka_api == "v3":
            assert config.paykka_app_id is not None
            verifier = PaykkaV3Verifier(
                config.paykka_platform_key,
                app_id=config.paykka_app_id,
                nonce_store=InMemoryNonceStore(),
                clock=config.clock,
            )
        else:
            verifier = PaykkaV12Verifier(
                config.paykka_platform_key,
                merchant_id=config.paykka_merchant_id,
                window=config.webhook_window,
                clock=config.clock,
            )
        # v3 signs the path PayKKa called: the webhook's own path (inferred by the library).
        self.handler = PaykkaWebhookHandler(verifier, path=config.webhook_path)
        self.orders = orders

    def receive(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        """The answer for PayKKa: its acknowledgement once applied, a 400 refusal (PayKKa
        sends it again later) when the webhook does not verify."""
        result = self.handler.respond(headers, body)
        if isinstance(result.event, PaykkaEvent):
            self._apply(result.event)
        else:
            _log.warning("webhook refused (%s)", result.error)
        return result.answer

    def _apply(self, event: PaykkaEvent) -> None:
        order = self.orders.by_trans_id(event.trans_id)
        if order is None:
            # Authentic but not ours to apply (an old attempt, another system): acknowledge,
            # or PayKKa would retry it forever.
            _log.warning("webhook %s for an unknown trans_id", event.notify_type)
            return
        if order.trans_id != event.trans_id:
            _log.info("webhook %s for an earlier attempt of %s", event.notify_type, order.order_id)
            return
        status = _STATUS.get(event.notify_type)
        self.orders.finish_payment(order, status or order.status, event.order_id)
        if event.notify_type not in order.events:
            order.events.append(event.notify_type)
