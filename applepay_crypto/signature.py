"""Apple's signature verification, one named function per step.

Apple's "Payment token format reference", step 1:

  a. the leaf and intermediate certificates carry Apple's OIDs   -> check_certificate_oids
  b. the root is Apple Root CA - G3 (pinned)                     -> TrustStore (trust.py)
  c. a valid chain leaf -> intermediate -> root at signing time  -> TrustStore.validate_chain
  d. the signature is valid: messageDigest, then the signature   -> check_message_digest,
                                                                    check_signer_signature
  e. the signing time is within a few minutes of "now"           -> check_signing_time

The CMS is parsed with asn1crypto, which reads Apple's BER (indefinite lengths) and
keeps the original bytes; every primitive is cryptography's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ObjectIdentifier

from .errors import CertificateInvalidError, SignatureInvalidError, SigningTimeOutOfWindowError
from .token import PaymentToken
from .trust import TrustStore

__all__ = [
    "DEFAULT_MAX_AGE",
    "INTERMEDIATE_OID",
    "LEAF_OID",
    "SignedData",
    "TokenVerifier",
    "VerifiedSignature",
    "check_certificate_oids",
    "check_message_digest",
    "check_signer_signature",
    "check_signing_time",
    "parse_signed_data",
]

LEAF_OID = ObjectIdentifier("1.2.840.113635.100.6.29")
INTERMEDIATE_OID = ObjectIdentifier("1.2.840.113635.100.6.2.14")
#: Apple: "within a few minutes"; its current text says 5.
DEFAULT_MAX_AGE = dt.timedelta(minutes=5)

_ECDSA_ALGORITHMS = {"sha256_ecdsa", "ecdsa"}
_RSA_ALGORITHMS = {"sha256_rsa", "rsassa_pkcs1v15"}
_ASN1_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError)


@dataclass(frozen=True)
class SignedData:
    """What the verifier needs from the CMS, pulled out once."""

    certificates: tuple[bytes, ...]
    signer_issuer: bytes  # DER of the SignerInfo's issuer Name
    signer_serial: int
    digest_algorithm: str
    signature_algorithm: str
    signature: bytes
    signed_attributes: bytes  # DER, re-tagged as SET OF (0x31): what was signed
    content_type: str | None
    message_digest: bytes | None
    signing_time: dt.datetime | None
    algorithm_protection: tuple[str, str] | None  # (digest, signature) per RFC 6211


@dataclass(frozen=True, repr=False)
class VerifiedSignature:
    """A token whose signature checked out: when Apple signed it and with which chain."""

    signing_time: dt.datetime
    chain: tuple[x509.Certificate, ...]

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def environment(self) -> str:
        return environment_of(self.leaf)

    def __repr__(self) -> str:
        return (
            f"VerifiedSignature(signing_time={self.signing_time.isoformat()!r}, "
            f"environment={self.environment!r})"
        )


def environment_of(leaf: x509.Certificate) -> str:
    """``sandbox``, ``production`` (or ``test``), from the signing certificate's common name."""
    names = leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    name = str(names[0].value).upper() if names else ""
    if name.endswith("SANDBOX"):
        return "sandbox"
    if name.endswith("PROD"):
        return "production"
    if name.endswith("TEST"):  # applepay_crypto.testing's authority
        return "test"
    return "unknown"


def _fail(message: str, step: str = "1.d signature") -> SignatureInvalidError:
    return SignatureInvalidError(message, step=step)


def parse_signed_data(signature: bytes) -> SignedData:
    """Read the detached CMS SignedData (BER) and check its shape: one signer, no content."""
    try:
        return _parse_signed_data(signature)
    except SignatureInvalidError:
        raise
    except _ASN1_ERRORS:
        raise _fail("the signature is not a readable CMS SignedData structure", "1 CMS") from None


def _parse_signed_data(signature: bytes) -> SignedData:
    info = cms.ContentInfo.load(signature, strict=True)
    if info["content_type"].native != "signed_data":
        raise _fail("the signature is not a CMS SignedData", "1 CMS")
    signed = info["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].native != "data" or encap["content"].native is not None:
        raise _fail("the signature must be detached over id-data content", "1 CMS")
    signers = signed["signer_infos"]
    if len(signers) != 1:
        raise _fail(f"the signature has {len(signers)} signers; Apple's has exactly one", "1 CMS")
    signer = signers[0]
    sid = signer["sid"]
    if sid.name != "issuer_and_serial_number":
        raise _fail("the signer is not identified by issuer and serial number", "1 CMS")
    certificates = tuple(
        choice.chosen.dump() for choice in signed["certificates"] if choice.name == "certificate"
    )
    signed_attrs = signer["signed_attrs"]
    if not signed_attrs.contents:
        raise _fail("the signature has no signed attributes", "1 CMS")
    attributes = _attributes(signed_attrs)
    protection = attributes.get("cms_algorithm_protection")
    return SignedData(
        certificates=certificates,
        signer_issuer=sid.chosen["issuer"].dump(),
        signer_serial=sid.chosen["serial_number"].native,
        digest_algorithm=signer["digest_algorithm"]["algorithm"].native,
        signature_algorithm=signer["signature_algorithm"]["algorithm"].native,
        signature=signer["signature"].native,
        # The signature covers the DER encoding of the attributes with the SET OF tag,
        # not the [0] IMPLICIT tag they carry inside SignerInfo (RFC 5652, 5.4).
        signed_attributes=signed_attrs.untag().dump(force=True),
        content_type=attributes["content_type"].native if "content_type" in attributes else None,
        message_digest=attributes["message_digest"].native
        if "message_digest" in attributes
        else None,
        signing_time=attributes["signing_time"].native if "signing_time" in attributes else None,
        algorithm_protection=(
            (
                protection["digest_algorithm"]["algorithm"].native,
                protection["signature_algorithm"]["algorithm"].native,
            )
            if protection is not None
            else None
        ),
    )


def _attributes(signed_attrs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for attribute in signed_attrs:
        name = attribute["type"].native
        values = attribute["values"]
        if name in found or len(values) != 1:
            raise _fail(f"signed attribute {name} must appear once with one value", "1 CMS")
        found[name] = values[0]
    return found


def signing_time_of(signed: SignedData) -> dt.datetime:
    if signed.signing_time is None:
        raise _fail("the signature has no signing-time attribute", "1.e signing time")
    return signed.signing_time.astimezone(dt.timezone.utc)


def select_certificates(
    signed: SignedData, parse: Any = x509.load_der_x509_certificate
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signer's certificate (by issuer and serial) and the others, as intermediates."""
    try:
        certs = [parse(der) for der in signed.certificates]
    except ValueError:
        raise CertificateInvalidError(
            "a certificate in the signature is unreadable", step="1.a OIDs"
        ) from None
    matches = [
        c
        for c in certs
        if c.serial_number == signed.signer_serial
        and c.issuer.public_bytes() == signed.signer_issuer
    ]
    if len(matches) != 1:
        raise _fail(
            f"{len(matches)} certificates match the signer's issuer and serial; expected one",
            "1 CMS",
        )
    leaf = matches[0]
    return leaf, [c for c in certs if c is not leaf]


def _has_extension(cert: x509.Certificate, oid: ObjectIdentifier) -> bool:
    try:
        cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return False
    return True


def check_certificate_oids(
    leaf: x509.Certificate, others: list[x509.Certificate]
) -> x509.Certificate:
    """Step 1.a: the signer carries 1.2.840.113635.100.6.29 and an intermediate
    carries 1.2.840.113635.100.6.2.14 (presence matters, not value). Returns the intermediate."""
    if not _has_extension(leaf, LEAF_OID):
        raise CertificateInvalidError(
            f"the signing certificate lacks Apple's leaf extension {LEAF_OID.dotted_string}",
            step="1.a OIDs",
        )
    for cert in others:
        if _has_extension(cert, INTERMEDIATE_OID) and leaf.issuer == cert.subject:
            return cert
    raise CertificateInvalidError(
        f"no intermediate certificate issuing the signer carries Apple's extension "
        f"{INTERMEDIATE_OID.dotted_string}",
        step="1.a OIDs",
    )


def check_message_digest(signed: SignedData, token: PaymentToken) -> None:
    """Step 1.d, first half: messageDigest = SHA-256(key material || data || transactionId
    [|| applicationData]) and the attributes name id-data and SHA-256."""
    if signed.digest_algorithm != "sha256":
        raise _fail(f"the signer's digest algorithm is {signed.digest_algorithm}, not SHA-256")
    if signed.content_type != "data":
        raise _fail("the content-type signed attribute is missing or not id-data")
    if signed.message_digest is None:
        raise _fail("the signature has no message-digest attribute")
    expected = hashlib.sha256(token.signed_content()).digest()
    if not hmac.compare_digest(signed.message_digest, expected):
        raise _fail(
            "the message digest does not match the token's data, header key, transactionId"
            + (" and applicationData" if token.application_data is not None else "")
            + ": the token was altered"
        )


def check_signer_signature(signed: SignedData, leaf: x509.Certificate) -> None:
    """Step 1.d, second half: the signer's signature over the DER signed attributes."""
    if signed.algorithm_protection is not None and signed.algorithm_protection != (
        signed.digest_algorithm,
        signed.signature_algorithm,
    ):
        raise _fail("the CMS algorithm protection attribute disagrees with the signer's algorithms")
    public_key = leaf.public_key()
    try:
        if signed.signature_algorithm in _ECDSA_ALGORITHMS and isinstance(
            public_key, ec.EllipticCurvePublicKey
        ):
            public_key.verify(signed.signature, signed.signed_attributes, ec.ECDSA(hashes.SHA256()))
        elif signed.signature_algorithm in _RSA_ALGORITHMS and isinstance(
            public_key, rsa.RSAPublicKey
        ):
            public_key.verify(
                signed.signature, signed.signed_attributes, padding.PKCS1v15(), hashes.SHA256()
            )
        else:
            raise _fail(
                f"signature algorithm {signed.signature_algorithm} does not fit the signer's "
                f"{type(public_key).__name__.replace('PublicKey', '')} key"
            )
    except InvalidSignature:
        raise _fail("the signature over the signed attributes does not verify") from None


def check_signing_time(signing_time: dt.datetime, now: dt.datetime, max_age: dt.timedelta) -> None:
    """Step 1.e: the signing time is within ``max_age`` of ``now``, on either side."""
    skew = now - signing_time
    if abs(skew) > max_age:
        direction = "before" if skew > dt.timedelta(0) else "after"
        raise SigningTimeOutOfWindowError(
            f"the token was signed at {signing_time.isoformat()}, {_human(abs(skew))} {direction} "
            f"the verification time {now.isoformat()}; the window is {_human(max_age)}",
            step="1.e signing time",
        )


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds} s"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class TokenVerifier:
    """Runs Apple's step 1 on tokens; configure once, call :meth:`verify` per token."""

    def __init__(
        self,
        trust: TrustStore,
        *,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        clock: Any = utc_now,
        certificate_cache_size: int = 256,
    ) -> None:
        if max_age < dt.timedelta(0):
            raise ValueError("max_age must not be negative")
        self.trust = trust
        self.max_age = max_age
        self.clock = clock
        self._certs: OrderedDict[bytes, x509.Certificate] = OrderedDict()
        self._cert_cache_size = certificate_cache_size
        self._lock = threading.Lock()

    def verify(self, token: PaymentToken, *, now: dt.datetime | None = None) -> VerifiedSignature:
        signed = parse_signed_data(token.signature)
        leaf, others = select_certificates(signed, self._certificate)
        intermediate = check_certificate_oids(leaf, others)
        signing_time = signing_time_of(signed)
        chain = self.trust.validate_chain(leaf, [intermediate], signing_time)
        check_message_digest(signed, token)
        check_signer_signature(signed, leaf)
        check_signing_time(
            signing_time, _aware(now) if now is not None else self.clock(), self.max_age
        )
        return VerifiedSignature(signing_time=signing_time, chain=chain)

    def _certificate(self, der: bytes) -> x509.Certificate:
        """Parse a certificate once: the same Apple certificates arrive in every token."""
        with self._lock:
            cert = self._certs.get(der)
        if cert is None:
            cert = x509.load_der_x509_certificate(der)
            with self._lock:
                self._certs[der] = cert
                while len(self._certs) > self._cert_cache_size:
                    self._certs.popitem(last=False)
        return cert


def _aware(moment: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
