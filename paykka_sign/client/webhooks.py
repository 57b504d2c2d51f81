"""PayKKa webhooks and YabandPay notifications: verify, parse into a typed event, and the
answer the PSP expects back.

Framework-neutral: give the headers and the raw body as received. ``handle`` returns the
verified event (or raises the ``paykka_sign`` error) and ``handler.answer`` is what to send
back; ``respond`` does both and never raises: a :class:`WebhookResult` with the event (or
``None`` and the error's code) and the answer to send (the acknowledgement, or
:meth:`WebhookAnswer.refusal`, after which the PSP tries again later).

* PayKKa: ``notify_type`` ``PAYMENT.*`` / ``REFUND.*`` (documented), fields at the top of the
  body (documented for v1.2) or, inferred, under ``data``. Verified by the
  :class:`~paykka_sign.PaykkaV12Verifier` / :class:`~paykka_sign.PaykkaV3Verifier` given,
  bound to your merchant id / app id; for v3 the signed path is your webhook's own path
  (inferred). Answer ``{"ret_code": "000000", "ret_msg": "Success"}`` (documented).
* YabandPay: ``{"sign", "data"}`` verified by :meth:`~paykka_sign.YabandPaySigner.
  verify_notification`; answer the text ``success`` (inferred).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgumentError, MalformedBodyError, MissingFieldError, PaykkaSignError
from ..messages import VerifiedMessage, parse_json_object
from ..paykka_v3 import PaykkaV3Verifier
from ..paykka_v12 import PaykkaV12Verifier
from ..yabandpay import YabandPaySigner
from .endpoints import (
    PAYKKA_RET_INVALID_REQUEST,
    PAYKKA_WEBHOOK_ANSWER,
    PAYKKA_WEBHOOK_EVENTS,
    YABANDPAY_NOTIFICATION_ANSWER,
)

__all__ = [
    "PaykkaEvent",
    "PaykkaWebhookHandler",
    "WebhookAnswer",
    "WebhookResult",
    "YabandPayNotification",
    "YabandPayNotificationHandler",
]

_JSON = "application/json"


@dataclass(frozen=True)
class WebhookAnswer:
    """What to send back: HTTP ``status``, ``content_type``, ``body``."""

    status: int
    content_type: str
    body: bytes

    @staticmethod
    def refusal(error: PaykkaSignError) -> WebhookAnswer:
        """The answer to a message that did not verify: not 200, so that a genuine
        message PayKKa sent is retried rather than lost; the body names the code only."""
        if not isinstance(error, PaykkaSignError):
            raise InvalidArgumentError("error must be a PaykkaSignError")
        body = {"ret_code": PAYKKA_RET_INVALID_REQUEST, "ret_msg": error.code}
        return WebhookAnswer(400, _JSON, json.dumps(body, separators=(",", ":")).encode())


PAYKKA_ACK = WebhookAnswer(
    200, _JSON, json.dumps(PAYKKA_WEBHOOK_ANSWER, separators=(",", ":")).encode()
)
YABANDPAY_ACK = WebhookAnswer(200, "text/plain", YABANDPAY_NOTIFICATION_ANSWER.encode())


@dataclass(frozen=True)
class PaykkaEvent:
    """A verified webhook. ``notify_type`` is one of ``PAYMENT.AUTHORIZATION``,
    ``PAYMENT.SUCCESS``, ``PAYMENT.FAILURE``, ``PAYMENT.CANCELED``, ``REFUND.SUCCESS``,
    ``REFUND.FAILURE``; ``fields`` is the verified object the event's fields came from."""

    notify_type: str
    merchant_id: str | None
    trans_id: str | None
    order_id: str | None
    status: str | None
    amount: int | None
    currency: str | None
    error_code: str | None
    error_description: str | None
    fields: dict[str, Any] = field(repr=False)
    message: VerifiedMessage = field(repr=False, compare=False)

    @property
    def category(self) -> str:
        """``PAYMENT`` or ``REFUND``."""
        return self.notify_type.split(".", 1)[0]


@dataclass(frozen=True)
class WebhookResult:
    """What :meth:`PaykkaWebhookHandler.respond` and
    :meth:`YabandPayNotificationHandler.respond` found: the verified ``event`` (``None``
    when refused, with ``error`` the code) and the ``answer`` to send back."""

    event: PaykkaEvent | YabandPayNotification | None
    answer: WebhookAnswer
    error: str | None = None


def _text(doc: Mapping[str, Any], name: str) -> str | None:
    value = doc.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**19:
        return str(value)
    return value if isinstance(value, str) else None


def _amount(doc: Mapping[str, Any]) -> int | None:
    value = doc.get("amount")
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def paykka_event(message: VerifiedMessage) -> PaykkaEvent:
    """The typed event of a verified webhook body."""
    doc = parse_json_object(message.body, what="webhook")
    fields = doc
    if "notify_type" not in doc and isinstance(doc.get("data"), dict):
        fields = doc["data"]  # inferred: v3 may nest the event under data
    notify_type = fields.get("notify_type")
    if notify_type is None:
        raise MissingFieldError("the webhook has no notify_type")
    if notify_type not in PAYKKA_WEBHOOK_EVENTS:
        raise MalformedBodyError(
            "the webhook's notify_type is not a PAYMENT.* or REFUND.* event this handler knows"
        )
    return PaykkaEvent(
        notify_type=notify_type,
        merchant_id=_text(fields, "merchant_id"),
        trans_id=_text(fields, "trans_id"),
        order_id=_text(fields, "order_id"),
        status=_text(fields, "status"),
        amount=_amount(fields),
        currency=_text(fields, "currency"),
        error_code=_text(fields, "error_code"),
        error_description=_text(fields, "error_description"),
        fields=fields,
        message=message,
    )


class PaykkaWebhookHandler:
    """Verify and parse PayKKa webhooks for one merchant.

    ``verifier`` is bound to your merchant id (v1.2) or app id (v3). For v3, ``path`` is your
    webhook's own path as PayKKa calls it (it is signed) and ``method`` PayKKa's (``POST``).
    Give v1.2 a ``window`` on its verifier (v1.2 documents none); v3 checks 5 minutes and,
    with a nonce store, replays.
    """

    answer = PAYKKA_ACK

    def __init__(
        self,
        verifier: PaykkaV12Verifier | PaykkaV3Verifier,
        *,
        path: str | None = None,
        method: str = "POST",
    ) -> None:
        if isinstance(verifier, PaykkaV3Verifier):
            if not isinstance(path, str) or not path.startswith("/"):
                raise InvalidArgumentError("a v3 webhook needs path= (your webhook's path)")
        elif not isinstance(verifier, PaykkaV12Verifier):
            raise InvalidArgumentError("verifier must be a PaykkaV12Verifier or PaykkaV3Verifier")
        self.verifier = verifier
        self.path = path
        self.method = method

    def handle(self, headers: Mapping[str, str], body: bytes | str) -> PaykkaEvent:
        """The verified event; raises the verifier's error when the webhook is not
        authentic, not for this merchant, stale or replayed."""
        if isinstance(self.verifier, PaykkaV3Verifier):
            assert self.path is not None  # checked in __init__
            message = self.verifier.verify(self.method, self.path, headers, body)
        else:
            message = self.verifier.verify(headers, body)
        return paykka_event(message)

    def respond(self, headers: Mapping[str, str], body: bytes | str) -> WebhookResult:
        """:meth:`handle`, and the answer for PayKKa either way (never raises)."""
        try:
            return WebhookResult(self.handle(headers, body), self.answer)
        except PaykkaSignError as error:
            return WebhookResult(None, WebhookAnswer.refusal(error), error.code)


@dataclass(frozen=True)
class YabandPayNotification:
    """A verified YabandPay notification: ``fields`` as signed (every value as text)."""

    order_id: str | None
    trade_id: str | None
    state: str | None
    amount: str | None
    currency: str | None
    fields: dict[str, str] = field(repr=False)


class YabandPayNotificationHandler:
    """Verify and parse YabandPay notifications with the merchant's secret key."""

    answer = YABANDPAY_ACK

    def __init__(self, signer: YabandPaySigner) -> None:
        if not isinstance(signer, YabandPaySigner):
            raise InvalidArgumentError("signer must be a YabandPaySigner")
        self.signer = signer

    def handle(self, body: bytes | str | Mapping[str, Any]) -> YabandPayNotification:
        fields = self.signer.verify_notification(body)
        return YabandPayNotification(
            order_id=fields.get("order_id"),
            trade_id=fields.get("trade_id"),
            state=fields.get("state"),
            amount=fields.get("amount"),
            currency=fields.get("currency"),
            fields=fields,
        )

    def respond(self, body: bytes | str | Mapping[str, Any]) -> WebhookResult:
        """:meth:`handle`, and the answer for YabandPay either way (never raises)."""
        try:
            return WebhookResult(self.handle(body), self.answer)
        except PaykkaSignError as error:
            return WebhookResult(None, WebhookAnswer.refusal(error), error.code)
