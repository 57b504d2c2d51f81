"""Merchant private keys: files, and the key-agreement seam for keys held elsewhere.

The seam is applepay_crypto's public :class:`applepay_crypto.keys.KeyAgreement` (one
``exchange(ephemeral_public_key) -> bytes`` method returning the ECDH shared secret): the
same P-256 ECDH as Apple Pay's EC_v1, so a holder built for Apple Pay (an in-process key,
``applepay_crypto.keys.pkcs11``'s HSM key, a KMS) serves Google Pay unchanged. Imported from
applepay_crypto's public API, never its internals; a holder's failure becomes
``key_operation_failed`` here.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto.keys import InProcessKeyAgreement, KeyAgreement, warn_if_exposed

from .errors import ConfigurationError

__all__ = ["InProcessKeyAgreement", "KeyAgreement", "load_merchant_key", "read_merchant_key"]

#: A P-256 private key in any of the accepted forms is well under 1 KB.
MAX_KEY_BYTES = 16 * 1024


def _parse(data: bytes) -> object:
    if b"-----BEGIN" in data:
        if b"ENCRYPTED" in data:
            raise ConfigurationError(
                "the merchant key is encrypted: decrypt it first "
                "(openssl pkcs8 -in KEY -nocrypt -out PLAIN)"
            )
        return serialization.load_pem_private_key(data, password=None)
    try:
        return serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        pass
    try:
        der = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    return serialization.load_der_private_key(der, password=None)


def load_merchant_key(data: str | bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PKCS#8 or SEC1 PEM, DER, or base64 PKCS#8 (the form Google's
    documentation prints: ``openssl pkcs8 -topk8 -nocrypt -outform DER | base64``)."""
    if isinstance(data, str):
        try:
            data = data.encode("ascii")
        except UnicodeEncodeError:
            raise ConfigurationError("the merchant key is not ASCII text (PEM or base64)") from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ConfigurationError("the merchant key must be bytes or text")
    data = bytes(data)
    if len(data) > MAX_KEY_BYTES:
        raise ConfigurationError(f"the merchant key is larger than {MAX_KEY_BYTES} bytes")
    try:
        key = _parse(data)
    except ConfigurationError:
        raise
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigurationError(
            "the merchant key is not a private key in PEM, DER or base64 PKCS#8"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ConfigurationError("the merchant key is not a P-256 (prime256v1) EC private key")
    return key


def read_merchant_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """:func:`load_merchant_key` of a file's bytes; warns
    (:class:`applepay_crypto.keys.InsecureKeyFileWarning`) when others can read the file."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_KEY_BYTES + 1)
    except (OSError, TypeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        raise ConfigurationError(f"cannot read the merchant key file: {reason}") from None
    key = load_merchant_key(data)
    warn_if_exposed(path)
    return key
