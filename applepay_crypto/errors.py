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
    "HsmError",
    "HsmKeyNotFoundError",
    "HsmKeyUsageError",
    "HsmMechanismUnsupportedError",
    "HsmModuleError",
    "HsmPinError",
    "HsmTokenNotFoundError",
    "InternalError",
    "KeyNotFoundError",
    "KeyOperationError",
    "MalformedTokenError",
    "OutputExistsError",
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
    """The symmetric key could not be derived or AES-GCM rejected the ciphertext."""

    code = "decryption_failed"


class TagMismatchError(DecryptionFailedError):
    """AES-GCM rejected the data: altered data, or a key derived wrongly. Same code as
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


class OutputExistsError(ConfigurationError):
    """A file to write exists and overwriting was not asked for (issue #14: its own code,
    ``file_exists``, in both packages; the CLIs name ``--force``)."""

    code = "file_exists"


class InternalError(ApplePayError):
    """An input met a bug of this library: reported for that input alone (one line of a
    batch) with the exception's type only, never its text, which may quote the input."""

    code = "internal_error"


class KeyOperationError(ApplePayError):
    """The holder of a merchant key (an HSM, a KMS, a remote service) failed to do the
    private-key operation for a reason of its own, not the token's (issue #12)."""

    code = "key_operation_failed"


class HsmError(KeyOperationError):
    """A PKCS#11 token refused or failed; the subclasses name the causes a person can fix."""

    code = "hsm_error"


class HsmModuleError(HsmError):
    """The PKCS#11 module (a shared library such as libsofthsm2.so) cannot be loaded."""

    code = "hsm_module_unavailable"


class HsmTokenNotFoundError(HsmError):
    """No token with the given label is present in the module's slots."""

    code = "hsm_token_not_found"


class HsmPinError(HsmError):
    """The token refused the user PIN (wrong, locked, or expired)."""

    code = "hsm_pin_incorrect"


class HsmKeyNotFoundError(HsmError):
    """The token holds no private key with the given CKA_ID or label."""

    code = "hsm_key_not_found"


class HsmKeyUsageError(HsmError):
    """The key exists but may not be used this way (no CKA_DERIVE for EC_v1's ECDH, no
    CKA_DECRYPT for RSA_v1's unwrap)."""

    code = "hsm_key_usage_not_permitted"


class HsmMechanismUnsupportedError(HsmError):
    """The token lacks the mechanism or its parameters (SoftHSM2 2.6 does RSA-OAEP with
    SHA-1 only, RSA_v1 needs SHA-256)."""

    code = "hsm_mechanism_unsupported"


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
