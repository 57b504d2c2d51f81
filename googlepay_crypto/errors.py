"""Errors raised by googlepay_crypto.

Every error carries a stable, machine-readable ``code``: one code per check of Google's
payment method token (docs/googlepay.md lists them in the order the checks run). Callers
branch on the code (or the class); the message is for the person fixing the problem and
never holds a card number, a cryptogram, key material, or an exception text from a library
(which may quote the input).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ConfigurationError",
    "DecryptionFailedError",
    "EphemeralKeyInvalidError",
    "GooglePayError",
    "IntermediateKeyExpiredError",
    "IntermediateSignatureError",
    "InternalError",
    "InvalidJsonError",
    "KeyOperationError",
    "MalformedEncryptedMessageError",
    "MalformedPaymentDataError",
    "MalformedTokenError",
    "MessageExpiredError",
    "NoRootKeysError",
    "ProtocolVersionMismatchError",
    "RootKeysError",
    "RootKeysUnavailableError",
    "SignatureInvalidError",
    "TagMismatchError",
    "UnsupportedProtocolVersionError",
    "error_class",
]


class GooglePayError(Exception):
    """Base class of every error this package raises on purpose."""

    code: ClassVar[str] = "googlepay_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The ``{"code", "message"}`` object the CLI prints under ``"error"``."""
        return {"code": self.code, "message": self.message}


class InvalidJsonError(GooglePayError):
    """The token (or a JSON string nested in it) is not strict RFC 8259 JSON: syntax,
    duplicate member names, ``NaN``/``Infinity``, not UTF-8, or not an object."""

    code = "invalid_json"


class MalformedTokenError(GooglePayError):
    """A member is missing, extra, or of the wrong type (exact member sets), or a base64,
    key or number inside the token is not well formed."""

    code = "malformed_token"


class UnsupportedProtocolVersionError(GooglePayError):
    """``protocolVersion`` is none of ECv1, ECv2, ECv2SigningOnly."""

    code = "unsupported_protocol_version"


class ProtocolVersionMismatchError(GooglePayError):
    """``protocolVersion`` is a known version, but not the one this recipient expects."""

    code = "protocol_version_mismatch"


class NoRootKeysError(GooglePayError):
    """The root signing keys hold no unexpired key for the token's protocol version."""

    code = "no_root_keys"


class IntermediateSignatureError(GooglePayError):
    """No signature of ``intermediateSigningKey.signatures`` verifies under a root key
    valid for the protocol version."""

    code = "intermediate_signature_invalid"


class IntermediateKeyExpiredError(GooglePayError):
    """The intermediate signing key's ``keyExpiration`` is not in the future."""

    code = "intermediate_key_expired"


class SignatureInvalidError(GooglePayError):
    """The signature over signedMessage (sender id, recipient id, protocol version and
    signedMessage, length-prefixed) does not verify."""

    code = "signature_invalid"


class DecryptionFailedError(GooglePayError):
    """The encrypted message could not be decrypted (base class of the three causes)."""

    code = "decryption_failed"


class MalformedEncryptedMessageError(DecryptionFailedError):
    """signedMessage is not exactly ``encryptedMessage``, ``ephemeralPublicKey`` and ``tag``
    as base64 strings."""

    code = "malformed_encrypted_message"


class EphemeralKeyInvalidError(DecryptionFailedError):
    """``ephemeralPublicKey`` is not an uncompressed point on P-256."""

    code = "invalid_ephemeral_key"


class TagMismatchError(DecryptionFailedError):
    """The HMAC-SHA256 tag does not match under any configured merchant key."""

    code = "tag_mismatch"


class MessageExpiredError(GooglePayError):
    """The message's ``messageExpiration`` is not in the future."""

    code = "message_expired"


class MalformedPaymentDataError(GooglePayError):
    """The verified, decrypted message is not a payment payload as Google documents it
    (``paymentMethodDetails`` with a card or a network token)."""

    code = "malformed_payment_data"


class RootKeysError(GooglePayError):
    """A keys.json document is not Google's root signing keys format."""

    code = "invalid_root_keys"


class RootKeysUnavailableError(GooglePayError):
    """Google's root signing keys could not be fetched (offline, HTTP error)."""

    code = "root_keys_unavailable"


class ConfigurationError(GooglePayError):
    """Keys, recipient id or options given to the library are unusable or inconsistent."""

    code = "invalid_configuration"


class KeyOperationError(GooglePayError):
    """The holder of a merchant key (an HSM, a KMS) failed to do the key agreement for a
    reason of its own, not the token's."""

    code = "key_operation_failed"


class InternalError(GooglePayError):
    """An input met a bug of this library: reported with the exception's type only."""

    code = "internal_error"


def error_class(code: str) -> type[GooglePayError]:
    """The error class with this ``code``; the base class for a code no class has."""
    pending: list[type[GooglePayError]] = [GooglePayError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return GooglePayError
