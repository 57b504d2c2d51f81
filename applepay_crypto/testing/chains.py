"""Certificates of any shape under a test authority, to mint tokens whose chain is wrong.

Apple's path is exactly: signing leaf (end entity, keyUsage digitalSignature, OID
1.2.840.113635.100.6.29) -> intermediate (CA, keyCertSign, OID 1.2.840.113635.100.6.2.14)
-> Apple Root CA - G3. A :class:`Profile` says what one certificate carries; :func:`issue`
makes it under any issuer (or self-signed, with any subject: look-alikes of the root), and
``mint(..., signer=, certificates=)`` puts any list of them into the signature::

    leaf = issue(LEAF, subject=..., issuer=authority.root)        # leaf directly under root
    junk = issue(INTERMEDIATE, subject=authority.root.certificate.subject, issuer=None)
    mint(payload, recipient=m, authority=authority, signer=leaf,
         certificates=[leaf.certificate, junk.certificate])      # review (#11), class 2
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ..signature import INTERMEDIATE_OID, LEAF_OID
from .authority import _NULL, CertifiedKey

__all__ = ["INTERMEDIATE", "KEY_USAGES", "LEAF", "Profile", "issue"]

#: The keyUsage bits, by cryptography's argument names.
KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True)
class Profile:
    """What one certificate carries. ``ca=None``: no basicConstraints; ``key_usage=None``:
    no keyUsage; ``marker``: Apple's OID extension (or none)."""

    ca: bool | None
    key_usage: frozenset[str] | None
    marker: x509.ObjectIdentifier | None
    path_length: int | None = None
    extra: tuple[x509.ExtensionType, ...] = field(default=())


#: Apple's signing leaf and intermediate, as the real ones carry them.
LEAF = Profile(ca=False, key_usage=frozenset({"digital_signature"}), marker=LEAF_OID)
INTERMEDIATE = Profile(
    ca=True, key_usage=frozenset({"key_cert_sign", "crl_sign"}), marker=INTERMEDIATE_OID
)


def _key_usage(bits: frozenset[str]) -> x509.KeyUsage:
    unknown = bits - set(KEY_USAGES)
    if unknown:
        raise ValueError(f"unknown keyUsage bits: {sorted(unknown)}")
    return x509.KeyUsage(
        **{name: name in bits for name in KEY_USAGES}, encipher_only=False, decipher_only=False
    )


def issue(
    profile: Profile,
    *,
    subject: x509.Name,
    issuer: CertifiedKey | None,
    not_before: dt.datetime,
    not_after: dt.datetime,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> CertifiedKey:
    """A P-256 certificate with ``profile``, signed by ``issuer`` (self-signed if ``None``)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if profile.ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(
                ca=profile.ca, path_length=profile.path_length if profile.ca else None
            ),
            critical=True,
        )
    if profile.key_usage is not None:
        builder = builder.add_extension(_key_usage(profile.key_usage), critical=True)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.certificate.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        )
    if profile.marker is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(profile.marker, _NULL), critical=False
        )
    for extension in profile.extra:
        builder = builder.add_extension(extension, critical=False)
    signing_key = issuer.private_key if issuer is not None else key
    algorithm = (
        hashes.SHA384()
        if isinstance(signing_key, ec.EllipticCurvePrivateKey)
        and isinstance(signing_key.curve, ec.SECP384R1)
        else hashes.SHA256()
    )
    return CertifiedKey(builder.sign(signing_key, algorithm), key)
