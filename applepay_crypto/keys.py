"""Merchant keys: loading, the merchant identifier, and a keyring chosen by publicKeyHash.

A token names the key it was encrypted to by ``header.publicKeyHash``: base64 of SHA-256
over the DER SubjectPublicKeyInfo of the payment processing certificate's public key.
During a certificate renewal both keys are live, so decryptors hold a keyring.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from asn1crypto.core import UTF8String
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .errors import ConfigurationError, KeyNotFoundError

__all__ = [
    "MERCHANT_ID_OID",
    "InsecureKeyFileWarning",
    "Keyring",
    "MerchantKey",
    "MerchantPrivateKey",
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


def _describe(key: MerchantPrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    return f"RSA-{key.key_size}"


@dataclass(frozen=True, repr=False, eq=False)
class MerchantKey:
    """One payment processing key with what decryption needs to know about it."""

    private_key: MerchantPrivateKey
    public_key_hash: bytes
    merchant_id_hash: bytes | None
    merchant_id: str | None = None
    certificate: x509.Certificate | None = None

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
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            if not isinstance(private_key.curve, ec.SECP256R1):
                raise ConfigurationError(
                    f"an {_describe(private_key)} key cannot decrypt EC_v1 tokens (P-256 only)"
                )
        elif private_key.key_size < 2048:
            raise ConfigurationError(f"an {_describe(private_key)} key is too small for RSA_v1")
        cert = load_certificate(certificate) if certificate is not None else None
        id_hash = merchant_id_hash(merchant_id) if merchant_id is not None else None
        if cert is not None:
            _check_certificate_matches_key(cert, private_key)
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
        if id_hash is None and isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise ConfigurationError(
                "an EC key needs the merchant identifier: give the payment processing "
                "certificate or the merchant id (e.g. merchant.com.example)"
            )
        return cls(
            private_key=private_key,
            public_key_hash=public_key_hash(private_key),
            merchant_id_hash=id_hash,
            merchant_id=merchant_id,
            certificate=cert,
        )

    @functools.cached_property
    def version(self) -> str:
        """The token version this key decrypts (worked out once: it is asked per token)."""
        return "EC_v1" if isinstance(self.private_key, ec.EllipticCurvePrivateKey) else "RSA_v1"

    @property
    def public_key_hash_b64(self) -> str:
        return base64.b64encode(self.public_key_hash).decode("ascii")

    def __repr__(self) -> str:
        return (
            f"MerchantKey({_describe(self.private_key)}, "
            f"public_key_hash={self.public_key_hash_b64!r}, merchant_id={self.merchant_id!r})"
        )


def _check_certificate_matches_key(cert: x509.Certificate, key: MerchantPrivateKey) -> None:
    if public_key_hash(cert.public_key()) != public_key_hash(key):  # type: ignore[arg-type]
        raise ConfigurationError(
            "the certificate does not belong to this private key (is it the merchant identity "
            "certificate instead of the payment processing certificate?)"
        )


class Keyring:
    """Merchant keys by ``publicKeyHash``: the token says which one it needs."""

    def __init__(self, keys: Iterable[MerchantKey]) -> None:
        self._by_hash: dict[bytes, MerchantKey] = {}
        for key in keys:
            if key.public_key_hash in self._by_hash:
                raise ConfigurationError(f"the key {key.public_key_hash_b64} is given twice")
            self._by_hash[key.public_key_hash] = key
        if not self._by_hash:
            raise ConfigurationError("a keyring needs at least one merchant key")

    def __iter__(self) -> Iterator[MerchantKey]:
        return iter(self._by_hash.values())

    def __len__(self) -> int:
        return len(self._by_hash)

    def find(self, public_key_hash: bytes, *, version: str | None = None) -> MerchantKey:
        """The key whose public key hashes to ``public_key_hash``."""
        key = self._by_hash.get(public_key_hash)
        if key is None:
            wanted = base64.b64encode(public_key_hash).decode("ascii")
            held = ", ".join(k.public_key_hash_b64 for k in self._by_hash.values())
            raise KeyNotFoundError(
                f"no merchant key has publicKeyHash {wanted}; the keys given have {held}. "
                "The token was encrypted to another payment processing certificate "
                "(renewed, or another merchant id)."
            )
        if version is not None and key.version != version:
            raise KeyNotFoundError(
                f"the key with publicKeyHash {key.public_key_hash_b64} is "
                f"{_describe(key.private_key)}, "
                f"which cannot decrypt a {version} token"
            )
        return key

    def __repr__(self) -> str:
        return f"Keyring({', '.join(repr(k) for k in self)})"


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
