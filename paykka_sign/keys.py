"""RSA keys as PSP portals hand them out: PEM, DER, or bare base64 without PEM armour.

PayKKa's portal takes the merchant's public key, and gives out its platform public key, as
one line of base64 (a DER SubjectPublicKeyInfo; private keys as PKCS#8), so that form is
first class here. Bytes or text given to ``load_*`` are key material; ``read_*`` take a path.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto.errors import ApplePayError
from applepay_crypto.keys.files import warn_if_exposed
from applepay_crypto.keys.keydata import decode_private_key

from .errors import InvalidKeyError, OutputExistsError

__all__ = [
    "MIN_KEY_SIZE",
    "checked_private_key",
    "checked_public_key",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "private_key_pem",
    "public_key_base64",
    "public_key_pem",
    "read_private_key",
    "read_public_key",
    "write_private_key",
]

_log = logging.getLogger(__name__)

#: PayKKa asks for RSA-2048; anything smaller is refused rather than silently accepted.
MIN_KEY_SIZE = 2048

_WHITESPACE = re.compile(rb"\s+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes | str):
        raise InvalidKeyError("key material must be bytes or text (PEM, DER or base64)")
    if isinstance(data, str):
        try:
            data = data.encode("ascii")
        except UnicodeEncodeError:
            raise InvalidKeyError("key text has non-ASCII characters") from None
    # Keys pasted into environment variables or JSON often carry a literal "\n" instead of
    # line breaks; PEM parsers then see one long line and fail with an unhelpful message.
    if b"-----BEGIN" in data and b"\\n" in data and b"\n" not in data:
        data = data.replace(b"\\n", b"\n")
    return data


def _classify(data: bytes) -> tuple[str, bytes]:
    """("pem", text) | ("der", bytes): bare base64 is decoded to DER here."""
    if b"-----BEGIN" in data:
        return "pem", data
    if data[:1] == b"\x30":  # an ASN.1 SEQUENCE: DER as written by openssl -outform DER
        return "der", data
    compact = _WHITESPACE.sub(b"", data)
    if not compact or not _BASE64.fullmatch(compact):
        hint = ""
        if len(data) < 1024 and os.path.isfile(data):
            hint = " (this is a file name: read_private_key/read_public_key read files)"
        raise InvalidKeyError(f"not a key: expected PEM, DER or bare base64{hint}")
    try:
        return "der", base64.b64decode(compact, validate=True)
    except binascii.Error:
        raise InvalidKeyError("not a key: the base64 is malformed") from None


def _checked_size(key_size: int, what: str) -> None:
    if isinstance(key_size, bool) or not isinstance(key_size, int):
        raise InvalidKeyError(f"the {what} size must be an integer number of bits")
    if key_size > 16384:
        raise InvalidKeyError(f"the {what} size is over 16384 bits")
    if key_size < MIN_KEY_SIZE:
        raise InvalidKeyError(
            f"the {what} is RSA-{key_size}; at least RSA-{MIN_KEY_SIZE} is needed"
        )


def load_private_key(data: bytes | str, *, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM, DER, bare base64 (PKCS#8 or PKCS#1) or PKCS#12.

    Read by ``applepay_crypto``'s loader (:func:`applepay_crypto.keys.keydata.decode_private_key`),
    so both packages take the same files and name a certificate, public key, ``.p12`` or
    encrypted key given by mistake the same way.
    """
    raw = _as_bytes(data)
    try:
        key = decode_private_key(raw, password=password)
    except ApplePayError as exc:
        hint = ""
        if len(raw) < 1024 and b"-----" not in raw and os.path.isfile(raw):
            hint = " (this is a file name: read_private_key/read_public_key read files)"
        raise InvalidKeyError(exc.message + hint) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKeyError(f"a {type(key).__name__} cannot sign: PayKKa uses RSA keys")
    _checked_size(key.key_size, "private key")
    return key


def load_public_key(data: bytes | str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM, DER or bare base64 (SubjectPublicKeyInfo or PKCS#1).

    A PEM certificate is accepted too; its public key is used (no chain is checked).
    """
    kind, raw = _classify(_as_bytes(data))
    key: object
    try:
        if b"-----BEGIN CERTIFICATE-----" in raw:
            key = x509.load_pem_x509_certificate(raw).public_key()
        elif kind == "pem":
            key = serialization.load_pem_public_key(raw)
        else:
            key = serialization.load_der_public_key(raw)
    except (ValueError, UnsupportedAlgorithm):
        hint = ""
        if b"PRIVATE KEY" in raw or kind == "der":
            hint = " (a private key? verification needs the other party's public key)"
        raise InvalidKeyError(f"not a readable RSA public key{hint}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKeyError(f"a {type(key).__name__} cannot verify: PayKKa uses RSA keys")
    _checked_size(key.key_size, "public key")
    return key


def _path(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise InvalidKeyError("a key file path must be a str or os.PathLike")
    return Path(path)


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        return _path(path).read_bytes()
    except OSError as exc:
        raise InvalidKeyError(f"cannot read key file {os.fspath(path)!r}: {exc.strerror}") from None
    except ValueError:  # an embedded NUL, or a name the file system cannot encode
        raise InvalidKeyError(f"cannot read key file {os.fspath(path)!r}: bad file name") from None


def read_private_key(
    path: str | os.PathLike[str], *, password: bytes | None = None
) -> rsa.RSAPrivateKey:
    """:func:`load_private_key` on a file's contents. A file other users can read gets
    :class:`applepay_crypto.InsecureKeyFileWarning` and a WARNING on ``paykka_sign.keys``,
    once it is known to hold a private key."""
    key = load_private_key(_read(path), password=password)
    warn_if_exposed(path, logger=_log)
    return key


def read_public_key(path: str | os.PathLike[str]) -> rsa.RSAPublicKey:
    """:func:`load_public_key` on a file's contents."""
    return load_public_key(_read(path))


def checked_private_key(key: object) -> rsa.RSAPrivateKey:
    """``key`` if it is an RSA private key object; a clear refusal for anything else (a
    path or PEM text given where the loaded key belongs, issue #14 item 6)."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    raise InvalidKeyError(
        f"a signer takes an RSA private key object, not {type(key).__name__}: load it with "
        "read_private_key(path) or load_private_key(pem)"
    )


def checked_public_key(key: object) -> rsa.RSAPublicKey:
    """``key`` if it is an RSA public key object; a clear refusal for anything else."""
    if isinstance(key, rsa.RSAPublicKey):
        return key
    raise InvalidKeyError(
        f"a verifier takes an RSA public key object, not {type(key).__name__}: load it with "
        "read_public_key(path) or load_public_key(pem)"
    )


def generate_private_key(*, key_size: int = 2048) -> rsa.RSAPrivateKey:
    """A new RSA key pair (e = 65537), as the PayKKa portal expects."""
    _checked_size(key_size, "requested key")
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _public(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> rsa.RSAPublicKey:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key
    raise InvalidKeyError("not an RSA key object (load_private_key, load_public_key)")


def public_key_base64(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """Bare one-line base64 of the DER SubjectPublicKeyInfo: what the PayKKa portal takes."""
    public = _public(key)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def public_key_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    """PEM SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``)."""
    public = _public(key)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_pem(key: rsa.RSAPrivateKey, *, password: bytes | None = None) -> bytes:
    """PEM PKCS#8, encrypted with ``password`` when one is given."""
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKeyError("not an RSA private key object (load_private_key)")
    if password is not None and not isinstance(password, bytes):
        raise InvalidKeyError("the password must be bytes")
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    try:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
    except ValueError:  # e.g. a password over 1023 bytes; no exception text (review (#11))
        raise InvalidKeyError("the password cannot encrypt a key (at most 1023 bytes)") from None


def write_private_key(
    path: str | os.PathLike[str],
    key: rsa.RSAPrivateKey,
    *,
    password: bytes | None = None,
    overwrite: bool = False,
) -> None:
    """Write ``key`` as PEM PKCS#8 readable by its owner only (mode 0600).

    The file is created with mode 0600 from the start (no window where it is world
    readable) and an existing file is refused unless ``overwrite``: losing the key that
    the PayKKa portal holds the public half of means re-registering.
    """
    pem = private_key_pem(key, password=password)  # checked before a file is created
    target = _path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise OutputExistsError(
            f"{os.fspath(path)!r} exists; refusing to overwrite a private key"
        ) from None
    except OSError as exc:
        raise InvalidKeyError(f"cannot write {os.fspath(path)!r}: {exc.strerror}") from None
    except ValueError:
        raise InvalidKeyError(f"cannot write {os.fspath(path)!r}: bad file name") from None
    with os.fdopen(fd, "wb") as handle:
        # An overwritten file keeps its old mode; tighten it before writing key material.
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), 0o600)
        handle.write(pem)
