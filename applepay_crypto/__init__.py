"""Verify and decrypt Apple Pay payment tokens (EC_v1 and RSA_v1).

The short path::

    from applepay_crypto import MerchantKey, TokenDecryptor

    decryptor = TokenDecryptor(MerchantKey.load("key.pem", certificate="cert.pem"))
    result = decryptor.decrypt(token_json)
    result.payment_data.pan, result.payment_data.online_payment_cryptogram
"""

from .decryptor import DecryptedToken, TokenDecryptor, decrypt_token, verify_token
from .errors import (
    ApplePayError,
    CertificateInvalidError,
    ConfigurationError,
    DecryptionFailedError,
    KeyNotFoundError,
    MalformedTokenError,
    OutputExistsError,
    ReplayedTransactionError,
    SignatureInvalidError,
    SigningTimeOutOfWindowError,
    TrustRootMissingError,
    UnsupportedVersionError,
    UntrustedRootError,
)
from .keys import InsecureKeyFileWarning, Keyring, MerchantKey
from .payment_data import PaymentData
from .replay import MemoryReplayGuard, ReplayGuard, ReplayGuardUnavailableError, SQLiteReplayGuard
from .signature import DEFAULT_MAX_AGE, TokenVerifier, VerifiedSignature
from .token import PaymentToken, parse_token, read_token
from .trust import TrustStore, install_apple_root, load_apple_root

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MAX_AGE",
    "ApplePayError",
    "CertificateInvalidError",
    "ConfigurationError",
    "DecryptedToken",
    "DecryptionFailedError",
    "InsecureKeyFileWarning",
    "KeyNotFoundError",
    "Keyring",
    "MalformedTokenError",
    "MemoryReplayGuard",
    "MerchantKey",
    "OutputExistsError",
    "PaymentData",
    "PaymentToken",
    "ReplayGuard",
    "ReplayGuardUnavailableError",
    "ReplayedTransactionError",
    "SQLiteReplayGuard",
    "SignatureInvalidError",
    "SigningTimeOutOfWindowError",
    "TokenDecryptor",
    "TokenVerifier",
    "TrustRootMissingError",
    "TrustStore",
    "UnsupportedVersionError",
    "UntrustedRootError",
    "VerifiedSignature",
    "decrypt_token",
    "install_apple_root",
    "load_apple_root",
    "parse_token",
    "read_token",
    "verify_token",
]
