"""PayKKa's signing rules: the two strings to sign and the signature encoding.

Both API versions sign with RSASSA-PKCS1-v1_5 over SHA-256 and send the signature as
URL-encoded base64. They differ only in the string to sign, each built by one function
here: :func:`v12_string_to_sign` and :func:`v3_string_to_sign`. The signers and verifiers
around them are in :mod:`paykka_sign.paykka_v12` and :mod:`paykka_sign.paykka_v3`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .errors import PaykkaSignError, SignatureInvalidError

__all__ = [
    "decode_signature",
    "encode_signature",
    "rsa_sign",
    "rsa_verify",
    "timestamp_text",
    "v3_string_to_sign",
    "v12_string_to_sign",
]

_MILLIS = re.compile(r"[0-9]{1,19}")


def v12_string_to_sign(merchant_id: str, timestamp: str, body: bytes) -> bytes:
    """PayKKa v1.2: ``merchantId=<id>&timestamp=<ms>&requestBody=<exact body bytes>``."""
    return b"merchantId=%s&timestamp=%s&requestBody=%s" % (
        merchant_id.encode("utf-8"),
        timestamp.encode("ascii"),
        body,
    )


def v3_string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """PayKKa v3: method, path, timestamp, nonce and body joined by ``\\n``.

    An empty component (typically the body of a GET) is replaced by a single space, so the
    string always has five lines.
    """
    parts = [m.encode("utf-8") for m in (method, path, timestamp, nonce)] + [body]
    return b"\n".join(part if part else b" " for part in parts)


def encode_signature(signature: bytes) -> str:
    """URL-encode(base64(signature)): ``+``, ``/`` and ``=`` become ``%2B``, ``%2F``, ``%3D``."""
    return quote(base64.b64encode(signature).decode("ascii"), safe="")


def decode_signature(header: str) -> bytes:
    """The raw signature from a header value, URL-encoded or not (base64 has no ``%``)."""
    # unquote, not unquote_plus: a "+" that was never URL-encoded is base64, not a space.
    text = unquote(header.strip())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalidError("the signature is not (URL-encoded) base64") from None


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5) over ``message``, as the header value."""
    return encode_signature(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, header: str) -> None:
    """Raise :class:`SignatureInvalidError` unless ``header`` signs ``message``."""
    try:
        key.verify(decode_signature(header), message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureInvalidError(
            "the signature does not verify with the given public key over the received "
            "body (wrong key, modified body, or different signed fields)"
        ) from None


def _scalar_text(value: Any) -> str | None:
    # Floats (1.7e12) and booleans have no single textual form in the string to sign.
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return str(value)


def timestamp_text(value: Any, where: str, error: type[PaykkaSignError]) -> str:
    """A millisecond timestamp (JSON number or string of digits) as the string to sign has it."""
    text = _scalar_text(value)
    if text is None or not _MILLIS.fullmatch(text):
        raise error(f"the timestamp {where} is not milliseconds since the epoch (digits only)")
    return text


def merchant_id_text(value: Any, where: str, error: type[PaykkaSignError]) -> str:
    """A merchant id (JSON string or number) as the string to sign has it."""
    text = _scalar_text(value)
    if not text:
        raise error(f"the merchant_id {where} is not a non-empty string or integer")
    return text
