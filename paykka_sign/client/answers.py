"""What the client returns: PSP answers whose signature verified, typed by call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..messages import VerifiedMessage

__all__ = ["ApplePaySession", "CheckoutSession", "PaykkaAnswer", "Transaction", "YabandPayAnswer"]


@dataclass(frozen=True, repr=False)
class PaykkaAnswer:
    """A PayKKa answer ``{"ret_code", "ret_msg", "data"}`` whose signature verified."""

    status: int
    ret_code: str
    ret_msg: str
    data: Any
    message: VerifiedMessage

    def __repr__(self) -> str:
        return f"PaykkaAnswer(status={self.status}, ret_code={self.ret_code!r})"


@dataclass(frozen=True)
class ApplePaySession:
    """PayKKa's Apple Pay session: ``data`` is the base64 Apple Pay session object."""

    data: str
    answer: PaykkaAnswer = field(compare=False)


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str | None
    session_url: str | None
    trans_id: str | None
    status: str | None
    data: dict[str, Any]
    answer: PaykkaAnswer = field(compare=False)


@dataclass(frozen=True)
class Transaction:
    merchant_id: str | None
    trans_id: str | None
    order_id: str | None
    status: str | None
    amount: int | None
    currency: str | None
    error_code: str | None
    error_description: str | None
    data: dict[str, Any]
    answer: PaykkaAnswer = field(compare=False)


@dataclass(frozen=True, repr=False)
class YabandPayAnswer:
    status_code: int
    code: Any
    message: str
    data: dict[str, Any]
    signed: bool

    def __repr__(self) -> str:
        return f"YabandPayAnswer(code={self.code!r}, signed={self.signed})"
