"""YabandPay ``v3.ApplePay`` (Sales, Authorisation) as calls, sync and async."""

from __future__ import annotations

__all__ = ["AsyncYabandPayClient", "YabandPayClient"]


class YabandPayClient:
    """sales, authorisation, applepay(operation=...)."""


class AsyncYabandPayClient:
    """The same calls as :class:`YabandPayClient`, awaited."""
