"""One reading of private key material for both packages (issue #14, item 4).

``applepay_crypto`` (merchant keys) and ``paykka_sign`` (PSP signing keys) read key files
the same way, here: PEM (PKCS#8, SEC1, PKCS#1, encrypted or not), DER, bare base64 of DER
(as PSP portals hand keys out) and PKCS#12 (``.p12``, the Keychain export). What is not a
private key is named: a certificate, a public key, a CSR, a PKCS#12 without a key or with
another password. Each package checks the key's kind and size on top of this.

Messages never quote the file nor the parsers' text (review (#11)).
"""

from __future__ import annotations

import base64
import binascii
import re

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import ConfigurationError

__all__ = ["CONVERT_HINT", "KEY_PASSWORD_ENV", "decode_private_key"]

#: Where both command lines read a key file's password from when ``--key-password`` is not
#: given (the environment keeps it out of ``ps`` and shell history).
KEY_PASSWORD_ENV = "APPLEPAY_KEY_PASSWORD"  # noqa: S105 - a variable name

_PASSWORD_HINT = f"--key-password or {KEY_PASSWORD_ENV} on the command line, password= in Python"

#: How to turn a ``.p12`` into the PEM files every tool reads.
CONVERT_HINT = "applepay-crypto cert convert FILE.p12 --out cert.pem --key-out key.pem"

_WHITESPACE = re.compile(rb"\s+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


def _refuse(message: str) -> ConfigurationError:
    return ConfigurationError(message)


def _unescaped(data: bytes) -> bytes:
    # Keys pasted into environment variables or JSON often carry a literal "\n" instead of
    # line breaks; PEM parsers then see one long line.
    if b"-----BEGIN" in data and b"\\n" in data and b"\n" not in data:
        return data.replace(b"\\n", b"\n")
    return data


def decode_private_key(data: bytes, *, password: bytes | None = None) -> PrivateKeyTypes:
    """The private key in ``data``: PEM, DER, bare base64 of DER, or PKCS#12.

    Raises :class:`~applepay_crypto.errors.ConfigurationError` naming what ``data`` is
    when it is not a readable private key (a certificate, a public key, a CSR, a
    password-protected key or ``.p12`` without its password...).
    """
    if not isinstance(data, bytes):
        raise _refuse("key material must be bytes (PEM, DER, base64 or PKCS#12)")
    if password is not None and not isinstance(password, bytes):
        raise _refuse("the key password must be bytes")
    data = _unescaped(data)
    if b"-----BEGIN" in data:
        return _from_pem(data, password)
    if data[:1] == b"\x30":  # an ASN.1 SEQUENCE: DER, or a PKCS#12 file
        return _from_der(data, password)
    compact = _WHITESPACE.sub(b"", data)
    if compact and _BASE64.fullmatch(compact):
        try:
            der = base64.b64decode(compact, validate=True)
        except binascii.Error:
            raise _refuse("not a readable private key: the base64 is malformed") from None
        if der[:1] == b"\x30":
            return _from_der(der, password)
    raise _refuse(
        "not a readable private key: expected PEM, DER, bare base64 of DER, or PKCS#12 (.p12)"
    )


def _labels(data: bytes) -> set[bytes]:
    return set(_PEM_LABEL.findall(data))


def _from_pem(data: bytes, password: bytes | None) -> PrivateKeyTypes:
    labels = _labels(data)
    if not any(label.endswith(b"PRIVATE KEY") for label in labels):
        raise _refuse(_not_private(labels))
    encrypted = b"ENCRYPTED PRIVATE KEY" in labels or b"Proc-Type: 4,ENCRYPTED" in data
    if encrypted and password is None:
        raise _refuse(f"the private key is encrypted: give its password ({_PASSWORD_HINT})")
    if not encrypted and password is not None:
        password = None  # a password for a plain key (the env variable set for another) is moot
    try:
        return serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        if encrypted:
            raise _refuse("the private key's password is wrong") from None
        raise _refuse(
            "not a readable private key (PEM: PKCS#8, SEC1 or PKCS#1); is the file complete?"
        ) from None


def _not_private(labels: set[bytes]) -> str:
    if b"CERTIFICATE REQUEST" in labels or b"NEW CERTIFICATE REQUEST" in labels:
        return "this is a certificate signing request (CSR), not a private key: give the key "
    if any(b"CERTIFICATE" in label for label in labels):
        return (
            "this is a certificate, not a private key: give the private key the certificate "
            "was issued for (the key the CSR was made with)"
        )
    if any(label.endswith(b"PUBLIC KEY") for label in labels):
        return "this is a public key, not a private key: give the private key"
    return "not a private key: the PEM holds no PRIVATE KEY block"


def _from_der(der: bytes, password: bytes | None) -> PrivateKeyTypes:
    try:
        return serialization.load_der_private_key(der, password=password)
    except TypeError:
        if password is None:
            raise _refuse(
                f"the private key is encrypted: give its password ({_PASSWORD_HINT})"
            ) from None
        return serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm):
        if password is not None and _is_encrypted_pkcs8(der):
            raise _refuse("the private key's password is wrong") from None
    if _is_pkcs12(der):
        return _from_pkcs12(der, password)
    raise _refuse(_what_der_is(der))


def _is_encrypted_pkcs8(der: bytes) -> bool:
    try:
        asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True).native  # noqa: B018 - parses
    except Exception:  # any parse failure of arbitrary bytes means "not one"
        return False
    return True


def _is_pkcs12(der: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(der, strict=True)
        return bool(pfx["version"].native == "v3")
    except Exception:  # any parse failure of arbitrary bytes means "not a PFX"
        return False


def _from_pkcs12(der: bytes, password: bytes | None) -> PrivateKeyTypes:
    tries = [password] if password is not None else [None, b""]
    for attempt in tries:
        try:
            key, _cert, _extra = pkcs12.load_key_and_certificates(der, attempt)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if key is None:
            raise _refuse(
                "this PKCS#12 (.p12) file holds no private key: export the key with the "
                "certificate, or give the key file itself"
            )
        return key
    if password is None:
        raise _refuse(
            f"this is a PKCS#12 (.p12) file protected by a password: give it ({_PASSWORD_HINT}), "
            f"or convert it once: {CONVERT_HINT}"
        )
    raise _refuse(f"this PKCS#12 (.p12) file's password is wrong (or run: {CONVERT_HINT})")


def _what_der_is(der: bytes) -> str:
    try:
        x509.load_der_x509_certificate(der)
    except ValueError:
        pass
    else:
        return (
            "this is a certificate (DER, like Apple's .cer), not a private key: give the "
            "private key the certificate was issued for"
        )
    try:
        serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        pass
    else:
        return "this is a public key, not a private key: give the private key"
    try:
        x509.load_der_x509_csr(der)
    except ValueError:
        pass
    else:
        return "this is a certificate signing request (CSR), not a private key: give the key"
    return "not a readable private key (DER: PKCS#8, SEC1, PKCS#1, or PKCS#12)"
