"""Key and certificate files: reading them, and writing a private key only its owner reads."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import ConfigurationError

__all__ = [
    "InsecureKeyFileWarning",
    "MerchantPrivateKey",
    "load_certificate",
    "load_private_key",
    "save_private_key",
    "warn_if_exposed",
]

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


def warn_if_exposed(path: str | os.PathLike[str], *, what: str = "private key file") -> None:
    """Warn (:class:`InsecureKeyFileWarning`) when the file at ``path`` is group- or
    world-accessible: a key others can read is a key to rotate. POSIX only. ``paykka_sign``
    warns with it too, about its private keys and secret files (issue #14)."""
    if os.name != "posix":
        return
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if mode & 0o077:
        warnings.warn(
            f"{what} {os.fspath(path)!r} is accessible to other users "
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


def save_private_key(key: MerchantPrivateKey, path: str | os.PathLike[str]) -> Path:
    """Write ``key`` as unencrypted PKCS#8 PEM, readable by its owner only (mode 0600)."""
    target = Path(path)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return write_owner_only(target, pem)


def write_owner_only(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` readable by its owner only (mode 0600). Created 0600
    from the start: never a moment where another user could read it."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)
    return target
