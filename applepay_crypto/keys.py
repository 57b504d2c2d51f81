"""Merchant keys: loading, the merchant identifier, and a keyring chosen by publicKeyHash.

A token names the key it was encrypted to by ``header.publicKeyHash``: base64 of SHA-256
over the DER SubjectPublicKeyInfo of the payment processing certificate's public key.
During a certificate renewal both keys are live, so decryptors hold a keyring.

The private key itself is used through one of two small seams (issue #12): EC_v1 needs only
Z = ECDH(merchant key, ephemeral key) from whoever holds the key (:class:`KeyAgreement`),
RSA_v1 only the RSA-OAEP-SHA256 unwrap of ``wrappedKey`` (:class:`KeyUnwrapper`). The KDF,
AES-GCM and every check stay in the library. A ``cryptography`` key in this process is one
holder (the default and the fast path), a PKCS#11 token (:mod:`applepay_crypto.pkcs11`)
another, a cloud KMS or a remote signer a third (docs/hsm.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .errors import ConfigurationError, KeyNotFoundError
from .rsa_v1 import OAEP_PADDING

__all__ = [
    "MERCHANT_ID_OID",
    "HeldKey",
    "InProcessKeyAgreement",
    "InProcessKeyUnwrapper",
    "InsecureKeyFileWarning",
    "KeyAgreement",
    "KeyHolder",
    "KeyLookup",
    "KeyUnwrapper",
    "Keyring",
    "MerchantKey",
    "MerchantPrivateKey",
    "holder_matches",
    "load_certificate",
    "load_private_key",
    "merchant_id_from_certificate",
    "merchant_id_hash",
    "merchant_id_hash_from_certificate",
    "public_key_hash",
    "save_private_key",
    "warn_if_exposed",
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

MerchantPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PathOrBytes = str | os.PathLike[str] | bytes


def read_bytes(source: PathOrBytes) -> bytes:
    """The bytes themselves, or the contents of the file at a path."""
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {os.fspath(source)!r}: {exc.strerror}") from None


class InsecureKeyFileWarning(UserWarning):
    """A private key file that users other than its owner can read (or write)."""


def warn_if_exposed(path: str | os.PathLike[str]) -> None:
    """Warn (:class:`InsecureKeyFileWarning`) when the file at ``path`` is group- or
    world-accessible: a key others can read is a key to rotate. POSIX only."""
    if os.name != "posix":
        return
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & 0o077:
        warnings.warn(
            f"private key file {os.fspath(path)!r} is accessible to other users "
            f"(mode {mode & 0o777:04o}): chmod 600 it",
            InsecureKeyFileWarning,
            stacklevel=3,
        )


def load_certificate(source: PathOrBytes | x509.Certificate) -> x509.Certificate:
    """A certificate from a path, PEM bytes or DER bytes (Apple's ``.cer``)."""
    if isinstance(source, x509.Certificate):
        return source
    raw = read_bytes(source)
    try:
        if b"-----BEGIN CERTIFICATE-----" in raw:
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except ValueError:
        raise ConfigurationError("not a readable X.509 certificate (PEM or DER)") from None


def load_private_key(
    source: PathOrBytes | MerchantPrivateKey, *, password: bytes | None = None
) -> MerchantPrivateKey:
    """A merchant private key from a path or bytes: PEM (PKCS#8, SEC1, PKCS#1) or DER."""
    if isinstance(source, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return source
    raw = read_bytes(source)
    if not isinstance(source, bytes):
        warn_if_exposed(source)
    try:
        if b"-----BEGIN" in raw:
            key = serialization.load_pem_private_key(raw, password=password)
        else:
            key = serialization.load_der_private_key(raw, password=password)
    except TypeError:  # cryptography: a password is missing, or given for a plain key
        raise ConfigurationError(
            "not a readable private key: it is encrypted and needs a password, or a password "
            "was given for a key that has none"
        ) from None
    except ValueError:
        # Review (#11): not cryptography's text, which can quote the file's ASN.1 tags.
        raise ConfigurationError(
            "not a readable private key (PEM or DER: PKCS#8, SEC1 or PKCS#1), or the password "
            "is wrong"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ConfigurationError(
            f"a {type(key).__name__} cannot be a payment processing key (EC P-256 or RSA)"
        )
    return key


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
    uids = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    if not uids:
        return None
    value = uids[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


_ECDH = ec.ECDH()


@runtime_checkable
class KeyAgreement(Protocol):
    """EC_v1's seam: whoever holds a P-256 payment processing key computes Z with it.

    ``exchange`` gets the token's ephemeral public key already checked to be a point on
    P-256 (an HSM is never handed an invalid-curve point) and returns Z, the 32-byte
    x-coordinate of the shared point, leading zero bytes kept. Failures are raised as an
    :class:`~applepay_crypto.errors.ApplePayError` (the PKCS#11 holder's own codes); any
    other exception becomes ``key_operation_failed``.
    """

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes: ...


@runtime_checkable
class KeyUnwrapper(Protocol):
    """RSA_v1's seam: RSA-OAEP with SHA-256 and MGF1-SHA-256, no label, of ``wrappedKey``.

    ``key_size`` (bits) fixes the width of a wrapped key. ``unwrap_oaep_sha256`` raises
    ``ValueError`` when the block does not unwrap (the library turns every such failure into
    one message: no padding oracle), an ApplePayError for the holder's own failures.
    """

    @property
    def key_size(self) -> int: ...

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes: ...


KeyHolder = KeyAgreement | KeyUnwrapper


class InProcessKeyAgreement:
    """A ``cryptography`` P-256 key in this process: the default holder and the fast path."""

    __slots__ = ("private_key",)

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.private_key = private_key

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        return self.private_key.exchange(_ECDH, ephemeral_public_key)

    def __repr__(self) -> str:
        return f"InProcessKeyAgreement(EC {self.private_key.curve.name})"


class InProcessKeyUnwrapper:
    """A ``cryptography`` RSA key in this process."""

    __slots__ = ("key_size", "private_key")

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        self.key_size = private_key.key_size

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes:
        return self.private_key.decrypt(wrapped_key, OAEP_PADDING)

    def __repr__(self) -> str:
        return f"InProcessKeyUnwrapper(RSA-{self.key_size})"


def _describe(key: MerchantPrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return f"RSA-{key.key_size}"


def _holder_for(key: MerchantPrivateKey | KeyHolder) -> KeyHolder:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return InProcessKeyAgreement(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return InProcessKeyUnwrapper(key)
    if isinstance(key, KeyAgreement | KeyUnwrapper):
        return key
    raise ConfigurationError(
        f"a {type(key).__name__} is neither a private key nor a key holder (an object with "
        "exchange(ephemeral_public_key) for EC_v1 or unwrap_oaep_sha256(wrapped_key) for RSA_v1)"
    )


def _check_usable(public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> None:
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise ConfigurationError(
                f"an {_describe(public)} key cannot decrypt EC_v1 tokens (P-256 only)"
            )
    elif public.key_size < 2048:
        raise ConfigurationError(f"an {_describe(public)} key is too small for RSA_v1")


@dataclass(frozen=True, repr=False, eq=False, init=False)
class MerchantKey:
    """One payment processing key with what decryption needs to know about it.

    ``holder`` does the private-key operation (:class:`KeyAgreement` for EC_v1,
    :class:`KeyUnwrapper` for RSA_v1); :attr:`private_key` is the ``cryptography`` key
    when the key is in this process.
    """

    holder: KeyHolder
    public_key_hash: bytes
    merchant_id_hash: bytes | None
    merchant_id: str | None
    certificate: x509.Certificate | None
    #: The token version this key decrypts (worked out once: it is asked per token).
    version: str
    #: "EC P-256", "RSA-2048", or what an outside holder says of itself.
    kind: str

    def __init__(
        self,
        key: MerchantPrivateKey | KeyHolder,
        public_key_hash: bytes,
        merchant_id_hash: bytes | None,
        merchant_id: str | None = None,
        certificate: x509.Certificate | None = None,
    ) -> None:
        holder = _holder_for(key)
        version = "EC_v1" if isinstance(holder, KeyAgreement) else "RSA_v1"
        if version == "EC_v1" and merchant_id_hash is None:
            raise ConfigurationError("an EC key needs the merchant identifier's SHA-256")
        if isinstance(holder, InProcessKeyAgreement | InProcessKeyUnwrapper):
            kind = _describe(holder.private_key)
        else:
            kind = str(getattr(holder, "kind", None) or type(holder).__name__)
        for name, value in (
            ("holder", holder),
            ("public_key_hash", public_key_hash),
            ("merchant_id_hash", merchant_id_hash),
            ("merchant_id", merchant_id),
            ("certificate", certificate),
            ("version", version),
            ("kind", kind),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def load(
        cls,
        key: PathOrBytes | MerchantPrivateKey,
        *,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        password: bytes | None = None,
    ) -> MerchantKey:
        """Load a key; the merchant id comes from ``certificate`` or from ``merchant_id``.

        EC keys need the merchant identifier (EC_v1's KDF uses its SHA-256); RSA keys do not.
        When both a certificate and an identifier are given they must agree.
        """
        private_key = load_private_key(key, password=password)
        return cls._assemble(
            private_key, private_key.public_key(), certificate=certificate, merchant_id=merchant_id
        )

    @classmethod
    def from_holder(
        cls,
        holder: KeyHolder,
        *,
        public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        check: bool = True,
    ) -> MerchantKey:
        """A key held outside this process (an HSM, a KMS, a remote service).

        Its public key comes from ``public_key`` or from the payment processing
        ``certificate``, the merchant id as for :meth:`load`. With ``check`` (the default)
        one private-key operation through ``holder`` proves that it holds the private half
        of that public key: a holder pointed at the wrong key fails here, at configuration,
        not on the first token.
        """
        if public_key is None:
            if certificate is None:
                raise ConfigurationError(
                    "a key held outside this process needs its public key or its payment "
                    "processing certificate (the publicKeyHash is computed from it)"
                )
            public_key = _merchant_public_key(load_certificate(certificate))
        key = cls._assemble(holder, public_key, certificate=certificate, merchant_id=merchant_id)
        if check:
            _check_holder_matches(key.holder, public_key)
        return key

    @classmethod
    def _assemble(
        cls,
        key: MerchantPrivateKey | KeyHolder,
        public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
        *,
        certificate: PathOrBytes | x509.Certificate | None,
        merchant_id: str | None,
    ) -> MerchantKey:
        _check_usable(public)
        holder = _holder_for(key)
        if isinstance(public, ec.EllipticCurvePublicKey) != isinstance(holder, KeyAgreement):
            raise ConfigurationError(
                f"the key holder {type(holder).__name__} does not fit an {_describe(public)} "
                "key (EC keys need exchange(), RSA keys unwrap_oaep_sha256())"
            )
        cert = load_certificate(certificate) if certificate is not None else None
        id_hash = merchant_id_hash(merchant_id) if merchant_id is not None else None
        if cert is not None:
            _check_certificate_matches_key(cert, public)
            cert_hash = merchant_id_hash_from_certificate(cert)
            cert_id = merchant_id_from_certificate(cert)
            if cert_hash is None and cert_id is not None:
                cert_hash = merchant_id_hash(cert_id)
            if id_hash is not None and cert_hash is not None and id_hash != cert_hash:
                raise ConfigurationError(
                    f"merchant id {merchant_id!r} differs from the one in the certificate"
                    + (f" ({cert_id!r})" if cert_id else "")
                )
            id_hash = id_hash or cert_hash
            merchant_id = merchant_id or cert_id
        if id_hash is None and isinstance(public, ec.EllipticCurvePublicKey):
            raise ConfigurationError(
                "an EC key needs the merchant identifier: give the payment processing "
                "certificate or the merchant id (e.g. merchant.com.example)"
            )
        return cls(holder, public_key_hash(public), id_hash, merchant_id, cert)

    @property
    def private_key(self) -> MerchantPrivateKey:
        """The ``cryptography`` private key; a :class:`ConfigurationError` for a key held
        outside this process (its private half cannot be read, by design)."""
        holder = self.holder
        if isinstance(holder, InProcessKeyAgreement | InProcessKeyUnwrapper):
            return holder.private_key
        raise ConfigurationError(
            f"the key with publicKeyHash {self.public_key_hash_b64} is held outside this "
            f"process ({self.kind}): its private key cannot be read"
        )

    @property
    def in_process(self) -> bool:
        """Whether the private key is a ``cryptography`` key in this process."""
        return isinstance(self.holder, InProcessKeyAgreement | InProcessKeyUnwrapper)

    @property
    def public_key_hash_b64(self) -> str:
        return base64.b64encode(self.public_key_hash).decode("ascii")

    def __repr__(self) -> str:
        return (
            f"MerchantKey({self.kind}, "
            f"public_key_hash={self.public_key_hash_b64!r}, merchant_id={self.merchant_id!r})"
        )


def _merchant_public_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ConfigurationError(
            f"the certificate's {type(public).__name__} cannot be a payment processing key"
        )
    return public


def _check_holder_matches(
    holder: KeyHolder, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
) -> None:
    if not holder_matches(holder, public):
        raise ConfigurationError(
            "the key holder does not hold the private half of this public key (another key "
            "in the token, or the certificate of another key?)"
        )


def holder_matches(holder: KeyHolder, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bool:
    """Whether ``holder`` holds the private half of ``public``: one operation with a
    throw-away peer, whose result must equal what the public key gives. Compared in
    constant time (Z and the unwrapped key are secrets of a kind)."""
    if isinstance(public, ec.EllipticCurvePublicKey) != isinstance(holder, KeyAgreement):
        return False
    if isinstance(public, ec.EllipticCurvePublicKey):
        assert isinstance(holder, KeyAgreement)
        peer = ec.generate_private_key(ec.SECP256R1())
        matches = hmac.compare_digest(
            holder.exchange(peer.public_key()), peer.exchange(_ECDH, public)
        )
    else:
        assert isinstance(holder, KeyUnwrapper)
        probe = os.urandom(16)
        try:
            unwrapped = holder.unwrap_oaep_sha256(public.encrypt(probe, OAEP_PADDING))
        except ValueError:
            unwrapped = b""
        matches = hmac.compare_digest(unwrapped, probe)
    return matches


def _check_certificate_matches_key(
    cert: x509.Certificate, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
) -> None:
    if public_key_hash(cert.public_key()) != public_key_hash(public):  # type: ignore[arg-type]
        raise ConfigurationError(
            "the certificate does not belong to this private key (is it the merchant identity "
            "certificate instead of the payment processing certificate?)"
        )


@dataclass(frozen=True, repr=False)
class HeldKey:
    """A private key held outside this process, with its public key, before its merchant
    id is known (what ``doctor``, ``keys hash`` and ``cert inspect`` need of a key in a
    token). ``certificate`` is the one stored beside the key, when there is one."""

    holder: KeyHolder
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    certificate: x509.Certificate | None = None

    @property
    def kind(self) -> str:
        return str(getattr(self.holder, "kind", None) or type(self.holder).__name__)

    def merchant_key(
        self,
        *,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        check: bool = True,
    ) -> MerchantKey:
        """The :class:`MerchantKey`: the merchant id from ``certificate`` (else the stored
        one) or ``merchant_id``; one operation checks the pair (see
        :meth:`MerchantKey.from_holder`)."""
        chosen = certificate if certificate is not None else self.certificate
        return MerchantKey.from_holder(
            self.holder,
            public_key=None if chosen is not None else self.public_key,
            certificate=chosen,
            merchant_id=merchant_id,
            check=check,
        )

    def __repr__(self) -> str:
        return f"HeldKey({self.kind}, public_key_hash={_b64(public_key_hash(self.public_key))!r})"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class KeyLookup(Protocol):
    """Keys found on demand: a PSP with thousands of merchants loads none at start-up.

    ``find`` returns the key whose publicKeyHash is ``public_key_hash``, or ``None``. It is
    called for every token whose key the keyring does not hold, possibly from several
    threads at once: cache there what is costly to build.
    """

    def find(self, public_key_hash: bytes) -> MerchantKey | None: ...


class Keyring:
    """Merchant keys by ``publicKeyHash``: the token says which one it needs.

    Keys given here are held; ``lookup`` is asked for any other hash. Safe to share between
    threads: the held keys never change after construction.
    """

    def __init__(
        self, keys: Iterable[MerchantKey] = (), *, lookup: KeyLookup | None = None
    ) -> None:
        self._by_hash: dict[bytes, MerchantKey] = {}
        self._lookup = lookup
        for key in keys:
            if key.public_key_hash in self._by_hash:
                raise ConfigurationError(f"the key {key.public_key_hash_b64} is given twice")
            self._by_hash[key.public_key_hash] = key
        if not self._by_hash and lookup is None:
            raise ConfigurationError("a keyring needs at least one merchant key or a key lookup")

    def __iter__(self) -> Iterator[MerchantKey]:
        """The keys held (not those a lookup would find)."""
        return iter(self._by_hash.values())

    def __len__(self) -> int:
        return len(self._by_hash)

    def find(self, public_key_hash: bytes, *, version: str | None = None) -> MerchantKey:
        """The key whose public key hashes to ``public_key_hash``."""
        key = self._by_hash.get(public_key_hash)
        if key is None:
            key = self._look_up(public_key_hash)
        if version is not None and key.version != version:
            raise KeyNotFoundError(
                f"the key with publicKeyHash {key.public_key_hash_b64} is {key.kind}, "
                f"which cannot decrypt a {version} token"
            )
        return key

    def _look_up(self, public_key_hash: bytes) -> MerchantKey:
        key = self._lookup.find(public_key_hash) if self._lookup is not None else None
        if key is None:
            wanted = base64.b64encode(public_key_hash).decode("ascii")
            held = ", ".join(k.public_key_hash_b64 for k in self._by_hash.values())
            looked = " and the key lookup has none" if self._lookup is not None else ""
            raise KeyNotFoundError(
                f"no merchant key has publicKeyHash {wanted}; the keys given have "
                f"{held or 'none'}{looked}. "
                "The token was encrypted to another payment processing certificate "
                "(renewed, or another merchant id)."
            )
        if key.public_key_hash != public_key_hash:
            # A lookup that answers with another key would decrypt nothing and blame the
            # token: say where the fault is.
            raise ConfigurationError(
                f"the key lookup answered {base64.b64encode(public_key_hash).decode()} with "
                f"the key {key.public_key_hash_b64}"
            )
        return key

    def __repr__(self) -> str:
        lookup = f", lookup={type(self._lookup).__name__}" if self._lookup is not None else ""
        return f"Keyring({', '.join(repr(k) for k in self)}{lookup})"


def save_private_key(key: MerchantPrivateKey, path: str | os.PathLike[str]) -> Path:
    """Write ``key`` as unencrypted PKCS#8 PEM, readable by its owner only (mode 0600)."""
    target = Path(path)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created 0600 from the start: never a moment where another user could read it.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
    finally:
        os.close(fd)
    return target
