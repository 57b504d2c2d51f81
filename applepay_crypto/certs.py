"""Merchant key pairs and the certificate signing requests Apple asks for.

Apple's portal takes a CSR and returns a ``.cer``:
- payment processing certificate: EC P-256 key (RSA-2048 for RSA_v1, China);
- merchant identity certificate: RSA-2048 key, a TLS client certificate for merchant
  validation.
"""

from __future__ import annotations

from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .keys import MerchantPrivateKey

__all__ = ["KeyType", "certificate_signing_request", "new_private_key"]

KeyType = Literal["ec", "rsa"]


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
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, merchant_id)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    if country:
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(key, hashes.SHA256())
    )
