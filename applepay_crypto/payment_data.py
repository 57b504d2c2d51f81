"""The decrypted payment data: a typed, immutable view that keeps Apple's exact JSON.

Apple adds fields over time (merchant tokens, authentication responses), so the model
never drops what it does not know: ``raw_json`` holds the exact decrypted bytes and
``to_dict()`` parses them afresh. ``repr``/``str`` and ``masked_dict()`` show only what
:data:`masking.PAYMENT_DATA` allows: at most the first six and last four digits of the card
number, never a cryptogram, EMV data, PIN block, or a field nobody has declared safe.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ._frozen import build
from .errors import MalformedTokenError
from .masking import PAYMENT_DATA, REDACTED, mask_pan

__all__ = ["REDACTED", "PaymentData", "mask_pan"]


_DECODER = json.JSONDecoder()


def _digits(text: str) -> bool:
    # str.isdigit alone accepts other scripts' digits ("٤"); Apple sends ASCII.
    return text.isascii() and text.isdigit()


#: Review (#11): the deepest nesting a payload may have. Apple's nest four levels at most
#: (merchantTokenMetadata.cardArt[].url); the JSON decoder accepts nearly a thousand,
#: which left ``to_dict()`` / ``masked_dict()`` parsing the same bytes again a few stack
#: frames deeper (``decrypt-batch``) to die of RecursionError after decryption.
MAX_PAYLOAD_DEPTH = 32


def _refuse_deep_nesting(plaintext: bytes, doc: dict[str, Any]) -> None:
    """Refused once here, so every later parse and rendering of ``raw_json`` is far from
    any recursion limit, whatever the stack depth of its caller."""
    # The depth is at most the number of "[" and "{": two byte counts settle it for real
    # payloads; only one with more openers is walked.
    if plaintext.count(b"[") + plaintext.count(b"{") <= MAX_PAYLOAD_DEPTH:
        return
    pending: list[tuple[Any, int]] = [(doc, 1)]
    while pending:  # iterative: the nesting the decoder accepted may be near its limit
        value, depth = pending.pop()
        if depth > MAX_PAYLOAD_DEPTH:
            raise MalformedTokenError(
                f"decrypted payment data nests deeper than {MAX_PAYLOAD_DEPTH} levels"
            )
        items = value.values() if isinstance(value, dict) else value
        pending.extend((item, depth + 1) for item in items if isinstance(item, dict | list))


def _refuse_lone_surrogates(plaintext: bytes, doc: dict[str, Any]) -> None:
    """Review (#11): a JSON ``\\ud800`` escape decodes to a lone surrogate, which no UTF-8
    output can carry: such a payload was accepted and then crashed the CLI's printing (and
    would crash any caller's own ``.encode()``, log handler or PSP request). It is not
    Unicode text, Apple never sends it, and refusing it here, once, means no surface
    downstream meets one; making each of them cope would leave every caller's code exposed.
    """
    # Strict UTF-8 decoding refused encoded surrogates already, so one can only come from
    # a \u escape; real payloads rarely hold any, and only then is the document walked.
    if b"\\u" not in plaintext:
        return
    pending: list[Any] = [doc]
    while pending:  # iterative: the nesting the JSON decoder accepted can be deep
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise MalformedTokenError(
                        "decrypted payment data holds a lone surrogate (a \\u escape between "
                        "D800 and DFFF that is not half of a pair): it is not Unicode text"
                    ) from None
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _reject(field: str, problem: str) -> MalformedTokenError:
    # Never echo the value: it may be card data.
    return MalformedTokenError(f"decrypted payment data: {field} {problem}")


def _required_str(doc: Mapping[str, Any], field: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not value:
        raise _reject(field, "is missing or not a non-empty string")
    return value


def _optional_str(doc: Mapping[str, Any], field: str) -> str | None:
    value = doc.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _reject(field, "is not a string")
    return value


def _parse_pan(doc: Mapping[str, Any]) -> str:
    pan = _required_str(doc, "applicationPrimaryAccountNumber")
    if not _digits(pan) or not 12 <= len(pan) <= 19:
        raise _reject("applicationPrimaryAccountNumber", "is not 12 to 19 digits")
    return pan


def _parse_expiration(doc: Mapping[str, Any]) -> tuple[str, dt.date]:
    raw = _required_str(doc, "applicationExpirationDate")
    if not _digits(raw) or len(raw) != 6:
        raise _reject("applicationExpirationDate", "is not YYMMDD")
    try:
        date = dt.date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError:
        raise _reject("applicationExpirationDate", "is not a calendar date") from None
    return raw, date


def _parse_currency(doc: Mapping[str, Any]) -> str:
    code = _required_str(doc, "currencyCode")
    if not _digits(code) or len(code) != 3:
        raise _reject("currencyCode", "is not a 3-digit ISO 4217 numeric code")
    return code


def _parse_amount(doc: Mapping[str, Any]) -> int:
    amount = doc.get("transactionAmount")
    # JSON numbers arrive as int; bool is an int subclass and is not an amount.
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise _reject("transactionAmount", "is not a non-negative integer (minor units)")
    return amount


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, repr=False, eq=False)
class PaymentData:
    """Apple's decrypted payment data.

    Field names follow Apple's, in Python spelling; ``pan`` is
    ``applicationPrimaryAccountNumber`` (a device PAN, or a merchant token's PAN).
    """

    pan: str
    expiration_yymmdd: str
    expiration_date: dt.date
    currency_code: str
    transaction_amount: int
    payment_data_type: str
    device_manufacturer_identifier: str | None
    cardholder_name: str | None
    online_payment_cryptogram: str | None
    eci_indicator: str | None
    emv_data: str | None
    encrypted_pin_data: str | None
    merchant_token_identifier: str | None
    merchant_token_metadata: Mapping[str, Any] | None
    authentication_responses: tuple[Mapping[str, Any], ...]
    #: The exact bytes AES-GCM returned.
    raw_json: bytes

    @classmethod
    def from_json(cls, plaintext: bytes) -> PaymentData:
        """Parse and check the decrypted JSON; unknown fields stay in ``raw_json``."""
        try:
            doc = _DECODER.decode(plaintext.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise MalformedTokenError("decrypted payment data is not JSON") from None
        if not isinstance(doc, dict):
            raise MalformedTokenError("decrypted payment data is not a JSON object")
        _refuse_deep_nesting(plaintext, doc)
        _refuse_lone_surrogates(plaintext, doc)
        expiration_yymmdd, expiration_date = _parse_expiration(doc)
        kind = _required_str(doc, "paymentDataType")
        inner = doc.get("paymentData")
        if not isinstance(inner, dict):
            raise _reject("paymentData", "is missing or not an object")
        if kind == "3DSecure":
            _required_str(inner, "onlinePaymentCryptogram")
        elif kind == "EMV":
            _required_str(inner, "emvData")
        else:
            raise _reject("paymentDataType", "is neither 3DSecure nor EMV")
        eci = inner.get("eciIndicator")
        if isinstance(eci, int) and not isinstance(eci, bool):
            eci = str(eci)
        metadata = doc.get("merchantTokenMetadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise _reject("merchantTokenMetadata", "is not an object")
        responses = doc.get("authenticationResponses", ())
        if responses != () and (
            not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses)
        ):
            raise _reject("authenticationResponses", "is not a list of objects")
        # fuzzing (#7): nesting too deep to freeze is refused above (MAX_PAYLOAD_DEPTH).
        metadata = _freeze(metadata) if metadata is not None else None
        responses = _freeze(responses) if responses else ()
        return build(
            cls,
            pan=_parse_pan(doc),
            expiration_yymmdd=expiration_yymmdd,
            expiration_date=expiration_date,
            currency_code=_parse_currency(doc),
            transaction_amount=_parse_amount(doc),
            payment_data_type=kind,
            device_manufacturer_identifier=_optional_str(doc, "deviceManufacturerIdentifier"),
            cardholder_name=_optional_str(doc, "cardholderName"),
            online_payment_cryptogram=_optional_str(inner, "onlinePaymentCryptogram"),
            eci_indicator=eci if isinstance(eci, str) else None,
            emv_data=_optional_str(inner, "emvData"),
            encrypted_pin_data=_optional_str(inner, "encryptedPINData"),
            merchant_token_identifier=_optional_str(doc, "merchantTokenIdentifier"),
            merchant_token_metadata=metadata,
            authentication_responses=responses,
            raw_json=bytes(plaintext),
        )

    @property
    def masked_pan(self) -> str:
        return mask_pan(self.pan)

    @property
    def expiration_month(self) -> str:
        """``MM``, as PSPs want it."""
        return self.expiration_yymmdd[2:4]

    @property
    def expiration_year(self) -> str:
        """``YYYY``, as PSPs want it."""
        return f"{self.expiration_date.year:04d}"

    def to_dict(self) -> dict[str, Any]:
        """Apple's decrypted JSON, every field kept, as a new (mutable) dict."""
        result: dict[str, Any] = json.loads(self.raw_json)
        return result

    def masked_dict(self) -> dict[str, Any]:
        """Apple's JSON as :data:`masking.PAYMENT_DATA` allows: the PAN masked, every field
        not known to be safe (secrets, unknown fields at any depth) redacted."""
        masked: dict[str, Any] = PAYMENT_DATA(self.to_dict())
        return masked

    def __repr__(self) -> str:
        secret = "online_payment_cryptogram" if self.payment_data_type == "3DSecure" else "emv_data"
        return (
            f"PaymentData(pan={self.masked_pan!r}, expiration={self.expiration_yymmdd[:4]!r}, "
            f"currency_code={self.currency_code!r}, transaction_amount={self.transaction_amount}, "
            f"payment_data_type={self.payment_data_type!r}, eci_indicator={self.eci_indicator!r}, "
            f"{secret}={REDACTED!r})"
        )

    __str__ = __repr__
