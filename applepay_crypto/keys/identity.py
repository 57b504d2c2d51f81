"""What names a merchant key: its publicKeyHash, and the merchant identifier and its hash."""

from __future__ import annotations

import hashlib
import warnings

from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ..errors import ConfigurationError
from .files import MerchantPrivateKey

__all__ = [
    "MERCHANT_ID_OID",
    "merchant_id_from_certificate",
    "merchant_id_hash",
    "merchant_id_hash_from_certificate",
    "public_key_hash",
]

# Review (#11), class 10: Apple's payment processing certificates name the merchant in a
# common name "Apple Pay Payment Processing:<merchant id>", longer than X.520's 64
# characters for a long merchant id. cryptography reads such names but warns ("Attribute's
# length must be >= 1 and <= 64, but it was 68") each time this package reads the subject:
# noise on stderr about Apple's certificate, nothing the user can act on. Silenced for
# reads made by this package only (the warning names the reading module).
warnings.filterwarnings(
    "ignore",
    message=r"Attribute's length must be >= \d+ and <= \d+, but it was \d+",
    category=UserWarning,
    module=r"applepay_crypto(\.|$)",
)

#: Payment processing certificate extension holding hex(SHA-256(merchant identifier)).
MERCHANT_ID_OID = ObjectIdentifier("1.2.840.113635.100.6.32")


def public_key_hash(
    key: MerchantPrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
) -> bytes:
    """SHA-256 of the DER SubjectPublicKeyInfo: the raw bytes behind ``header.publicKeyHash``."""
    public = (
        key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else key
    )
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).digest()


def merchant_id_hash(merchant_id: str) -> bytes:
    """EC_v1's KDF party V: SHA-256 of the identifier string, never the string itself."""
    try:
        encoded = merchant_id.encode("utf-8")
    except UnicodeEncodeError:  # review (#11): a lone surrogate (argv bytes that are not UTF-8)
        raise ConfigurationError("the merchant identifier is not valid Unicode") from None
    return hashlib.sha256(encoded).digest()


def merchant_id_hash_from_certificate(certificate: x509.Certificate) -> bytes | None:
    """The 32 bytes in extension 1.2.840.113635.100.6.32 (a UTF8String of 64 hex digits)."""
    try:
        extension = certificate.extensions.get_extension_for_oid(MERCHANT_ID_OID)
    except x509.ExtensionNotFound:
        return None
    value = extension.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    try:
        text = UTF8String.load(raw).native
        digest = bytes.fromhex(text)
    except (ValueError, TypeError):
        raise ConfigurationError(
            "the certificate's merchant identifier extension is not 64 hex digits"
        ) from None
    if len(digest) != 32:
        raise ConfigurationError("the certificate's merchant identifier extension is not a SHA-256")
    return digest


def merchant_id_from_certificate(certificate: x509.Certificate) -> str | None:
    """The merchant identifier string from the certificate subject's UID, when present."""
    return subject_text(certificate, NameOID.USER_ID)


def subject_text(certificate: x509.Certificate, oid: ObjectIdentifier) -> str | None:
    """The first subject attribute ``oid`` of ``certificate`` as text, when present."""
    found = certificate.subject.get_attributes_for_oid(oid)
    if not found:
        return None
    value = found[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")
