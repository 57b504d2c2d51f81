"""An HTTP client for PayKKa (v1.2, v3) and YabandPay over ``httpx``: signs exactly the bytes
it sends, verifies every answer before returning it, and runs the Apple Pay flows.

Optional: ``pip install 'applepay-toolkit[client]'``. Without ``httpx`` the endpoint table,
the webhook handlers, the answer types and the retry policy still import (they use the
standard library only); the auths and the clients raise
:class:`paykka_sign.errors.MissingDependencyError`, naming the extra.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._extra import httpx_available, missing_httpx
from .answers import ApplePaySession, CheckoutSession, PaykkaAnswer, Transaction, YabandPayAnswer
from .endpoints import ENDPOINTS, Endpoint, endpoint
from .retry import RetryPolicy
from .webhooks import (
    PaykkaEvent,
    PaykkaWebhookHandler,
    WebhookAnswer,
    WebhookResult,
    YabandPayNotification,
    YabandPayNotificationHandler,
)

if TYPE_CHECKING or httpx_available():
    from .auth import PaykkaV3Auth, PaykkaV12Auth
    from .paykka import PaykkaClient
    from .paykka_async import AsyncPaykkaClient
    from .yabandpay import AsyncYabandPayClient, YabandPayClient
else:

    def __getattr__(name: str) -> Any:
        if name in __all__:
            raise missing_httpx()
        raise AttributeError(name)


# A library logs, the application decides where: silent until it configures logging.
logging.getLogger("paykka_sign.client").addHandler(logging.NullHandler())

__all__ = [
    "ENDPOINTS",
    "ApplePaySession",
    "AsyncPaykkaClient",
    "AsyncYabandPayClient",
    "CheckoutSession",
    "Endpoint",
    "PaykkaAnswer",
    "PaykkaClient",
    "PaykkaEvent",
    "PaykkaV3Auth",
    "PaykkaV12Auth",
    "PaykkaWebhookHandler",
    "RetryPolicy",
    "Transaction",
    "WebhookAnswer",
    "WebhookResult",
    "YabandPayAnswer",
    "YabandPayClient",
    "YabandPayNotification",
    "YabandPayNotificationHandler",
    "endpoint",
]
