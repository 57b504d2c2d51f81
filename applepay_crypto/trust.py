"""Trust: Apple Root CA - G3 pinned by fingerprint, and chain validation at signing time.

The root is never committed to this repository and never taken from a token. It is
loaded from, in order: an explicit path or certificate, the ``APPLEPAY_ROOT_CA``
environment variable, or the per-user copy that ``applepay-crypto trust install`` writes.
Whatever the source, its SHA-256 fingerprint must be Apple's.

Test authorities are injected with :meth:`TrustStore.for_test_roots`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import http.client
import os
import tempfile
import threading
import urllib.request
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import verification

from ._timetext import utc_text
from .errors import (
    CertificateInvalidError,
    ConfigurationError,
    TrustRootMissingError,
    UntrustedRootError,
)
from .keys import load_certificate

__all__ = [
    "APPLE_ROOT_CA_G3_SHA256",
    "APPLE_ROOT_CA_G3_URL",
    "ROOT_ENV_VAR",
    "TrustStore",
    "ValidatedChain",
    "check_apple_path",
    "check_valid_at",
    "install_apple_root",
    "load_apple_root",
    "user_root_path",
]

APPLE_ROOT_CA_G3_SHA256 = bytes.fromhex(
    "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179"
)
APPLE_ROOT_CA_G3_URL = "https://www.apple.com/certificateauthority/AppleRootCA-G3.cer"
ROOT_ENV_VAR = "APPLEPAY_ROOT_CA"
_ROOT_FILE_NAME = "AppleRootCA-G3.cer"

INSTALL_HINT = (
    "Install it once with `applepay-crypto trust install` (downloads it from Apple and checks "
    "its fingerprint), or `applepay-crypto trust install --from AppleRootCA-G3.cer`, or point "
    f"{ROOT_ENV_VAR} at the file, or pass it explicitly (--root FILE; in code "
    "TrustStore.apple_root(path))."
)


def user_root_path() -> Path:
    """Where ``trust install`` keeps the root: ``$XDG_CONFIG_HOME/applepay-crypto/``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "applepay-crypto" / _ROOT_FILE_NAME


def fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def is_apple_root(cert: x509.Certificate) -> bool:
    return hmac.compare_digest(fingerprint(cert), APPLE_ROOT_CA_G3_SHA256)


def check_apple_root(cert: x509.Certificate, *, source: str) -> x509.Certificate:
    """Step 1.b: the root is Apple Root CA - G3, by its SHA-256 fingerprint."""
    if not is_apple_root(cert):
        raise UntrustedRootError(
            f"{source} is not Apple Root CA - G3: its SHA-256 fingerprint is "
            f"{fingerprint(cert).hex().upper()}, expected {APPLE_ROOT_CA_G3_SHA256.hex().upper()}"
        )
    return cert


def load_apple_root(path: str | os.PathLike[str] | None = None) -> x509.Certificate:
    """Find and load Apple Root CA - G3, refusing any other certificate."""
    if path is not None:
        source, where = f"root file {os.fspath(path)!r}", Path(path)
    elif os.environ.get(ROOT_ENV_VAR):
        source, where = (
            f"{ROOT_ENV_VAR}={os.environ[ROOT_ENV_VAR]!r}",
            Path(os.environ[ROOT_ENV_VAR]),
        )
    else:
        where = user_root_path()
        source = f"installed root {str(where)!r}"
    if not where.is_file():
        raise TrustRootMissingError(f"Apple Root CA - G3 not found ({source}). {INSTALL_HINT}")
    try:
        cert = load_certificate(where)
    except ConfigurationError as exc:
        raise TrustRootMissingError(f"{source}: {exc.message}. {INSTALL_HINT}") from None
    return check_apple_root(cert, source=source)


def install_apple_root(
    *,
    source: str | os.PathLike[str] | None = None,
    url: str = APPLE_ROOT_CA_G3_URL,
    destination: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
) -> Path:
    """Copy Apple Root CA - G3 (from ``source`` or downloaded from ``url``) to the user location.

    Nothing is written unless the certificate's fingerprint is Apple's.
    """
    if source is not None:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read {os.fspath(source)!r}: {exc.strerror or type(exc).__name__}"
            ) from None
        origin = f"file {os.fspath(source)!r}"
    else:
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigurationError("the root certificate is only downloaded over https")
        raw = _download_root(url, timeout)
        origin = url
    try:
        cert = load_certificate(raw)
    except ConfigurationError:
        raise UntrustedRootError(f"{origin} is not a certificate") from None
    check_apple_root(cert, source=origin)
    target = Path(destination) if destination is not None else user_root_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename: a crash never leaves a half-written root behind.
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
            handle.write(raw)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, target)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write {os.fspath(target)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    return target


def _download_root(url: str, timeout: float) -> bytes:
    """Review (#11): a machine without internet (refused, unresolvable, timed out, a proxy
    answering garbage) is a setup problem with one fix, not a traceback."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            return bytes(response.read(64 * 1024))
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
        why = _network_reason(exc)
        raise TrustRootMissingError(
            f"cannot download Apple Root CA - G3 from {url} ({why[:80]}); download "
            "AppleRootCA-G3.cer on a machine that can, then run "
            "`applepay-crypto trust install --from FILE`"
        ) from None


def _network_reason(exc: BaseException) -> str:
    """A short reason (no response body: a captive portal's page is not a message)."""
    reason = getattr(exc, "reason", None)  # URLError: a text, or the socket's OSError
    if isinstance(reason, BaseException):
        exc, reason = reason, None
    if not isinstance(reason, str):
        reason = getattr(exc, "strerror", None)
    return reason if isinstance(reason, str) and reason else type(exc).__name__


def _describe(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def check_valid_at(cert: x509.Certificate, when: dt.datetime, *, role: str) -> None:
    """Step 1.c, dates: each certificate must be valid at the signing time."""
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise CertificateInvalidError(
            f"the {role} certificate ({_describe(cert)}) was not valid at signing time "
            f"{utc_text(when)}: valid from {utc_text(cert.not_valid_before_utc)} "
            f"to {utc_text(cert.not_valid_after_utc)}",
            step="1.c chain",
        )


class ValidatedChain:
    """A path leaf -> intermediates -> root that was validated once; its dates are checked
    again for every token (:meth:`check_valid_at`), against that token's signing time."""

    __slots__ = ("_windows", "certificates")

    def __init__(self, certificates: Sequence[x509.Certificate]) -> None:
        self.certificates = tuple(certificates)
        roles = ["intermediate"] * len(self.certificates)
        roles[0], roles[-1] = "leaf", "root"
        self._windows = tuple(
            (cert.not_valid_before_utc, cert.not_valid_after_utc, cert, role)
            for cert, role in zip(self.certificates, roles, strict=True)
        )

    def check_valid_at(self, when: dt.datetime) -> None:
        for not_before, not_after, cert, role in self._windows:
            if not not_before <= when <= not_after:
                check_valid_at(cert, when, role=role)  # raises, with the full message


#: What a root may be given as.
RootInput = str | os.PathLike[str] | bytes | x509.Certificate

_ROOT_TYPES = "a root is a certificate, a path to a PEM/DER file or PEM/DER bytes, not {}"


def _root_certificate(root: object) -> x509.Certificate:
    if isinstance(root, x509.Certificate):
        return root
    if isinstance(root, str | os.PathLike | bytes):
        return load_certificate(root)
    raise ConfigurationError(_ROOT_TYPES.format(type(root).__name__))


class TrustStore:
    """Trusted roots and a bounded cache of chains already validated against them.

    The cache is keyed by the exact certificate bytes and only remembers that the path
    (signatures, constraints, extensions) is sound. Validity dates are checked on every
    call, at the token's signing time.
    """

    def __init__(
        self, roots: Iterable[x509.Certificate], *, apple: bool, cache_size: int = 256
    ) -> None:
        self.roots: tuple[x509.Certificate, ...] = tuple(roots)
        if not self.roots:
            raise ConfigurationError("a trust store needs at least one root certificate")
        #: True when the only root is the pinned Apple Root CA - G3.
        self.apple = apple
        self._store = verification.Store(list(self.roots))
        self._cache: OrderedDict[tuple[bytes, ...], ValidatedChain] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def apple_root(
        cls, path: str | os.PathLike[str] | bytes | x509.Certificate | None = None
    ) -> TrustStore:
        """Trust Apple Root CA - G3 only (loaded as :func:`load_apple_root` says); given as
        a path, PEM/DER bytes or a certificate, it must be that root."""
        if isinstance(path, x509.Certificate):
            root = check_apple_root(path, source="the given certificate")
        elif isinstance(path, bytes):
            root = check_apple_root(load_certificate(path), source="the given bytes")
        elif path is None or isinstance(path, str | os.PathLike):
            root = load_apple_root(path)
        else:
            raise ConfigurationError(_ROOT_TYPES.format(type(path).__name__))
        return cls([root], apple=True)

    @classmethod
    def for_test_roots(cls, roots: RootInput | Iterable[RootInput]) -> TrustStore:
        """Trust the given roots (a test authority). Never use this for production tokens.

        ``roots`` is one root or an iterable of them, each a certificate, a path to a PEM
        or DER file, or PEM/DER bytes (as :meth:`apple_root` takes them).
        """
        if isinstance(roots, str | os.PathLike | bytes | x509.Certificate):
            roots = [roots]
        if not isinstance(roots, Iterable):
            raise ConfigurationError(_ROOT_TYPES.format(type(roots).__name__))
        certificates = [_root_certificate(root) for root in roots]
        return cls(certificates, apple=len(certificates) == 1 and is_apple_root(certificates[0]))

    def validate_chain(
        self, leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], at: dt.datetime
    ) -> ValidatedChain:
        """Steps 1.b and 1.c: ``leaf`` chains to a trusted root and is valid at ``at``.

        Apple's shape only: ``intermediates`` is the one intermediate that passed step 1.a,
        and the validated path must be exactly leaf -> that intermediate -> a trusted root
        (review #11: a path the validator finds around it, e.g. a leaf issued directly by
        the root, is refused). Returns the chain (``.certificates``: leaf, intermediate,
        root); what is cached has passed the same checks.
        """
        key = (leaf.public_bytes(_DER), *(c.public_bytes(_DER) for c in intermediates))
        with self._lock:
            chain = self._cache.get(key)
            if chain is not None:
                self._cache.move_to_end(key)
        if chain is None:
            chain = ValidatedChain(self._build_chain(leaf, intermediates, at))
            with self._lock:
                self._cache[key] = chain
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        chain.check_valid_at(at)
        return chain

    def _build_chain(
        self, leaf: x509.Certificate, intermediates: Sequence[x509.Certificate], at: dt.datetime
    ) -> tuple[x509.Certificate, ...]:
        for cert, role in ((leaf, "leaf"), *((c, "intermediate") for c in intermediates)):
            check_valid_at(cert, at, role=role)
        verifier = (
            verification.PolicyBuilder()
            .store(self._store)
            .time(at)
            .max_chain_depth(3)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        if len(intermediates) != 1:
            raise CertificateInvalidError(
                f"{len(intermediates)} intermediate certificates given; Apple's chain has "
                "exactly one between the signing certificate and the root",
                step="1.c chain",
            )
        try:
            verified = verifier.verify(leaf, list(intermediates))
        except verification.VerificationError as exc:
            if not self._reaches_a_root(leaf, intermediates):
                raise UntrustedRootError(
                    f"the certificate chain ({' -> '.join(map(_describe, [leaf, *intermediates]))})"
                    f" does not lead to {'Apple Root CA - G3' if self.apple else 'a trusted root'}",
                    step="1.b root",
                ) from None
            raise CertificateInvalidError(
                f"the certificate chain is not valid at signing time {utc_text(at)}: {exc}",
                step="1.c chain",
            ) from None
        chain = tuple(verified.chain)
        check_apple_path(chain, leaf, intermediates[0])
        return chain

    def _reaches_a_root(
        self, leaf: x509.Certificate, intermediates: Sequence[x509.Certificate]
    ) -> bool:
        for cert in (leaf, *intermediates):
            for root in self.roots:
                if cert.issuer != root.subject:
                    continue
                try:
                    cert.verify_directly_issued_by(root)
                except (ValueError, TypeError, InvalidSignature):
                    continue
                return True
        return False


def check_apple_path(
    chain: Sequence[x509.Certificate], leaf: x509.Certificate, intermediate: x509.Certificate
) -> None:
    """Review (#11), class 2: the validated path is exactly leaf -> the intermediate that
    passed step 1.a -> a trusted root. Without this, a leaf issued directly by the root
    next to a self-signed look-alike carrying Apple's intermediate OID was accepted with a
    two-certificate path: the OID check and the path looked at different certificates."""
    ders = [cert.public_bytes(_DER) for cert in chain]
    if (
        len(chain) != 3
        or ders[0] != leaf.public_bytes(_DER)
        or ders[1] != intermediate.public_bytes(_DER)
    ):
        raise CertificateInvalidError(
            f"the validated path is {' -> '.join(map(_describe, chain))}: Apple's is exactly "
            "the signing certificate -> the intermediate carrying Apple's OID -> the root",
            step="1.c chain",
        )


_DER = serialization.Encoding.DER
_AGNOSTIC = verification.Criticality.AGNOSTIC


class UnfitCertificateError(ValueError):
    """A certificate's basicConstraints or keyUsage does not fit its place in the path."""


# Review (#11), class 3: what Apple's certificates carry (every real token on record):
# the signing certificate is an end entity (basicConstraints CA:FALSE) with keyUsage
# digitalSignature; the intermediate is a CA (CA:TRUE) with keyCertSign.
def _end_entity_is_not_a_ca(
    _policy: verification.Policy, _cert: x509.Certificate, ext: x509.BasicConstraints | None
) -> None:
    if ext is not None and ext.ca:
        raise UnfitCertificateError(
            "the signing certificate is a CA (basicConstraints CA:TRUE); Apple's is an end entity"
        )


def _end_entity_signs(
    _policy: verification.Policy, _cert: x509.Certificate, ext: x509.KeyUsage
) -> None:
    if not ext.digital_signature or ext.key_cert_sign:
        raise UnfitCertificateError(
            "the signing certificate's keyUsage is not Apple's (digitalSignature, and not "
            "keyCertSign)"
        )


def _ca_is_a_ca(
    _policy: verification.Policy, _cert: x509.Certificate, ext: x509.BasicConstraints
) -> None:
    if not ext.ca:
        raise UnfitCertificateError("an issuing certificate is not a CA (basicConstraints)")


def _ca_signs_certificates(
    _policy: verification.Policy, _cert: x509.Certificate, ext: x509.KeyUsage
) -> None:
    if not ext.key_cert_sign:
        raise UnfitCertificateError("an issuing certificate's keyUsage lacks keyCertSign")


# Apple's certificates are not Web PKI server certificates: keep RFC 5280 path checks
# (signatures, names, validity) and Apple's shape above, without Web PKI's other extension
# rules. Apple's own OIDs are checked separately (step 1.a), as cryptography's policies
# cannot name unknown extensions.
_CA_POLICY = (
    verification.ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, _AGNOSTIC, _ca_is_a_ca)
    .require_present(x509.KeyUsage, _AGNOSTIC, _ca_signs_certificates)
)
_EE_POLICY = (
    verification.ExtensionPolicy.permit_all()
    .may_be_present(x509.BasicConstraints, _AGNOSTIC, _end_entity_is_not_a_ca)
    .require_present(x509.KeyUsage, _AGNOSTIC, _end_entity_signs)
)
