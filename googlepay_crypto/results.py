"""What :class:`~googlepay_crypto.Recipient` establishes about a token, and how it may be
shown: the message masked by :data:`~googlepay_crypto.payment_data.PAYMENT_DATA` unless the
caller asks to reveal it.

A message is one of three kinds: a Google Pay ``payment`` (``paymentMethod`` CARD, parsed
into :class:`~googlepay_crypto.payment_data.PaymentData`), other ``json`` (a Google Wallet
callback, or a payment whose payload is not Google's documented shape), or ``text`` (not
JSON; Tink returns such messages unchecked, and so does ``unseal_plaintext``). Masked, a
payment shows its masked PAN and no cryptogram; any other JSON object shows only the
members the allow-list names; text shows nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from ._time import utc_text
from .errors import GooglePayError
from .message import parsed_message
from .payment_data import (
    PAYMENT_DATA,
    REDACTED,
    CardPaymentData,
    NetworkTokenPaymentData,
    parse_payment_data,
)

__all__ = ["UnsealedToken", "VerifiedToken", "message_kind", "shown_message"]

PAYMENT, JSON, TEXT = "payment", "json", "text"


def _iso(moment: dt.datetime | None) -> str | None:
    return utc_text(moment) if moment is not None else None


def _payment(plaintext: str) -> CardPaymentData | NetworkTokenPaymentData | None:
    try:
        return parse_payment_data(plaintext)
    except GooglePayError:
        return None


def message_kind(plaintext: str) -> str:
    """``payment``, ``json`` or ``text``: see the module's docstring."""
    if _payment(plaintext) is not None:
        return PAYMENT
    return TEXT if parsed_message(plaintext) is None else JSON


def shown_message(plaintext: str, *, reveal: bool = False) -> Any:
    """The message as output may show it: whole with ``reveal`` (parsed when it is JSON),
    else masked (see the module's docstring)."""
    payment = _payment(plaintext)
    if payment is not None:
        return payment.to_dict() if reveal else payment.masked_dict()
    value = parsed_message(plaintext)
    if value is None:
        return plaintext if reveal else REDACTED
    return value if reveal else PAYMENT_DATA(value)


def _message_fields(plaintext: str, *, reveal: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "message_type": message_kind(plaintext),
        "message": shown_message(plaintext, reveal=reveal),
    }
    if reveal:
        fields["plaintext"] = plaintext  # the exact text, as Tink's unseal returns it
    return fields


@dataclass(frozen=True, repr=False, eq=False)
class VerifiedToken:
    """What :meth:`Recipient.verify` establishes without decrypting: the signatures, the
    intermediate key's expiration and, for ECv2SigningOnly (whose message is not encrypted),
    the message's expiration."""

    protocol_version: str
    #: signedMessage as signed: the encrypted JSON (ECv1, ECv2) or the message itself
    #: (ECv2SigningOnly).
    signed_message: str
    #: The intermediate signing key's expiration (ECv2, ECv2SigningOnly), else ``None``.
    key_expiration: dt.datetime | None
    #: The message, for ECv2SigningOnly (its messageExpiration checked); ``None`` when it is
    #: encrypted.
    message: str | None
    #: ECv2SigningOnly: the message's messageExpiration, when it has one. ``None`` when the
    #: message is encrypted (only decryption can read and check it).
    message_expiration: dt.datetime | None = None

    @property
    def encrypted(self) -> bool:
        return self.message is None

    def to_json_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """The CLI's JSON; for ECv2SigningOnly the message masked unless ``reveal``."""
        document: dict[str, Any] = {
            "verified": True,
            "protocol_version": self.protocol_version,
            "intermediate_key_expiration": _iso(self.key_expiration),
            "encrypted": self.encrypted,
            "message_expiration": _iso(self.message_expiration),
            "message_expiration_checked": self.message_expiration is not None,
        }
        if self.message is not None:
            document.update(_message_fields(self.message, reveal=reveal))
        return document

    def __repr__(self) -> str:
        return (
            f"VerifiedToken(protocol_version={self.protocol_version!r}, "
            f"key_expiration={_iso(self.key_expiration)!r}, encrypted={self.encrypted})"
        )


@dataclass(frozen=True, repr=False, eq=False)
class UnsealedToken:
    """What :meth:`Recipient.unseal_token` establishes: every check passed, and the
    message's exact text (``plaintext``), which may be a payment or anything else."""

    protocol_version: str
    #: The intermediate signing key's expiration (ECv2, ECv2SigningOnly), else ``None``.
    key_expiration: dt.datetime | None
    #: The message's messageExpiration (checked), or ``None`` when it has none.
    message_expiration: dt.datetime | None
    #: The message, exactly as Tink's ``unseal`` returns it.
    plaintext: str

    @functools.cached_property
    def payment(self) -> CardPaymentData | NetworkTokenPaymentData | None:
        """The typed payment when the message is Google's CARD payload, else ``None``."""
        return _payment(self.plaintext)

    @property
    def message_type(self) -> str:
        return message_kind(self.plaintext)

    def to_json_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """The CLI's JSON: the message masked, or whole (and its exact text) with
        ``reveal``."""
        return {
            "verified": True,
            "protocol_version": self.protocol_version,
            "intermediate_key_expiration": _iso(self.key_expiration),
            "message_expiration": _iso(self.message_expiration),
            **_message_fields(self.plaintext, reveal=reveal),
        }

    def __repr__(self) -> str:
        return (
            f"UnsealedToken(protocol_version={self.protocol_version!r}, "
            f"message_type={self.message_type!r}, payment={self.payment!r})"
        )
