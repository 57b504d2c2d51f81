"""Certificate files: Apple's ``.cer`` (DER), PEM, PKCS#12 (``.p12``); read any, write each.

Apple's portal hands out DER ``.cer`` files that many tools cannot read; web servers and
this library want PEM; Keychain exports and some PSPs want PKCS#12. Anything holding a
private key (a key PEM, a ``.p12``) is written readable by its owner only (mode 0600), and
no file is overwritten unless asked: overwriting a live merchant key loses it for good.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import ConfigurationError, OutputExistsError
from ..keys import (
    MerchantPrivateKey,
    load_certificate,
    load_private_key,
    save_private_key,
)
from ..keys.files import PathOrBytes, read_bytes, write_owner_only
from .certs import key_belongs_to

__all__ = [
    "CertificateFile",
    "CertificateFormat",
    "convert_certificate",
    "export_pkcs12",
    "load_pkcs12",
    "pkcs12_bytes",
    "read_certificate_file",
    "split_pkcs12",
    "write_private_file",
    "write_private_key",
    "write_public_file",
]

CertificateFormat = Literal["pem", "der", "pkcs12"]
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_PEM_PRIVATE_KEY = b"PRIVATE KEY-----"


@dataclass(frozen=True, repr=False)
class CertificateFile:
    """A certificate read from a file, with the private key when the file held one."""

    certificate: x509.Certificate
    private_key: MerchantPrivateKey | None
    format: CertificateFormat
    #: Other certificates in a ``.p12`` (chain certificates some exports include).
    others: tuple[x509.Certificate, ...] = ()

    def __repr__(self) -> str:
        key = "with key" if self.private_key is not None else "no key"
        return (
            f"CertificateFile({self.certificate.subject.rfc4514_string()!r}, {self.format}, {key})"
        )


def read_certificate_file(source: PathOrBytes, *, password: bytes | None = None) -> CertificateFile:
    """A PEM (certificate, optionally with its key), DER ``.cer`` or ``.p12`` file."""
    raw = read_bytes(source)
    if _PEM_CERTIFICATE in raw:
        key = load_private_key(raw, password=password) if _PEM_PRIVATE_KEY in raw else None
        return CertificateFile(load_certificate(raw), key, "pem")
    if _looks_like_pkcs12(raw):
        return load_pkcs12(raw, password=password)
    return CertificateFile(load_certificate(raw), None, "der")


def _looks_like_pkcs12(raw: bytes) -> bool:
    """A PFX is a DER SEQUENCE like a certificate; its version 3 and authSafe tell it apart."""
    try:
        pfx = asn1_pkcs12.Pfx.load(raw, strict=True)
        return bool(pfx["version"].native == "v3" and pfx["auth_safe"]["content_type"].native)
    except (ValueError, TypeError, KeyError):
        return False


def load_pkcs12(raw: bytes, *, password: bytes | None = None) -> CertificateFile:
    """The key and certificate in a ``.p12``; the certificate is the one the key belongs to."""
    # Keychain exports "without a password" use an empty one, which is not the same as none.
    attempts = [password] if password is not None else [None, b""]
    for attempt in attempts:
        try:
            key, cert, others = pkcs12.load_key_and_certificates(raw, attempt)
            break
        except ValueError:
            continue
    else:
        hint = "give its password" if password is None else "is the password right?"
        raise ConfigurationError(f"cannot open the PKCS#12 file: {hint}")
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ConfigurationError(f"the PKCS#12 file holds a {type(key).__name__}, not EC or RSA")
    candidates = [c for c in (cert, *others) if c is not None]
    if key is not None:
        # Some exports put the key's own certificate among the "additional" ones.
        candidates.sort(key=lambda c: not key_belongs_to(key, c))
    if not candidates:
        raise ConfigurationError("the PKCS#12 file holds no certificate")
    return CertificateFile(candidates[0], key, "pkcs12", tuple(candidates[1:]))


def pkcs12_bytes(
    key: MerchantPrivateKey,
    certificate: x509.Certificate,
    *,
    password: bytes,
    name: str | None = None,
    legacy: bool = False,
) -> bytes:
    """A password-protected ``.p12`` holding ``key`` and ``certificate``.

    The default is AES-256 with PBKDF2 (OpenSSL 3, current macOS and Java). ``legacy`` uses
    3DES and SHA-1, which older Keychain and Java versions need to import a ``.p12``.
    """
    if not password:
        raise ConfigurationError("a PKCS#12 file needs a password (it holds the private key)")
    if not key_belongs_to(key, certificate):
        raise ConfigurationError("the private key does not belong to the certificate")
    if legacy:
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50000)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - what legacy importers can read
            .build(password)
        )
    else:
        encryption = serialization.BestAvailableEncryption(password)
    label = name.encode("utf-8") if name else None
    return pkcs12.serialize_key_and_certificates(label, key, certificate, None, encryption)


def _refuse_overwrite(target: Path, overwrite: bool) -> None:
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{str(target)!r} exists; refusing to overwrite it")


def write_private_file(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> Path:
    """Write ``data`` readable by its owner only (mode 0600), from the first byte on."""
    target = Path(path)
    _refuse_overwrite(target, overwrite)
    return write_owner_only(target, data)


def write_public_file(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False
) -> Path:
    """Write a certificate or CSR (nothing secret: the usual permissions)."""
    target = Path(path)
    _refuse_overwrite(target, overwrite)
    target.write_bytes(data)
    return target


def write_private_key(
    key: MerchantPrivateKey, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Unencrypted PKCS#8 PEM, mode 0600 (what servers and this library read)."""
    target = Path(path)
    _refuse_overwrite(target, overwrite)
    return save_private_key(key, target)


def convert_certificate(
    source: PathOrBytes,
    destination: str | os.PathLike[str],
    *,
    to: Literal["pem", "der"] = "pem",
    password: bytes | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the certificate of ``source`` (``.cer``, PEM or ``.p12``) as PEM or DER."""
    certificate = read_certificate_file(source, password=password).certificate
    encoding = serialization.Encoding.PEM if to == "pem" else serialization.Encoding.DER
    return write_public_file(destination, certificate.public_bytes(encoding), overwrite=overwrite)


def export_pkcs12(
    key: PathOrBytes | MerchantPrivateKey,
    certificate: PathOrBytes | x509.Certificate,
    destination: str | os.PathLike[str],
    *,
    password: bytes,
    key_password: bytes | None = None,
    name: str | None = None,
    legacy: bool = False,
    overwrite: bool = False,
) -> Path:
    """Bundle a private key and its certificate into a ``.p12`` (mode 0600)."""
    private_key = load_private_key(key, password=key_password)
    cert = (
        certificate
        if isinstance(certificate, x509.Certificate)
        else read_certificate_file(certificate).certificate
    )
    data = pkcs12_bytes(private_key, cert, password=password, name=name, legacy=legacy)
    return write_private_file(destination, data, overwrite=overwrite)


def split_pkcs12(
    source: PathOrBytes,
    *,
    password: bytes | None,
    certificate_out: str | os.PathLike[str] | None,
    key_out: str | os.PathLike[str] | None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the certificate (PEM) and the private key (PKCS#8 PEM, mode 0600) of a ``.p12``."""
    bundle = load_pkcs12(read_bytes(source), password=password)
    for target in (certificate_out, key_out):
        if target is not None:
            _refuse_overwrite(Path(target), overwrite)
    written: dict[str, Path] = {}
    if key_out is not None:
        if bundle.private_key is None:
            raise ConfigurationError("the PKCS#12 file holds no private key")
        written["key"] = write_private_key(bundle.private_key, key_out, overwrite=overwrite)
    if certificate_out is not None:
        pem = bundle.certificate.public_bytes(serialization.Encoding.PEM)
        written["certificate"] = write_public_file(certificate_out, pem, overwrite=overwrite)
    return written
