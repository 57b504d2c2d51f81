"""Errors raised by paykka_sign.

Every error carries a stable, machine-readable ``code``: callers branch on it (or on the
class) and the CLI prints it. Messages are for the person fixing the problem and never
contain a card number, a cryptogram, a secret key, private key material or a request body:
they name fields, headers and lengths only.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AmountMismatchError",
    "BodyFieldMismatchError",
    "CurrencyMismatchError",
    "HttpStatusError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidHeaderError",
    "InvalidKeyError",
    "MalformedBodyError",
    "MissingDependencyError",
    "MissingFieldError",
    "NetworkError",
    "OutputExistsError",
    "PaykkaSignError",
    "PspRefusedError",
    "RecipientMismatchError",
    "ReplayedNonceError",
    "SignatureInvalidError",
    "TimestampOutOfWindowError",
    "UnknownCurrencyError",
    "UnsupportedTokenError",
]


class PaykkaSignError(Exception):
    """Base class of every error this package raises on purpose."""

    code: ClassVar[str] = "paykka_sign_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The ``{"code", "message"}`` object the CLI prints under ``"error"``."""
        return {"code": self.code, "message": self.message}


class InvalidKeyError(PaykkaSignError):
    """A key or secret is unreadable, of the wrong kind (private/public, not RSA) or too small."""

    code = "invalid_key"


class OutputExistsError(PaykkaSignError):
    """A file to write (a private key) exists and overwriting was not asked for: the same
    code, ``file_exists``, as ``applepay_crypto.OutputExistsError`` (issue #14)."""

    code = "file_exists"


class InvalidArgumentError(PaykkaSignError):
    """An argument cannot produce a well-formed request (nonce length, a URL given as path...)."""

    code = "invalid_argument"


class SignatureInvalidError(PaykkaSignError):
    """The signature does not verify over the message as received."""

    code = "signature_invalid"


class InvalidHeaderError(SignatureInvalidError):
    """A signature header is missing, malformed, duplicated or names another algorithm.

    A subclass of :class:`SignatureInvalidError` so that one ``except`` rejects every
    unauthenticated message; the code tells the two cases apart.
    """

    code = "invalid_header"


class TimestampOutOfWindowError(PaykkaSignError):
    """The message's timestamp is further from "now" than the allowed window (5 minutes)."""

    code = "timestamp_out_of_window"


class RecipientMismatchError(PaykkaSignError):
    """The message is addressed to another merchant id (v1.2) or app id (v3) than the
    verifier's: PayKKa signs for every merchant with one platform key (review (#11))."""

    code = "recipient_mismatch"


class ReplayedNonceError(PaykkaSignError):
    """The message's nonce was already seen inside the window: a replay."""

    code = "replayed_nonce"


class MalformedBodyError(PaykkaSignError):
    """A body or request is not the JSON object (or field types) the signing rule needs."""

    code = "malformed_body"


class MissingFieldError(MalformedBodyError):
    """A field the string to sign needs (merchant_id, timestamp, sign, data) is absent."""

    code = "missing_field"


class BodyFieldMismatchError(MalformedBodyError):
    """A ``merchant_id`` or ``timestamp`` given to sign with is not the body's: absent from
    it, or another value. PayKKa rebuilds the string to sign from the body, so such a
    signature could never verify there (issue #14, item 2)."""

    code = "body_field_mismatch"


class AmountMismatchError(PaykkaSignError):
    """The order's amount differs from the amount the shopper approved in the token."""

    code = "amount_mismatch"


class CurrencyMismatchError(PaykkaSignError):
    """The order's currency differs from the currency of the token."""

    code = "currency_mismatch"


class UnknownCurrencyError(PaykkaSignError):
    """A currency code is not an active ISO 4217 currency this package knows."""

    code = "unknown_currency"


class UnsupportedTokenError(PaykkaSignError):
    """The decrypted token cannot be sent this way (an EMV token has no 3-D Secure cryptogram)."""

    code = "unsupported_token"


class MissingDependencyError(PaykkaSignError, ImportError):
    """An optional extra is not installed (the HTTP client needs ``httpx``: the ``client``
    extra). Also an ``ImportError``, so ``except ImportError`` still works."""

    code = "missing_dependency"


class NetworkError(PaykkaSignError):
    """The PSP could not be reached or did not answer in time (connection, TLS, timeout)."""

    code = "network_error"


class HttpStatusError(PaykkaSignError):
    """The PSP answered with an HTTP error status and no signature: nothing in it is
    authentic, so only the status is reported."""

    code = "http_error"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class PspRefusedError(PaykkaSignError):
    """The PSP's authentic answer refuses the request: PayKKa's ``ret_code`` other than
    ``000000``, YabandPay's ``status: false``. ``psp_code`` and ``psp_message`` are the PSP's."""

    code = "psp_refused"

    def __init__(
        self, message: str, *, psp_code: str, psp_message: str, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.psp_code = psp_code
        self.psp_message = psp_message
        self.status = status


class InternalError(PaykkaSignError):
    """A bug of this tool: an exception it did not expect (the CLI names its type only)."""

    code = "internal_error"
