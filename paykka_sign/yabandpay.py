"""YabandPay: HMAC-SHA256 signed requests and notifications.

Request: ``{"user", "sign", "method", "time", "data": {...}}``. The string to sign merges
the top-level fields (but ``sign`` and ``data``) with the fields of ``data``, sorts them by
key and joins ``k=v`` with ``&``, values not URL-encoded: :func:`canonical_string`.
``sign`` is the lowercase hex HMAC-SHA256 of that string under the merchant's secret key.
Notifications ``{"sign", "data"}`` are signed over the fields of ``data`` alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any, Literal

from applepay_crypto.logs import logs_rejections

from .clock import Clock, epoch_seconds, utc_now
from .errors import (
    InvalidArgumentError,
    InvalidKeyError,
    MalformedBodyError,
    MissingFieldError,
    PaykkaSignError,
    SignatureInvalidError,
)
from .messages import parse_json_object, utf8

__all__ = [
    "PAYMENTS_URL",
    "EmptyValues",
    "YabandPaySigner",
    "canonical_string",
    "hmac_sha256_hex",
    "normalised_fields",
    "notification_string_to_sign",
    "request_string_to_sign",
]

_log = logging.getLogger(__name__)

PAYMENTS_URL = "https://mapi.yabandpay.com/Payments"

#: ``"keep"``: an empty value is written ``k=`` (YabandPay's SDK); ``"omit"``: left out, as
#: one documented example does. Which one YabandPay's server uses is not documented.
EmptyValues = Literal["keep", "omit"]

#: Top-level fields that never enter the string: the signature itself, and ``data``
#: whose fields are merged in instead.
_EXCLUDED = frozenset({"sign", "data"})


def _key_text(key: Any) -> str:
    # review (#11): "k=v&k=v" escapes nothing, so a key holding "=" or "&" lets one field
    # be read as two; the string splits at every "&" and each pair at its first "=".
    if not isinstance(key, str) or not key:
        raise MalformedBodyError("a field name is not a non-empty string")
    if "&" in key or "=" in key:
        raise MalformedBodyError(
            "a field name contains '&' or '=': the string to sign would be ambiguous"
        )
    _check_encodable(key, "a field name")
    return key


def _check_encodable(text: str, what: str) -> None:
    # A lone surrogate (a JSON "\ud800" escape) has no UTF-8 form: the HMAC input would
    # not exist (review (#11): UnicodeEncodeError).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedBodyError(f"{what} holds a lone surrogate, which is not text") from None


def _value_text(key: str, value: Any) -> str:
    # Strings and integers only: a float, boolean, list or object has no agreed spelling
    # (PHP, Python and Java disagree), so guessing would produce silent "sign error"s.
    # Spellings (the documented normalisation): null is "" (as PHP concatenates it), an
    # integer its decimal digits. So 1 and "1", null and "" sign alike; nothing else does.
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # more digits than Python converts (sys.int_info)
            raise MalformedBodyError(f"the field {key!r} is an integer too large") from None
    if not isinstance(value, str):
        raise MalformedBodyError(
            f"the field {key!r} is a {type(value).__name__}; send it as a string "
            '(amounts as decimal strings, e.g. "0.10")'
        )
    # review (#11): a value "hi&status=paid" would sign like two fields, remark=hi and
    # status=paid. "=" stays allowed in values (base64 padding in payment_token_object):
    # a pair splits at its first "=", and keys hold none.
    if "&" in value:
        raise MalformedBodyError(
            f"the value of {key!r} contains '&': the string to sign would be ambiguous"
        )
    _check_encodable(value, f"the value of {key!r}")
    return value


def normalised_fields(
    fields: Mapping[str, Any], *, empty_values: EmptyValues = "keep"
) -> dict[str, str]:
    """The fields as the string to sign sees them: each value as its text, empty values
    dropped under ``"omit"``. Two mappings give one string exactly when these are equal."""
    if empty_values not in ("keep", "omit"):
        raise InvalidArgumentError("empty_values must be 'keep' or 'omit'")
    if not isinstance(fields, Mapping):
        raise MalformedBodyError("the fields to sign are not an object")
    normalised = {}
    for key, value in fields.items():
        text = _value_text(_key_text(key), value)
        if text == "" and empty_values == "omit":
            continue
        normalised[key] = text
    return normalised


def canonical_string(fields: Mapping[str, Any], *, empty_values: EmptyValues = "keep") -> str:
    """Sort ``fields`` by key (byte order, case-sensitive), join ``k=v`` with ``&``.

    Injective under :func:`normalised_fields`: keys with ``&`` or ``=`` and values with
    ``&`` are refused (``malformed_body``), so the string parses back into one mapping.
    """
    return _joined(normalised_fields(fields, empty_values=empty_values))


def _joined(normalised: Mapping[str, str]) -> str:
    ordered = sorted(normalised, key=lambda k: k.encode("utf-8"))
    return "&".join(f"{key}={normalised[key]}" for key in ordered)


def _object(value: Any, what: str) -> Mapping[str, Any]:
    # Frameworks hand over parsed JSON: None, True, [] or 1 are not requests (review (#11)).
    if not isinstance(value, Mapping):
        raise MalformedBodyError(f"the {what} is not a JSON object")
    return value


def _merged_fields(request: Mapping[str, Any]) -> dict[str, Any]:
    data = _object(request, "request").get("data", {})
    if not isinstance(data, Mapping):
        raise MalformedBodyError("the request's data is not an object")
    fields = {k: v for k, v in request.items() if k not in _EXCLUDED}
    for key, value in data.items():
        if key in _EXCLUDED:
            continue
        if key in fields:
            # Which one the server keeps is not documented: refuse rather than guess.
            raise MalformedBodyError(f"the field {key!r} is both top-level and in data")
        fields[key] = value
    return fields


def request_string_to_sign(
    request: Mapping[str, Any], *, empty_values: EmptyValues = "keep"
) -> str:
    """The string a request's ``sign`` covers: top-level fields and ``data`` merged."""
    return canonical_string(_merged_fields(request), empty_values=empty_values)


def notification_string_to_sign(
    data: Mapping[str, Any], *, empty_values: EmptyValues = "keep"
) -> str:
    """The string a notification's ``sign`` covers: the fields of ``data`` only."""
    return _joined(_notification_fields(data, empty_values=empty_values))


def _notification_fields(
    data: Mapping[str, Any], *, empty_values: EmptyValues = "keep"
) -> dict[str, str]:
    return normalised_fields(
        {k: v for k, v in _object(data, "notification's data").items() if k != "sign"},
        empty_values=empty_values,
    )


def hmac_sha256_hex(secret_key: bytes, message: str) -> str:
    """Lowercase hex HMAC-SHA256, the form of YabandPay's ``sign``."""
    if not isinstance(secret_key, bytes):
        raise InvalidKeyError("the secret key must be bytes")
    return hmac.new(secret_key, utf8(message, "the string to sign"), hashlib.sha256).hexdigest()


class YabandPaySigner:
    """Sign requests and verify notifications with one merchant's secret key.

    ``user`` fills a request's ``user`` when it lacks one; ``empty_values`` is the policy
    for empty values (default ``"keep"``, as YabandPay's SDK does).
    """

    def __init__(
        self,
        secret_key: str | bytes,
        *,
        user: str | None = None,
        empty_values: EmptyValues = "keep",
        clock: Clock = utc_now,
    ) -> None:
        if isinstance(secret_key, str):
            try:
                key = secret_key.encode("utf-8")
            except UnicodeEncodeError:
                # The codec's message would quote the secret (review (#11)).
                raise InvalidKeyError("the YabandPay secret key is not valid text") from None
        elif isinstance(secret_key, bytes | bytearray):
            key = bytes(secret_key)
        else:
            raise InvalidKeyError("the YabandPay secret key must be text or bytes")
        if not key.strip():
            raise InvalidKeyError("the YabandPay secret key is empty")
        if empty_values not in ("keep", "omit"):
            raise InvalidArgumentError("empty_values must be 'keep' or 'omit'")
        self._secret_key = key
        self.user = user
        self.empty_values: EmptyValues = empty_values
        self.clock = clock

    def __repr__(self) -> str:
        return f"YabandPaySigner(user={self.user!r}, empty_values={self.empty_values!r})"

    def sign_request(
        self, request: Mapping[str, Any], *, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The complete request: ``user`` and ``time`` (Unix seconds) filled in when absent,
        any old ``sign`` replaced by the new one. The input is not modified."""
        complete = {k: v for k, v in _object(request, "request").items() if k != "sign"}
        if "user" not in complete:
            if self.user is None:
                raise MissingFieldError("the request has no user and the signer has none")
            complete["user"] = self.user
        if "method" not in complete:
            raise MissingFieldError("the request has no method (e.g. v3.ApplePay)")
        if "time" not in complete:
            complete["time"] = epoch_seconds(now if now is not None else self.clock())
        data = complete.get("data", {})
        if not isinstance(data, Mapping):
            raise MalformedBodyError("the request's data is not an object")
        complete["data"] = dict(data)
        message = request_string_to_sign(complete, empty_values=self.empty_values)
        signed = {"user": complete.pop("user"), "sign": hmac_sha256_hex(self._secret_key, message)}
        signed.update(complete)
        return signed

    @logs_rejections(_log, "request", (PaykkaSignError,))
    def verify_request(self, request: Mapping[str, Any]) -> None:
        """Check a request's ``sign`` (e.g. one received by a test double of YabandPay)."""
        message = request_string_to_sign(request, empty_values=self.empty_values)
        self._compare(message, _object(request, "request").get("sign"))

    @logs_rejections(_log, "notification", (PaykkaSignError,))
    def verify_notification(self, notification: Mapping[str, Any] | bytes | str) -> dict[str, Any]:
        """Check a notification's ``sign`` over its ``data``; when authentic, return what
        was signed: :func:`normalised_fields` of ``data`` (every value as its text, an
        empty one dropped under ``"omit"``, where it is not signed).

        Review (#11): returning ``data`` as parsed would hand the caller distinctions the
        signature does not cover (``1`` or ``"1"``, ``null`` or ``""``, and under
        ``"omit"`` any empty field added by anyone): two notifications that verify alike
        now always give the same result. Give the raw body (bytes or text) or the parsed
        JSON object."""
        doc = (
            parse_json_object(notification, what="notification")
            if isinstance(notification, bytes | bytearray | memoryview | str)
            else _object(notification, "notification")
        )
        data = doc.get("data")
        if data is None:
            raise MissingFieldError("the notification has no data")
        if not isinstance(data, Mapping):
            raise MalformedBodyError("the notification's data is not an object")
        signed = _notification_fields(data, empty_values=self.empty_values)
        self._compare(_joined(signed), doc.get("sign"))
        return signed

    def _compare(self, message: str, given: Any) -> None:
        if given is None:
            raise MissingFieldError("the message has no sign")
        if not isinstance(given, str) or not given.isascii():
            raise SignatureInvalidError("the sign is not a hex string")
        expected = hmac_sha256_hex(self._secret_key, message)
        # Constant time: YabandPay's own SDK compares with ===, which leaks timing.
        if not hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8")):
            raise SignatureInvalidError(
                "the sign does not match (wrong secret key, modified fields, or another "
                "empty-value policy)"
            )
