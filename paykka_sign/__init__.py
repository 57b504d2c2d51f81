"""Sign and verify PayKKa (v1.2, v3) and YabandPay messages; build their Apple Pay requests.

The short path::

    from paykka_sign import PaykkaV12Signer, read_private_key

    signer = PaykkaV12Signer(read_private_key("merchant-key.pem"))
    signed = signer.sign(body_bytes)          # merchant_id and timestamp read from the body
    requests.post(url, data=signed.body, headers={**signed.headers, "content-type": ...})
"""

import logging as _logging

from .applepay_requests import (
    TokenDataEncoding,
    check_order,
    mask_request,
    paykka_decrypted_payment,
    paykka_payment_request,
    paykka_token_payment,
    payment_data_json,
    yabandpay_applepay_request,
)
from .clock import DEFAULT_WINDOW
from .currency import Currency, by_alpha, by_numeric, format_minor_units
from .errors import (
    AmountMismatchError,
    BodyFieldMismatchError,
    CurrencyMismatchError,
    HttpStatusError,
    InvalidArgumentError,
    InvalidHeaderError,
    InvalidKeyError,
    MalformedBodyError,
    MissingDependencyError,
    MissingFieldError,
    NetworkError,
    OutputExistsError,
    PaykkaSignError,
    PspRefusedError,
    RecipientMismatchError,
    ReplayedNonceError,
    SignatureInvalidError,
    TimestampOutOfWindowError,
    UnknownCurrencyError,
    UnsupportedTokenError,
)
from .googlepay_requests import (
    GOOGLE_PAY_FIELDS,
    paykka_googlepay_decrypted_payment,
    paykka_googlepay_token_payment,
)
from .keys import (
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_base64,
    public_key_pem,
    read_private_key,
    read_public_key,
    write_private_key,
)
from .messages import SignedRequest, VerifiedMessage
from .paykka import v3_string_to_sign, v12_string_to_sign
from .paykka_v3 import PaykkaV3Signer, PaykkaV3Verifier
from .paykka_v12 import PaykkaV12Signer, PaykkaV12Verifier
from .replay import InMemoryNonceStore, NonceStore
from .yabandpay import (
    EmptyValues,
    YabandPaySigner,
    notification_string_to_sign,
    request_string_to_sign,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_WINDOW",
    "GOOGLE_PAY_FIELDS",
    "AmountMismatchError",
    "BodyFieldMismatchError",
    "Currency",
    "CurrencyMismatchError",
    "EmptyValues",
    "HttpStatusError",
    "InMemoryNonceStore",
    "InvalidArgumentError",
    "InvalidHeaderError",
    "InvalidKeyError",
    "MalformedBodyError",
    "MissingDependencyError",
    "MissingFieldError",
    "NetworkError",
    "NonceStore",
    "OutputExistsError",
    "PaykkaSignError",
    "PaykkaV3Signer",
    "PaykkaV3Verifier",
    "PaykkaV12Signer",
    "PaykkaV12Verifier",
    "PspRefusedError",
    "RecipientMismatchError",
    "ReplayedNonceError",
    "SignatureInvalidError",
    "SignedRequest",
    "TimestampOutOfWindowError",
    "TokenDataEncoding",
    "UnknownCurrencyError",
    "UnsupportedTokenError",
    "VerifiedMessage",
    "YabandPaySigner",
    "by_alpha",
    "by_numeric",
    "check_order",
    "format_minor_units",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "mask_request",
    "notification_string_to_sign",
    "paykka_decrypted_payment",
    "paykka_googlepay_decrypted_payment",
    "paykka_googlepay_token_payment",
    "paykka_payment_request",
    "paykka_token_payment",
    "payment_data_json",
    "private_key_pem",
    "public_key_base64",
    "public_key_pem",
    "read_private_key",
    "read_public_key",
    "request_string_to_sign",
    "v3_string_to_sign",
    "v12_string_to_sign",
    "write_private_key",
    "yabandpay_applepay_request",
]

# A library never configures logging: records go nowhere until the application does
# (and never to stderr through logging's last-resort handler). docs/paykka-sign.md, "Logging".
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
