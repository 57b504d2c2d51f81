"""Verify and decrypt Apple Pay payment tokens (EC_v1 and RSA_v1).

The short path::

    from applepay_crypto import MerchantKey, TokenDecryptor

    decryptor = TokenDecryptor(MerchantKey.load("key.pem", certificate="cert.pem"))
    result = decryptor.decrypt(token_json)
    result.payment_data.pan, result.payment_data.online_payment_cryptogram
"""

import logging as _logging

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

# A library never configures logging: records go nowhere until the application does
# (and never to stderr through logging's last-resort handler). docs: README, "Logging".
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

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
