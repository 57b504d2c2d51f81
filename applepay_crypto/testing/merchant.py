"""Test merchants: a payment processing key, its CSR and a stand-in certificate.

Apple signs the real payment processing certificate; the stand-in is signed by the test
authority instead but carries what decryption reads from Apple's: the merchant id
extension 1.2.840.113635.100.6.32 (hex SHA-256 of the identifier) and the subject UID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import ConfigurationError
from ..keys import MERCHANT_ID_OID, MerchantKey, MerchantPrivateKey, save_private_key
from ..merchant.certs import KeyType, certificate_signing_request, new_private_key
from .authority import TestAuthority, issue_certificate

__all__ = ["TestMerchant", "merchant_identity_certificate", "payment_processing_certificate"]


def payment_processing_certificate(
    key: MerchantPrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    *,
    merchant_id: str,
    authority: TestAuthority | None,
    team_id: str = "TESTTEAM01",
    days: int = 825,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """A stand-in for Apple's payment processing certificate, signed by the test root.

    With ``authority=None`` the certificate is self-signed by ``key``: decryption reads only
    the key and the merchant id from it, so that is enough where no test root is at hand.
    ``key`` may be a public key (a key held in a PKCS#11 token) when ``authority`` signs.
    """
    return _merchant_certificate(
        key,
        common_name=f"Apple Pay Payment Processing:{merchant_id}",
        merchant_id=merchant_id,
        authority=authority,
        team_id=team_id,
        days=days,
        now=now,
    )


def merchant_identity_certificate(
    key: rsa.RSAPrivateKey | rsa.RSAPublicKey,
    *,
    merchant_id: str,
    authority: TestAuthority,
    team_id: str = "TESTTEAM01",
    days: int = 825,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """A stand-in for Apple's merchant identity certificate (the TLS client certificate of
    merchant sessions), signed by the test root: its common name, subject UID, merchant id
    extension, and the client authentication key usage."""
    return _merchant_certificate(
        key,
        common_name=f"Apple Pay Merchant Identity:{merchant_id}",
        merchant_id=merchant_id,
        authority=authority,
        team_id=team_id,
        days=days,
        now=now,
        extra=(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),),
    )


def _merchant_certificate(
    key: MerchantPrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    *,
    common_name: str,
    merchant_id: str,
    authority: TestAuthority | None,
    team_id: str,
    days: int,
    now: dt.datetime | None,
    extra: tuple[x509.ExtensionType, ...] = (),
) -> x509.Certificate:
    digest = hashlib.sha256(merchant_id.encode("utf-8")).hexdigest().upper()
    moment = now or dt.datetime.now(dt.timezone.utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, merchant_id),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "applepay-crypto test merchant"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )
    if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        # A key held in a token (issue #12), or a CSR's: only its public half is here.
        if authority is None:
            raise ConfigurationError("a certificate for a public key needs the test authority")
        public, signer = key, authority.root.private_key
    else:
        public = key.public_key()
        signer = authority.root.private_key if authority is not None else key
    return issue_certificate(
        subject=subject,
        public_key=public,
        issuer=authority.root if authority is not None else None,
        signing_key=signer,
        not_before=moment - dt.timedelta(days=1),
        not_after=moment + dt.timedelta(days=days),
        ca=False,
        extra=(x509.UnrecognizedExtension(MERCHANT_ID_OID, UTF8String(digest).dump()), *extra),
    )


@dataclass(frozen=True, repr=False)
class TestMerchant:
    """A merchant for tests: key, CSR for Apple, stand-in payment processing certificate."""

    merchant_id: str
    private_key: MerchantPrivateKey
    certificate: x509.Certificate
    csr: x509.CertificateSigningRequest

    __test__ = False  # not a pytest test class

    @classmethod
    def create(
        cls,
        authority: TestAuthority,
        *,
        merchant_id: str = "merchant.com.example.test",
        key_type: KeyType = "ec",
    ) -> TestMerchant:
        key = new_private_key(key_type)
        return cls(
            merchant_id=merchant_id,
            private_key=key,
            certificate=payment_processing_certificate(
                key, merchant_id=merchant_id, authority=authority
            ),
            csr=certificate_signing_request(key, merchant_id=merchant_id),
        )

    @property
    def merchant_key(self) -> MerchantKey:
        return MerchantKey.load(self.private_key, certificate=self.certificate)

    def save(self, directory: str | os.PathLike[str], *, stem: str = "merchant") -> dict[str, Path]:
        """``STEM.key`` (mode 0600), ``STEM.csr`` and ``STEM.pem`` in ``directory``."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = {
            "key": save_private_key(self.private_key, target / f"{stem}.key"),
            "csr": target / f"{stem}.csr",
            "certificate": target / f"{stem}.pem",
        }
        paths["csr"].write_bytes(self.csr.public_bytes(serialization.Encoding.PEM))
        paths["certificate"].write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return paths

    def __repr__(self) -> str:
        return f"TestMerchant({self.merchant_id!r}, {type(self.private_key).__name__})"
