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

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ObjectIdentifier

from ._frozen import build
from ._timetext import utc_text
from .cms import LayoutCache, SignedData, parse_signed_data, warm_up
from .errors import (
    CertificateInvalidError,
    ConfigurationError,
    SignatureInvalidError,
    SigningTimeOutOfWindowError,
)
from .logs import logs_rejections
from .moments import utc_moment
from .token import PaymentToken
from .trust import TrustStore, ValidatedChain

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

_log = logging.getLogger(__name__)

LEAF_OID = ObjectIdentifier("1.2.840.113635.100.6.29")
INTERMEDIATE_OID = ObjectIdentifier("1.2.840.113635.100.6.2.14")
#: Apple: "within a few minutes"; its current text says 5.
DEFAULT_MAX_AGE = dt.timedelta(minutes=5)

_ECDSA_ALGORITHMS = {"sha256_ecdsa", "ecdsa"}
_RSA_ALGORITHMS = {"sha256_rsa", "rsassa_pkcs1v15"}
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


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
            f"VerifiedSignature(signing_time={utc_text(self.signing_time)!r}, "
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


def signing_time_of(signed: SignedData) -> dt.datetime:
    if signed.signing_time is None:
        raise _fail("the signature has no signing-time attribute", "1.e signing time")
    return signed.signing_time.astimezone(dt.timezone.utc)


@contextlib.contextmanager
def readable_certificates(step: str) -> Iterator[None]:
    """cryptography parses certificate fields lazily: a malformed field raises when it is
    first read. Any such failure is the certificate's fault, reported as such."""
    try:
        yield
    # InvalidVersion is not a ValueError (found by fuzzing, #7).
    except (
        ValueError,
        TypeError,
        UnsupportedAlgorithm,
        x509.DuplicateExtension,
        x509.InvalidVersion,
    ):
        raise CertificateInvalidError(
            "a certificate in the signature is malformed", step=step
        ) from None


def select_certificates(signed: SignedData) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signer's certificate (by issuer and serial) and the others, as intermediates."""
    with readable_certificates("1.a OIDs"):
        certs = [x509.load_der_x509_certificate(der) for der in signed.certificates]
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
    with readable_certificates("1.a OIDs"):
        return _check_certificate_oids(leaf, others)


def _check_certificate_oids(
    leaf: x509.Certificate, others: list[x509.Certificate]
) -> x509.Certificate:
    if len(others) != 1:
        # Review (#11): Apple's signature carries exactly the signer and its intermediate;
        # any other certificate could only make the intermediate ambiguous.
        raise CertificateInvalidError(
            f"the signature carries {len(others) + 1} certificates; Apple's carries exactly two, "
            "the signing certificate and its intermediate",
            step="1.a OIDs",
        )
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


def check_signer_signature(
    signed: SignedData,
    leaf: x509.Certificate,
    *,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None,
) -> None:
    """Step 1.d, second half: the signer's signature over the DER signed attributes."""
    if signed.algorithm_protection is not None and signed.algorithm_protection != (
        signed.digest_algorithm,
        signed.signature_algorithm,
    ):
        raise _fail("the CMS algorithm protection attribute disagrees with the signer's algorithms")
    if public_key is None:
        public_key = leaf.public_key()  # type: ignore[assignment]
    kind = _key_kind(type(public_key))  # type: ignore[arg-type]
    try:
        if kind == "ec" and signed.signature_algorithm in _ECDSA_ALGORITHMS:
            cast(ec.EllipticCurvePublicKey, public_key).verify(
                signed.signature, signed.signed_attributes, _ECDSA_SHA256
            )
        elif kind == "rsa" and signed.signature_algorithm in _RSA_ALGORITHMS:
            cast(rsa.RSAPublicKey, public_key).verify(
                signed.signature, signed.signed_attributes, _PKCS1V15, _SHA256
            )
        else:
            raise _fail(
                f"signature algorithm {signed.signature_algorithm} does not fit the signer's "
                f"{type(public_key).__name__.replace('PublicKey', '')} key"
            )
    except InvalidSignature:
        raise _fail("the signature over the signed attributes does not verify") from None


@functools.cache
def _key_kind(key_type: type) -> str:
    """``ec``, ``rsa`` or ``other``, by the key's class (isinstance on cryptography's abstract
    key classes costs more than the rest of the dispatch: it is worked out once per class)."""
    if issubclass(key_type, ec.EllipticCurvePublicKey):
        return "ec"
    if issubclass(key_type, rsa.RSAPublicKey):
        return "rsa"
    return "other"


def check_signing_time(signing_time: dt.datetime, now: dt.datetime, max_age: dt.timedelta) -> None:
    """Step 1.e: the signing time is within ``max_age`` of ``now``, on either side."""
    now = utc_moment(now)
    skew = now - signing_time
    if abs(skew) > max_age:
        direction = "before" if skew > dt.timedelta(0) else "after"
        raise SigningTimeOutOfWindowError(
            f"the token was signed at {_utc_text(signing_time)}, {_human(abs(skew))} {direction} "
            f"the verification time {_utc_text(now)}; the window is {_human(max_age)}. "
            "A recorded (test or archived) token is checked at its signing time: "
            f"--at {_utc_text(signing_time)} on the command line, now= in code",
            step="1.e signing time",
        )


def _utc_text(moment: dt.datetime) -> str:
    return utc_text(moment)


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{seconds} s"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class _Signer:
    """A signer certificate whose step 1.a already passed, and its chain's trust anchor work."""

    leaf: x509.Certificate
    intermediate: x509.Certificate
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    chain: ValidatedChain


class TokenVerifier:
    """Runs Apple's step 1 on tokens; configure once, call :meth:`verify` per token.

    Per token it always checks: the chain's validity at the signing time, the message
    digest, the signature, the signing-time window. What it remembers (bounded, keyed by
    the exact bytes) is only what those bytes alone decide: the CMS layout, the Apple
    OIDs of the certificates, and that their chain leads to a trusted root.
    """

    def __init__(
        self,
        trust: TrustStore,
        *,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], dt.datetime] = utc_now,
        layout_cache_size: int = 64,
    ) -> None:
        if max_age < dt.timedelta(0):
            raise ValueError("max_age must not be negative")
        self.trust = trust
        self.max_age = max_age
        self.clock = clock
        self._layouts = LayoutCache(layout_cache_size)
        warm_up()  # configuration time pays asn1crypto's first-use cost, not the first token

    @logs_rejections(_log, "token")
    def verify(
        self, token: PaymentToken, *, now: dt.datetime | str | None = None
    ) -> VerifiedSignature:
        """Apple's step 1. ``now`` (default: the clock) is a datetime, naive meaning UTC, or
        ISO 8601 text with a zone (``...Z``)."""
        moment = utc_moment(now) if now is not None else None
        if not isinstance(token, PaymentToken):
            raise ConfigurationError("verify takes a PaymentToken (parse_token reads the JSON)")
        signed, signer, pending = self._layouts.parse(token.signature)
        signing_time = signing_time_of(signed)
        if signer is None:
            leaf, others = select_certificates(signed)
            intermediate = check_certificate_oids(leaf, others)
            with readable_certificates("1.c chain"):
                chain = self.trust.validate_chain(leaf, [intermediate], signing_time)
                public_key = leaf.public_key()
            signer = _Signer(leaf, intermediate, public_key, chain)  # type: ignore[arg-type]
        else:
            signer.chain.check_valid_at(signing_time)
        check_message_digest(signed, token)
        check_signer_signature(signed, signer.leaf, public_key=signer.public_key)
        check_signing_time(
            signing_time, moment if moment is not None else self.clock(), self.max_age
        )
        if pending is not None:
            # Learned only from a token that passed every check.
            self._layouts.learn(pending, signer)
        return build(VerifiedSignature, signing_time=signing_time, chain=signer.chain.certificates)
