"""Apple's side of the portal, simulated (issue #14): a CSR in, a certificate out, as
Apple's developer portal issues the payment processing and the merchant identity
certificate, so that CSR -> ``.cer`` -> ``cert convert`` -> PEM/.p12 runs offline.

What the certificates carry is what this package reads from Apple's and checks (see
docs/certificates.md): the common name ``Apple Pay Payment Processing:<id>`` or ``Apple Pay
Merchant Identity:<id>``, the merchant id as subject UID and, hex SHA-256 of it, in
extension 1.2.840.113635.100.6.32; the identity certificate may do TLS client
authentication. They are signed by the test root, not by Apple's WWDR CA, and are written
as DER, as Apple's ``.cer`` downloads are.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..errors import ConfigurationError
from .authority import TestAuthority
from .merchant import merchant_identity_certificate, payment_processing_certificate

__all__ = ["CERTIFICATE_FILE_NAMES", "DEFAULT_DAYS", "issue_from_csr", "read_csr"]

Purpose = Literal["processing", "identity"]

#: 25 months less a day, as the real payment processing certificate in ../shared/vectors/real
#: (2023-09-12 .. 2025-10-11); inferred from that certificate, not documented by Apple.
DEFAULT_DAYS = 760
#: The names Apple's portal gives the downloads (the file names are what merchants report).
CERTIFICATE_FILE_NAMES = {"processing": "apple_pay.cer", "identity": "merchant_id.cer"}
_MERCHANT_ID = re.compile(r"merchant\.[A-Za-z0-9._-]+")


def read_csr(raw: bytes) -> x509.CertificateSigningRequest:
    """A CSR from PEM or DER bytes whose signature verifies (the portal checks it too)."""
    load = x509.load_pem_x509_csr if b"-----BEGIN" in raw else x509.load_der_x509_csr
    try:
        csr = load(raw)
        csr.public_key()
        valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigurationError("not a readable certificate signing request (PEM, DER)") from None
    if not valid:
        raise ConfigurationError("the CSR's signature does not verify: its key did not sign it")
    return csr


def issue_from_csr(
    csr: x509.CertificateSigningRequest,
    *,
    authority: TestAuthority,
    purpose: Purpose | None = None,
    merchant_id: str | None = None,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """The certificate Apple's portal would issue for ``csr``, signed by ``authority``.

    ``purpose`` defaults to processing for an EC key and identity for an RSA key (as
    ``keys new``); the merchant id defaults to the CSR's common name (``keys new`` puts it
    there). Apple's rules on the key are kept: processing takes EC P-256 or RSA-2048,
    identity RSA-2048 only."""
    public_key = csr.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ConfigurationError("the CSR's key is neither EC nor RSA: Apple issues neither")
    chosen: Purpose = purpose or (
        "processing" if isinstance(public_key, ec.EllipticCurvePublicKey) else "identity"
    )
    _check_key(public_key, chosen)
    identifier = merchant_id or _merchant_id_from(csr)
    if not _MERCHANT_ID.fullmatch(identifier):
        raise ConfigurationError(
            f"{identifier!r} is not a merchant identifier such as merchant.com.example"
        )
    if chosen == "processing":
        return payment_processing_certificate(
            public_key, merchant_id=identifier, authority=authority, days=days, now=now
        )
    assert isinstance(public_key, rsa.RSAPublicKey)
    return merchant_identity_certificate(
        public_key, merchant_id=identifier, authority=authority, days=days, now=now
    )


def _check_key(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey, purpose: Purpose) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if purpose == "identity":
            raise ConfigurationError(
                "Apple issues merchant identity certificates for RSA-2048 keys only"
            )
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise ConfigurationError("Apple's payment processing keys are EC P-256")
    elif public_key.key_size != 2048:
        raise ConfigurationError(f"Apple takes RSA-2048 keys, not RSA-{public_key.key_size}")


def _merchant_id_from(csr: x509.CertificateSigningRequest) -> str:
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = str(names[0].value) if names else ""
    if not _MERCHANT_ID.fullmatch(value):
        raise ConfigurationError(
            "the CSR's common name is not a merchant identifier: give --merchant-id "
            "(the merchant id the certificate is for, as chosen in Apple's portal)"
        )
    return value
