"""Key and certificate files: reading them, and writing a private key only its owner reads."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import ConfigurationError
from .keydata import decode_private_key

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

_log = logging.getLogger(__name__)


def read_bytes(source: PathOrBytes) -> bytes:
    """The bytes themselves, or the contents of the file at a path."""
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {os.fspath(source)!r}: {exc.strerror}") from None
    except ValueError:  # an embedded NUL, or a name the file system cannot encode
        raise ConfigurationError(f"cannot read {os.fspath(source)!r}: bad file name") from None


class InsecureKeyFileWarning(UserWarning):
    """A private key file that users other than its owner can read (or write)."""


def warn_if_exposed(
    path: str | os.PathLike[str],
    *,
    what: str = "private key file",
    logger: logging.Logger | None = None,
) -> None:
    """Warn (:class:`InsecureKeyFileWarning`) when the file at ``path`` is group- or
    world-accessible: a key others can read is a key to rotate. POSIX only. The same words
    go to ``logger`` (WARNING; this module's logger by default): ``paykka_sign`` warns with
    it too, about its private keys and secret files, on its own logger (issue #14)."""
    if os.name != "posix":
        return
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if mode & 0o077:
        message = (
            f"{what} {os.fspath(path)!r} is accessible to other users "
            f"(mode {mode & 0o777:04o}): chmod 600 it"
        )
        (logger or _log).warning("%s", message)
        warnings.warn(message, InsecureKeyFileWarning, stacklevel=3)


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
    """A merchant private key from a path or bytes: PEM (PKCS#8, SEC1, PKCS#1, encrypted
    with ``password``), DER, bare base64 of DER, or a PKCS#12 (``.p12``) file.

    Read by :func:`~applepay_crypto.keys.keydata.decode_private_key`, the loader
    ``paykka_sign`` uses too. A file others can read is warned about once it is known to
    hold a private key (a certificate given by mistake is named, not warned about).
    """
    if isinstance(source, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return source
    if not isinstance(source, str | os.PathLike | bytes):
        raise ConfigurationError(
            "a private key is a path, bytes (PEM, DER, base64, PKCS#12) or a cryptography key"
        )
    key = decode_private_key(read_bytes(source), password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ConfigurationError(
            f"a {type(key).__name__} cannot be a payment processing key (EC P-256 or RSA)"
        )
    if not isinstance(source, bytes):
        warn_if_exposed(source)
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
