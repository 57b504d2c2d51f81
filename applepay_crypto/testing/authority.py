"""A test authority shaped like Apple's: P-384 root, P-256 intermediate, signing leaves.

Apple's chain: Apple Root CA - G3 (P-384) -> Apple Application Integration CA - G3
(P-256, extension 1.2.840.113635.100.6.2.14) -> ecc-smp-broker-sign (P-256, extension
1.2.840.113635.100.6.29; RSA_v1 tokens are signed by an RSA-2048 rsa-smp-broker-sign).
The test authority mirrors the extensions, key usages and key identifiers, so a token
minted here goes through exactly the checks a real one does, against a test root.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..keys import MerchantPrivateKey, load_certificate, load_private_key, save_private_key
from ..signature import INTERMEDIATE_OID, LEAF_OID
from ..trust import TrustStore

__all__ = ["CertifiedKey", "TestAuthority"]

_NULL = b"\x05\x00"  # Apple's marker extensions carry an ASN.1 NULL
_DAY = dt.timedelta(days=1)
#: File stem of each certificate (STEM.pem) and key (STEM.key) in a saved authority.
_FILES = {
    "root": "root",
    "intermediate": "intermediate",
    "ec_leaf": "leaf-ec",
    "rsa_leaf": "leaf-rsa",
}


@dataclass(frozen=True, repr=False)
class CertifiedKey:
    certificate: x509.Certificate
    private_key: MerchantPrivateKey

    def __repr__(self) -> str:
        return f"CertifiedKey({self.certificate.subject.rfc4514_string()!r})"


def _name(common_name: str, unit: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "applepay-crypto test authority"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    *,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    issuer: CertifiedKey | None,
    signing_key: MerchantPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ca: bool,
    marker_oid: x509.ObjectIdentifier | None = None,
    extra: tuple[x509.ExtensionType, ...] = (),
) -> x509.Certificate:
    """One certificate in Apple's style (also used for stand-in merchant certificates)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=0 if ca and issuer else None), critical=True
        )
        .add_extension(_key_usage(signing=not ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.certificate.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    if marker_oid is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(marker_oid, _NULL), critical=False
        )
    for extension in extra:
        builder = builder.add_extension(extension, critical=False)
    algorithm = (
        hashes.SHA384()
        if isinstance(signing_key, ec.EllipticCurvePrivateKey)
        and isinstance(signing_key.curve, ec.SECP384R1)
        else hashes.SHA256()
    )
    return builder.sign(signing_key, algorithm)


@dataclass(frozen=True, repr=False)
class TestAuthority:
    """Root, intermediate and the two signing leaves (EC for EC_v1, RSA for RSA_v1)."""

    root: CertifiedKey
    intermediate: CertifiedKey
    ec_leaf: CertifiedKey
    rsa_leaf: CertifiedKey

    __test__ = False  # not a pytest test class

    @classmethod
    def create(
        cls,
        *,
        not_before: dt.datetime | None = None,
        years: int = 20,
        intermediate_oid: bool = True,
        leaf_oid: bool = True,
        root: CertifiedKey | None = None,
    ) -> TestAuthority:
        """A fresh authority valid from ``not_before`` (default: a year ago) for ``years``.

        ``intermediate_oid``/``leaf_oid`` switch Apple's marker extensions off, and ``root``
        reuses an existing root: both exist to mint tokens that must be rejected.
        """
        start = not_before or dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=365)
        end = start + dt.timedelta(days=365 * years)
        if root is None:
            root_key = ec.generate_private_key(ec.SECP384R1())
            root_cert = issue_certificate(
                subject=_name("Test Root CA - G3", "Test Certification Authority"),
                public_key=root_key.public_key(),
                issuer=None,
                signing_key=root_key,
                not_before=start,
                not_after=end,
                ca=True,
            )
            root = CertifiedKey(root_cert, root_key)
        inter_key = ec.generate_private_key(ec.SECP256R1())
        intermediate = CertifiedKey(
            issue_certificate(
                subject=_name(
                    "Test Application Integration CA - G3", "Test Certification Authority"
                ),
                public_key=inter_key.public_key(),
                issuer=root,
                signing_key=root.private_key,
                not_before=start,
                not_after=end,
                ca=True,
                marker_oid=INTERMEDIATE_OID if intermediate_oid else None,
            ),
            inter_key,
        )
        authority = cls(root, intermediate, intermediate, intermediate)
        return authority.with_leaves(not_before=start, not_after=end - _DAY, leaf_oid=leaf_oid)

    def with_leaves(
        self, *, not_before: dt.datetime, not_after: dt.datetime, leaf_oid: bool = True
    ) -> TestAuthority:
        """The same root and intermediate with new signing leaves (e.g. already expired)."""
        leaves = []
        for kind, key in (
            ("ecc", ec.generate_private_key(ec.SECP256R1())),
            ("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        ):
            cert = issue_certificate(
                subject=_name(f"{kind}-smp-broker-sign_UC4-TEST", "Test Systems"),
                public_key=key.public_key(),
                issuer=self.intermediate,
                signing_key=self.intermediate.private_key,
                not_before=not_before,
                not_after=not_after,
                ca=False,
                marker_oid=LEAF_OID if leaf_oid else None,
            )
            leaves.append(CertifiedKey(cert, key))
        return replace(self, ec_leaf=leaves[0], rsa_leaf=leaves[1])

    def leaf_for(self, version: str) -> CertifiedKey:
        """Apple signs EC_v1 tokens with an EC leaf and RSA_v1 tokens with an RSA leaf."""
        return self.rsa_leaf if version == "RSA_v1" else self.ec_leaf

    def trust_store(self) -> TrustStore:
        return TrustStore.for_test_roots([self.root.certificate])

    def save(self, directory: str | os.PathLike[str]) -> Path:
        """``NAME.pem`` certificates and ``NAME.key`` private keys (mode 0600)."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for attribute, stem in _FILES.items():
            pair: CertifiedKey = getattr(self, attribute)
            (target / f"{stem}.pem").write_bytes(
                pair.certificate.public_bytes(serialization.Encoding.PEM)
            )
            save_private_key(pair.private_key, target / f"{stem}.key")
        return target

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TestAuthority:
        source = Path(directory)
        pairs = {
            attribute: CertifiedKey(
                load_certificate(source / f"{stem}.pem"), load_private_key(source / f"{stem}.key")
            )
            for attribute, stem in _FILES.items()
        }
        return cls(**pairs)

    def __repr__(self) -> str:
        return f"TestAuthority(root={self.root.certificate.subject.rfc4514_string()!r})"
