"""Errors raised by applepay_crypto.

Every error carries a stable, machine-readable ``code``. Callers branch on the code (or
on the class); the message is for the person fixing the problem. Messages never contain a
card number, a cryptogram or key material: they name fields, hashes and certificate
subjects only.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ApplePayError",
    "CertificateInvalidError",
    "ConfigurationError",
    "DecryptionFailedError",
    "InternalError",
    "KeyNotFoundError",
    "MalformedTokenError",
    "ReplayedTransactionError",
    "SignatureInvalidError",
    "SigningTimeOutOfWindowError",
    "TagMismatchError",
    "TrustRootMissingError",
    "UnsupportedVersionError",
    "UntrustedRootError",
    "error_class",
]


class ApplePayError(Exception):
    """Base class of every error this package raises on purpose."""

    code: ClassVar[str] = "applepay_error"

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Which of Apple's verification steps failed, when one did (e.g. ``"1.c chain"``).
        self.step = step

    def to_dict(self) -> dict[str, str]:
        """The ``{"code", "message"}`` object the CLIs print under ``"error"``."""
        return {"code": self.code, "message": self.message}


class MalformedTokenError(ApplePayError):
    """The input is not a well-formed Apple Pay token (JSON, base64, hex, fields, size)."""

    code = "malformed_token"


class UnsupportedVersionError(ApplePayError):
    """The token's ``version`` is not one this library decrypts (``EC_v1``, ``RSA_v1``)."""

    code = "unsupported_version"


class SignatureInvalidError(ApplePayError):
    """The CMS signature is unreadable, has the wrong shape, or does not verify."""

    code = "signature_invalid"


class CertificateInvalidError(ApplePayError):
    """A certificate in the token lacks Apple's OIDs or the chain is not valid at signing time."""

    code = "certificate_invalid"


class UntrustedRootError(ApplePayError):
    """The certificate chain does not lead to a trusted root (Apple Root CA - G3)."""

    code = "untrusted_root"


class SigningTimeOutOfWindowError(ApplePayError):
    """The token was signed too long before (or after) the verification time."""

    code = "signing_time_out_of_window"


class KeyNotFoundError(ApplePayError):
    """No configured merchant key matches the token's ``publicKeyHash``."""

    code = "key_not_found"


class DecryptionFailedError(ApplePayError):
    """The symmetric key could not be restored or AES-GCM rejected the ciphertext."""

    code = "decryption_failed"


class TagMismatchError(DecryptionFailedError):
    """AES-GCM rejected the data: altered data, or a key restored wrongly. Same code as
    :class:`DecryptionFailedError`; the decryptor words the message by whether Apple's
    signature over the data was verified (review #11)."""


class ReplayedTransactionError(ApplePayError):
    """The token's transactionId was already processed inside the freshness window."""

    code = "replayed_transaction"


class TrustRootMissingError(ApplePayError):
    """Apple Root CA - G3 is not installed and no root was given."""

    code = "trust_root_missing"


class ConfigurationError(ApplePayError):
    """Keys, certificates or options given to the library are unusable or inconsistent."""

    code = "invalid_configuration"


class InternalError(ApplePayError):
    """An input met a bug of this library: reported for that input alone (one line of a
    batch) with the exception's type only, never its text, which may quote the input."""

    code = "internal_error"


def error_class(code: str) -> type[ApplePayError]:
    """The error class with this ``code`` (to raise again an error reported by another
    process); the base class for a code no class has."""
    pending: list[type[ApplePayError]] = [ApplePayError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return ApplePayError
