"""Verify and decrypt Google Pay payment method tokens (ECv1, ECv2, ECv2SigningOnly).

The short path::

    from googlepay_crypto import Recipient, RootKeyFetcher, read_merchant_key

    recipient = Recipient(
        "merchant:12345678901234567890",
        private_keys=[read_merchant_key("merchant-key.pem")],
        root_keys=RootKeyFetcher.production(),
    )
    payment = recipient.unseal(token_json)
    payment.pan, payment.expiration_month, payment.cryptogram
"""

from .describe import describe_token
from .errors import (
    ConfigurationError,
    DecryptionFailedError,
    EphemeralKeyInvalidError,
    GooglePayError,
    IntermediateKeyExpiredError,
    IntermediateSignatureError,
    InternalError,
    InvalidJsonError,
    KeyOperationError,
    MalformedEncryptedMessageError,
    MalformedPaymentDataError,
    MalformedTokenError,
    MessageExpiredError,
    NoRootKeysError,
    ProtocolVersionMismatchError,
    RootKeysError,
    RootKeysUnavailableError,
    SignatureInvalidError,
    TagMismatchError,
    UnsupportedProtocolVersionError,
)
from .keys import KeyAgreement, load_merchant_key, read_merchant_key
from .payment_data import CardPaymentData, NetworkTokenPaymentData, PaymentData
from .recipient import GOOGLE_SENDER_ID, PROTOCOL_VERSIONS, Recipient
from .results import UnsealedToken, VerifiedToken
from .root_keys import (
    PRODUCTION_KEYS_URL,
    TEST_KEYS_URL,
    RootKeyFetcher,
    RootKeySource,
    RootSigningKey,
    RootSigningKeys,
    load_root_keys,
    parse_root_keys,
)

__version__ = "0.1.0"

__all__ = [
    "GOOGLE_SENDER_ID",
    "PRODUCTION_KEYS_URL",
    "PROTOCOL_VERSIONS",
    "TEST_KEYS_URL",
    "CardPaymentData",
    "ConfigurationError",
    "DecryptionFailedError",
    "EphemeralKeyInvalidError",
    "GooglePayError",
    "IntermediateKeyExpiredError",
    "IntermediateSignatureError",
    "InternalError",
    "InvalidJsonError",
    "KeyAgreement",
    "KeyOperationError",
    "MalformedEncryptedMessageError",
    "MalformedPaymentDataError",
    "MalformedTokenError",
    "MessageExpiredError",
    "NetworkTokenPaymentData",
    "NoRootKeysError",
    "PaymentData",
    "ProtocolVersionMismatchError",
    "Recipient",
    "RootKeyFetcher",
    "RootKeySource",
    "RootKeysError",
    "RootKeysUnavailableError",
    "RootSigningKey",
    "RootSigningKeys",
    "SignatureInvalidError",
    "TagMismatchError",
    "UnsealedToken",
    "UnsupportedProtocolVersionError",
    "VerifiedToken",
    "describe_token",
    "load_merchant_key",
    "load_root_keys",
    "parse_root_keys",
    "read_merchant_key",
]
