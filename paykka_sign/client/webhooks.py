"""PayKKa webhooks and YabandPay notifications: verify, parse, and the answer to send back."""

from __future__ import annotations

__all__ = [
    "PaykkaEvent",
    "PaykkaWebhookHandler",
    "WebhookAnswer",
    "YabandPayNotification",
    "YabandPayNotificationHandler",
]


class PaykkaEvent:
    """A verified PAYMENT.* / REFUND.* event."""


class WebhookAnswer:
    """status, content_type, body to answer the PSP with."""


class PaykkaWebhookHandler:
    """handle(headers, body) -> (PaykkaEvent, WebhookAnswer)."""


class YabandPayNotification:
    """A verified YabandPay notification."""


class YabandPayNotificationHandler:
    """handle(body) -> (YabandPayNotification, WebhookAnswer)."""
