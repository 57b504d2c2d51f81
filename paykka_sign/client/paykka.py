"""PayKKa's Apple Pay flows as calls, sync and async."""

from __future__ import annotations

__all__ = ["AsyncPaykkaClient", "PaykkaClient"]


class PaykkaClient:
    """send, apple_pay_session, pay_decrypted, pay_token, create_checkout_session,
    query_checkout_session, query_transaction."""


class AsyncPaykkaClient:
    """The same calls as :class:`PaykkaClient`, awaited."""
