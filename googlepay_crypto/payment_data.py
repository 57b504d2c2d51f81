"""The decrypted payment payload: a typed, immutable view that keeps Google's exact text.

Google documents the payload of ``paymentMethod`` CARD ("Payment data cryptography for
merchants", "Encrypted message"): ``paymentMethodDetails`` holds ``pan``,
``expirationMonth``, ``expirationYear`` and ``authMethod``. ``PAN_ONLY`` is a card as the
shopper stored it (:class:`CardPaymentData`); ``CRYPTOGRAM_3DS`` is a network token (a
device-bound PAN) with a ``cryptogram`` and, optionally, an ``eciIndicator``
(:class:`NetworkTokenPaymentData`). Google adds fields over time (``assuranceDetails``,
``cardHolderName`` ...): ``plaintext`` keeps every byte and ``to_dict()`` parses it afresh.
``repr``/``str`` and ``masked_dict()`` show only what :data:`PAYMENT_DATA` allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from applepay_crypto.masking import REDACTED, Rule, fields, mask_pan, masked_pan, redact, show

from ._json import loads_strict
from ._time import from_millis, parse_millis
from .errors import MalformedPaymentDataError

__all__ = [
    "PAYMENT_DATA",
    "REDACTED",
    "CardPaymentData",
    "NetworkTokenPaymentData",
    "PaymentData",
    "parse_payment_data",
]

PAN_ONLY = "PAN_ONLY"
CRYPTOGRAM_3DS = "CRYPTOGRAM_3DS"

# What output may show of the payload, field by field (allow-list, as
# applepay_crypto.masking). Shown: what tells an operator which payment this was.
# Redacted: the cryptogram, and every field nobody has declared safe (unknown fields at any
# depth, cardholder names included, since their contents are Google's to extend).
PAYMENT_DATA: Rule = fields(
    {
        "gatewayMerchantId": show,
        "messageExpiration": show,
        "messageId": show,
        "paymentMethod": show,
        "paymentMethodDetails": fields(
            {
                "pan": masked_pan,
                "expirationMonth": show,
                "expirationYear": show,
                "authMethod": show,
                "cryptogram": redact,
                "eciIndicator": show,
                "assuranceDetails": fields(
                    {"cardHolderAuthenticated": show, "accountVerified": show}
                ),
            }
        ),
    }
)


def _reject(field: str, problem: str) -> MalformedPaymentDataError:
    # Never echo the value: it may be card data.
    return MalformedPaymentDataError(f"decrypted payment data: {field} {problem}")


def _required_str(doc: Mapping[str, Any], field: str, where: str = "") -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not value:
        raise _reject(where + field, "is missing or not a non-empty string")
    return value


def _optional_str(doc: Mapping[str, Any], field: str, where: str = "") -> str | None:
    value = doc.get(field)
    if value is not None and not isinstance(value, str):
        raise _reject(where + field, "is not a string")
    return value


def _number(doc: Mapping[str, Any], field: str, low: int, high: int) -> int:
    """Google sends JSON numbers; a string of ASCII digits is accepted too (inferred: some
    gateways re-serialize the payload with strings)."""
    value = doc.get(field)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _reject(f"paymentMethodDetails.{field}", f"is not a number from {low} to {high}")
    return value


def _pan(details: Mapping[str, Any]) -> str:
    pan = _required_str(details, "pan", "paymentMethodDetails.")
    if not (pan.isascii() and pan.isdigit() and 12 <= len(pan) <= 19):
        raise _reject("paymentMethodDetails.pan", "is not 12 to 19 digits")
    return pan


@dataclass(frozen=True, repr=False, eq=False)
class PaymentData:
    """Google's decrypted payment data, ``paymentMethod`` CARD.

    Field names follow Google's, in Python spelling. The two variants are
    :class:`CardPaymentData` (``PAN_ONLY``) and :class:`NetworkTokenPaymentData`
    (``CRYPTOGRAM_3DS``).
    """

    auth_method: ClassVar[str]

    message_id: str
    message_expiration: dt.datetime
    payment_method: str
    gateway_merchant_id: str | None
    pan: str
    expiration_month: int
    expiration_year: int
    #: The exact text the decryption gave (or signedMessage, for ECv2SigningOnly).
    plaintext: str

    @classmethod
    def from_json(cls, plaintext: str | bytes) -> CardPaymentData | NetworkTokenPaymentData:
        """Parse and check a decrypted payload; unknown fields stay in ``plaintext``."""
        return parse_payment_data(plaintext)

    @property
    def cryptogram(self) -> str | None:
        return None

    @property
    def eci_indicator(self) -> str | None:
        return None

    @property
    def is_network_token(self) -> bool:
        return self.auth_method == CRYPTOGRAM_3DS

    @property
    def masked_pan(self) -> str:
        return mask_pan(self.pan)

    def to_dict(self) -> dict[str, Any]:
        """Google's decrypted JSON, every field kept, as a new (mutable) dict."""
        result: dict[str, Any] = loads_strict(self.plaintext, MalformedPaymentDataError, "payload")
        return result

    def masked_dict(self) -> dict[str, Any]:
        """Google's JSON as :data:`PAYMENT_DATA` allows: the PAN masked, the cryptogram and
        every field not known to be safe redacted."""
        masked: dict[str, Any] = PAYMENT_DATA(self.to_dict())
        return masked

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pan={self.masked_pan!r}, "
            f"expiration={self.expiration_month:02d}/{self.expiration_year:04d}, "
            f"auth_method={self.auth_method!r}, message_id={self.message_id!r}"
            + self._repr_extra()
            + ")"
        )

    def _repr_extra(self) -> str:
        return ""

    __str__ = __repr__


@dataclass(frozen=True, repr=False, eq=False)
class CardPaymentData(PaymentData):
    """``authMethod`` PAN_ONLY: the card number as stored in the shopper's Google account;
    the PSP may need 3-D Secure."""

    auth_method: ClassVar[str] = PAN_ONLY


@dataclass(frozen=True, repr=False, eq=False)
class NetworkTokenPaymentData(PaymentData):
    """``authMethod`` CRYPTOGRAM_3DS: a network token bound to the device, with its
    cryptogram (a secret: never in a repr, log or masked output)."""

    auth_method: ClassVar[str] = CRYPTOGRAM_3DS

    token_cryptogram: str
    token_eci_indicator: str | None

    @property
    def cryptogram(self) -> str:
        return self.token_cryptogram

    @property
    def eci_indicator(self) -> str | None:
        return self.token_eci_indicator

    def _repr_extra(self) -> str:
        return f", eci_indicator={self.eci_indicator!r}, cryptogram={REDACTED!r}"


def parse_payment_data(plaintext: str | bytes) -> CardPaymentData | NetworkTokenPaymentData:
    """The typed payload of a verified, decrypted message, or MalformedPaymentDataError."""
    doc = loads_strict(plaintext, MalformedPaymentDataError, "decrypted payment data")
    if not isinstance(doc, dict):
        raise MalformedPaymentDataError("decrypted payment data is not a JSON object")
    text = plaintext if isinstance(plaintext, str) else bytes(plaintext).decode("utf-8")
    expiration = parse_millis(doc.get("messageExpiration"))
    if expiration is None:
        raise _reject("messageExpiration", "is missing or not milliseconds since the epoch")
    payment_method = _required_str(doc, "paymentMethod")
    if payment_method != "CARD":
        raise _reject("paymentMethod", "is not CARD")
    details = doc.get("paymentMethodDetails")
    if not isinstance(details, dict):
        raise _reject("paymentMethodDetails", "is missing or not an object")
    common: dict[str, Any] = {
        "message_id": _required_str(doc, "messageId"),
        "message_expiration": from_millis(expiration),
        "payment_method": payment_method,
        "gateway_merchant_id": _optional_str(doc, "gatewayMerchantId"),
        "pan": _pan(details),
        "expiration_month": _number(details, "expirationMonth", 1, 12),
        "expiration_year": _number(details, "expirationYear", 1000, 9999),
        "plaintext": text,
    }
    auth_method = details.get("authMethod")
    if auth_method == PAN_ONLY:
        return CardPaymentData(**common)
    if auth_method == CRYPTOGRAM_3DS:
        eci = details.get("eciIndicator")
        if isinstance(eci, int) and not isinstance(eci, bool):
            eci = f"{eci:02d}"
        if eci is not None and not isinstance(eci, str):
            raise _reject("paymentMethodDetails.eciIndicator", "is not a string")
        return NetworkTokenPaymentData(
            **common,
            token_cryptogram=_required_str(details, "cryptogram", "paymentMethodDetails."),
            token_eci_indicator=eci,
        )
    raise _reject("paymentMethodDetails.authMethod", "is neither PAN_ONLY nor CRYPTOGRAM_3DS")
