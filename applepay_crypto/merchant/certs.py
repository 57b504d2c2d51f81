"""Merchant key pairs, the CSRs Apple asks for, and what a certificate is.

Apple's portal takes a CSR and returns a ``.cer``:
- payment processing certificate: EC P-256 key (RSA-2048 for RSA_v1, China);
- merchant identity certificate: RSA-2048 key, a TLS client certificate for merchant
  validation.

Telling the two apart matters because the most common Apple Pay support question is a token
that "will not decrypt" with the identity certificate's key. Both kinds carry the subject
UID (the merchant identifier) and, as far as public samples show, the merchant id extension
1.2.840.113635.100.6.32, so :func:`classify_certificate` reads the common name first
("Apple Pay Payment Processing:<id>" / "Apple Pay Merchant Identity:<id>") and falls back to
key usages and key type for older certificates named "Merchant ID: <id>".
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import ConfigurationError
from ..keys import MERCHANT_ID_OID, MerchantPrivateKey, public_key_hash
from ..keys.identity import subject_text
from ..moments import utc_moment
from ..signature import INTERMEDIATE_OID, LEAF_OID
from ..trust import is_apple_root

__all__ = [
    "CertificateKind",
    "Classification",
    "KeyType",
    "Purpose",
    "certificate_public_key",
    "certificate_public_key_hash",
    "certificate_signing_request",
    "classify_certificate",
    "common_name",
    "days_left",
    "describe_key",
    "key_belongs_to",
    "new_private_key",
]

KeyType = Literal["ec", "rsa"]
#: What a merchant key is for: decrypting tokens, or TLS to Apple for merchant sessions.
Purpose = Literal["processing", "identity"]
CertificateKind = Literal[
    "payment_processing", "merchant_identity", "apple_ca", "apple_token_signing", "other"
]

PROCESSING_CN_PREFIX = "Apple Pay Payment Processing:"
IDENTITY_CN_PREFIX = "Apple Pay Merchant Identity:"
#: The older common name, used for both kinds (the 2014 SeatGeek processing cert has it).
LEGACY_CN_PREFIX = "Merchant ID:"

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def new_private_key(key_type: KeyType) -> MerchantPrivateKey:
    """EC P-256 or RSA-2048, the two kinds of key Apple certifies for merchants."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key type must be 'ec' or 'rsa', not {key_type!r}")


def certificate_signing_request(
    key: MerchantPrivateKey,
    *,
    merchant_id: str,
    organization: str | None = None,
    email: str | None = None,
    country: str | None = None,
) -> x509.CertificateSigningRequest:
    """A SHA-256 CSR to upload in Apple's developer portal (Apple only reads the key)."""
    subject = csr_subject(
        merchant_id=merchant_id, organization=organization, email=email, country=country
    )
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def csr_subject(
    *,
    merchant_id: str,
    organization: str | None = None,
    email: str | None = None,
    country: str | None = None,
) -> x509.Name:
    """The subject of the CSR Apple asks for: CN = the merchant id, then O, emailAddress
    and C when given. One builder for a key file (:func:`certificate_signing_request`) and
    a key in a PKCS#11 token (:func:`applepay_crypto.keys.pkcs11.certificate_signing_request`),
    so that both keys get the same CSR."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, merchant_id)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    if country:
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    return x509.Name(attributes)


def describe_key(key: MerchantPrivateKey | PublicKey) -> str:
    """``EC P-256`` or ``RSA-2048``: how Apple's portal names key kinds."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return {"secp256r1": "EC P-256", "secp384r1": "EC P-384"}.get(
            key.curve.name, f"EC {key.curve.name}"
        )
    return f"RSA-{key.key_size}"


def certificate_public_key(certificate: x509.Certificate) -> PublicKey:
    """The certificate's key, refusing kinds Apple never certifies for merchants."""
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ConfigurationError(
            f"the certificate holds a {type(key).__name__.replace('PublicKey', '')} key; "
            "Apple Pay merchant certificates hold EC P-256 or RSA keys"
        )
    return key


def certificate_public_key_hash(certificate: x509.Certificate) -> str:
    """The ``header.publicKeyHash`` of tokens encrypted to this certificate (base64)."""
    digest = public_key_hash(certificate_public_key(certificate))
    return base64.b64encode(digest).decode("ascii")


def key_belongs_to(key: MerchantPrivateKey, certificate: x509.Certificate) -> bool:
    """Whether ``key`` is the private half of the certificate's public key."""
    return public_key_hash(key) == public_key_hash(certificate_public_key(certificate))


def common_name(certificate: x509.Certificate) -> str | None:
    return subject_text(certificate, NameOID.COMMON_NAME)


@dataclass(frozen=True)
class Classification:
    """What a certificate is, and the evidence for it (shown to the user: it may be a guess)."""

    kind: CertificateKind
    label: str
    basis: str
    certain: bool


def classify_certificate(certificate: x509.Certificate) -> Classification:
    """Payment processing, merchant identity, Apple CA, Apple token signing, or other."""
    if is_apple_root(certificate):
        return Classification(
            "apple_ca",
            "Apple CA: Apple Root CA - G3",
            "its SHA-256 fingerprint is Apple's (pinned)",
            True,
        )
    if _has_extension(certificate, INTERMEDIATE_OID):
        return Classification(
            "apple_ca",
            "Apple CA: intermediate for Apple Pay",
            f"it carries Apple's extension {INTERMEDIATE_OID.dotted_string} (not verified here)",
            False,
        )
    if _has_extension(certificate, LEAF_OID):
        return Classification(
            "apple_token_signing",
            "Apple's token signing certificate",
            f"it carries Apple's extension {LEAF_OID.dotted_string} (not verified here)",
            False,
        )
    name = common_name(certificate) or ""
    if name.startswith(PROCESSING_CN_PREFIX):
        return _processing(f'its common name starts with "{PROCESSING_CN_PREFIX}"', True)
    if name.startswith(IDENTITY_CN_PREFIX):
        return _identity(f'its common name starts with "{IDENTITY_CN_PREFIX}"', True)
    if _is_merchant_certificate(certificate, name):
        return _guess_merchant_kind(certificate)
    if _is_ca(certificate):
        return Classification(
            "other",
            "a CA certificate",
            "basicConstraints says CA, and it is not Apple's root",
            True,
        )
    return Classification(
        "other",
        "not an Apple Pay certificate",
        "no Apple Pay name, merchant identifier or Apple extension",
        True,
    )


def _processing(basis: str, certain: bool) -> Classification:
    return Classification(
        "payment_processing", "Apple Pay payment processing certificate", basis, certain
    )


def _identity(basis: str, certain: bool) -> Classification:
    return Classification(
        "merchant_identity", "Apple Pay merchant identity certificate", basis, certain
    )


def _is_merchant_certificate(certificate: x509.Certificate, name: str) -> bool:
    uids = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    return (
        _has_extension(certificate, MERCHANT_ID_OID)
        or name.startswith(LEGACY_CN_PREFIX)
        or any(str(uid.value).startswith("merchant.") for uid in uids)
    )


def _guess_merchant_kind(certificate: x509.Certificate) -> Classification:
    """Older merchant certificates share one naming scheme: go by what the key may do."""
    if ExtendedKeyUsageOID.CLIENT_AUTH in _extended_key_usages(certificate):
        return _identity(
            "it is a merchant certificate allowed for TLS client authentication", False
        )
    usage = _key_usage(certificate)
    if (
        usage is not None
        and (usage.key_agreement or usage.key_encipherment)
        and not usage.digital_signature
    ):
        return _processing(
            "it is a merchant certificate whose key may only encrypt or agree keys", False
        )
    if isinstance(certificate.public_key(), ec.EllipticCurvePublicKey):
        return _processing(
            "it is a merchant certificate with an EC key (identity certificates are RSA)", False
        )
    return _identity(
        "it is a merchant certificate with an RSA key; RSA payment processing certificates "
        "exist too (RSA_v1, China)",
        False,
    )


def _has_extension(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> bool:
    try:
        certificate.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return False
    return True


def _extended_key_usages(certificate: x509.Certificate) -> list[x509.ObjectIdentifier]:
    try:
        return list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


def _key_usage(certificate: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def days_left(certificate: x509.Certificate, now: dt.datetime) -> int:
    """Whole days until ``notAfter``; once expired, minus the whole days since, so that
    ``-days_left`` is the N of "expired N days ago" (issue #14; 0 in the first day after
    expiry too: whether it expired is ``now > notAfter``)."""
    if not isinstance(certificate, x509.Certificate):
        raise ConfigurationError("days_left takes an x509.Certificate")
    remaining = certificate.not_valid_after_utc - utc_moment(now)
    if remaining >= dt.timedelta(0):
        return remaining.days
    return -((-remaining).days)
