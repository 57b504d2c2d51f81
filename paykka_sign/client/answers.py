"""What the client returns: PSP answers whose signature verified, typed by call.

PayKKa's envelope is documented (API reference, "Response code"): ``{"ret_code", "ret_msg",
"data"?}``, ``000000`` meaning success; a business failure (a declined card) is still
``000000``, with ``data.status`` ``FAILURE`` and ``data.error_code``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from ..errors import HttpStatusError, MalformedBodyError, PspRefusedError
from ..messages import VerifiedMessage, parse_json_object
from .endpoints import PAYKKA_RET_SUCCESS

__all__ = ["ApplePaySession", "CheckoutSession", "PaykkaAnswer", "Transaction", "YabandPayAnswer"]


@dataclass(frozen=True, repr=False)
class PaykkaAnswer:
    """A PayKKa answer whose signature verified, ``ret_code`` ``000000``."""

    status: int
    ret_code: str
    ret_msg: str
    data: Any
    message: VerifiedMessage = field(compare=False)

    def __repr__(self) -> str:
        return f"PaykkaAnswer(status={self.status}, ret_code={self.ret_code!r})"


@dataclass(frozen=True)
class ApplePaySession:
    """PayKKa's Apple Pay session: ``data`` is the base64 Apple Pay session object."""

    data: str
    answer: PaykkaAnswer = field(compare=False, repr=False)

    def merchant_session(self) -> dict[str, Any]:
        """The decoded session object, for Apple Pay JS's ``completeMerchantValidation``."""
        if not isinstance(self.data, str):
            raise MalformedBodyError("the Apple Pay session data is not text")
        try:
            raw = base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedBodyError("the Apple Pay session data is not base64") from None
        return parse_json_object(raw, what="Apple Pay session object")


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted or embedded checkout: redirect to ``session_url`` (HOSTED), or load the
    embedded checkout with ``session_id`` (EMBEDDED)."""

    session_id: str | None
    session_url: str | None
    trans_id: str | None
    status: str | None
    data: dict[str, Any] = field(repr=False)
    answer: PaykkaAnswer = field(compare=False, repr=False)


@dataclass(frozen=True)
class Transaction:
    """A transaction's state; ``status`` is PayKKa's (``SUCCESS``, ``FAILURE``,
    ``AUTHORIZED``, ``PROCESSING``...), ``error_code`` its business error when it failed."""

    merchant_id: str | None
    trans_id: str | None
    order_id: str | None
    status: str | None
    amount: int | None
    currency: str | None
    error_code: str | None
    error_description: str | None
    data: dict[str, Any] = field(repr=False)
    answer: PaykkaAnswer = field(compare=False, repr=False)


@dataclass(frozen=True, repr=False)
class YabandPayAnswer:
    """A YabandPay answer with ``status: true``; ``data`` as signed when ``signed``."""

    http_status: int
    code: Any
    message: str
    data: dict[str, Any]
    signed: bool

    def __repr__(self) -> str:
        return f"YabandPayAnswer(code={self.code!r}, signed={self.signed})"


def paykka_answer(status: int, message: VerifiedMessage) -> PaykkaAnswer:
    """The verified body as PayKKa's envelope; a ``ret_code`` other than ``000000`` raises
    :class:`PspRefusedError` with PayKKa's code and message."""
    doc = parse_json_object(message.body, what="PayKKa answer")
    ret_code, ret_msg = doc.get("ret_code"), doc.get("ret_msg", "")
    if not isinstance(ret_code, str) or not ret_code:
        raise MalformedBodyError("the PayKKa answer has no ret_code")
    if not isinstance(ret_msg, str):
        raise MalformedBodyError("the PayKKa answer's ret_msg is not text")
    if ret_code != PAYKKA_RET_SUCCESS:
        raise PspRefusedError(
            f"PayKKa refused the request (HTTP {status}): ret_code {psp_text(ret_code)}, "
            f"ret_msg {psp_text(ret_msg)}",
            psp_code=ret_code,
            psp_message=ret_msg,
            status=status,
        )
    if not 200 <= status < 300:
        raise HttpStatusError(f"PayKKa answered HTTP {status} with ret_code 000000", status=status)
    return PaykkaAnswer(status, ret_code, ret_msg, doc.get("data"), message)


def psp_text(value: str, limit: int = 120) -> str:
    """A PSP's code or message as one quoted, bounded, printable line (it is authentic, but
    a terminal or a log should not receive its control characters or megabytes)."""
    return ascii(value[:limit] + ("..." if len(value) > limit else ""))


def _data(answer: PaykkaAnswer) -> dict[str, Any]:
    if not isinstance(answer.data, dict):
        raise MalformedBodyError("the PayKKa answer has no data object")
    return answer.data


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**19:
        return str(value)
    return value if isinstance(value, str) else None


def _integer(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)  # the documented example sends "300"
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def transaction(answer: PaykkaAnswer) -> Transaction:
    data = _data(answer)
    texts = {
        name: _text(data, name)
        for name in (
            "merchant_id",
            "trans_id",
            "order_id",
            "status",
            "currency",
            "error_code",
            "error_description",
        )
    }
    return Transaction(**texts, amount=_integer(data, "amount"), data=data, answer=answer)


def checkout_session(answer: PaykkaAnswer) -> CheckoutSession:
    data = _data(answer)
    return CheckoutSession(
        session_id=_text(data, "session_id"),
        session_url=_text(data, "session_url"),
        trans_id=_text(data, "trans_id"),
        status=_text(data, "status"),
        data=data,
        answer=answer,
    )
