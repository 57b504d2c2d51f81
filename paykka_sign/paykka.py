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

from .errors import InvalidArgumentError, PaykkaSignError, SignatureInvalidError
from .messages import utf8

__all__ = [
    "decode_signature",
    "encode_signature",
    "merchant_id_text",
    "rsa_sign",
    "rsa_verify",
    "timestamp_text",
    "v3_string_to_sign",
    "v12_string_to_sign",
]

_MILLIS = re.compile(r"[0-9]{1,19}")


def v12_string_to_sign(merchant_id: str, timestamp: str, body: bytes) -> bytes:
    """PayKKa v1.2: ``merchantId=<id>&timestamp=<ms>&requestBody=<exact body bytes>``."""
    mid = merchant_id_text(merchant_id, "given", InvalidArgumentError)
    ts = timestamp_text(timestamp, "given", InvalidArgumentError)
    return b"merchantId=%s&timestamp=%s&requestBody=%s" % (
        mid.encode("utf-8"),
        ts.encode("ascii"),
        _bytes(body, "the body"),
    )


def _bytes(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidArgumentError(f"{what} must be bytes")
    return bytes(value)


def _text(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be text")
    return utf8(value, what)


def v3_string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """PayKKa v3: method, path, timestamp, nonce and body joined by ``\\n``.

    An empty component (typically the body of a GET) is replaced by a single space, so the
    string always has five lines.
    """
    names = ("the method", "the path", "the timestamp", "the nonce")
    parts = [
        _text(m, name) for m, name in zip((method, path, timestamp, nonce), names, strict=True)
    ]
    parts.append(_bytes(body, "the body"))
    return b"\n".join(part if part else b" " for part in parts)


def encode_signature(signature: bytes) -> str:
    """URL-encode(base64(signature)): ``+``, ``/`` and ``=`` become ``%2B``, ``%2F``, ``%3D``."""
    return quote(base64.b64encode(_bytes(signature, "the signature")).decode("ascii"), safe="")


def decode_signature(header: str) -> bytes:
    """The raw signature from a header value, URL-encoded or not (base64 has no ``%``)."""
    if not isinstance(header, str):
        raise SignatureInvalidError("the signature header is not text")
    # unquote, not unquote_plus: a "+" that was never URL-encoded is base64, not a space.
    text = unquote(header.strip())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalidError("the signature is not (URL-encoded) base64") from None


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5) over ``message``, as the header value."""
    return encode_signature(
        key.sign(_bytes(message, "the message"), padding.PKCS1v15(), hashes.SHA256())
    )


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, header: str) -> None:
    """Raise :class:`SignatureInvalidError` unless ``header`` signs ``message``."""
    try:
        key.verify(
            decode_signature(header),
            _bytes(message, "the message"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        raise SignatureInvalidError(
            "the signature does not verify with the given public key over the received "
            "body (wrong key, modified body, or different signed fields)"
        ) from None


def _scalar_text(value: Any) -> str | None:
    # Floats (1.7e12) and booleans have no single textual form in the string to sign.
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, int) and not -(10**19) < value < 10**19:
        return None  # no timestamp or merchant id has 20 digits; str() may refuse 5000
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
    # review (#11): "&" or "=" in the id could move bytes between the fields of
    # merchantId=..&timestamp=..&requestBody=..
    if "&" in text or "=" in text:
        raise error(f"the merchant_id {where} contains '&' or '='")
    if not text.isprintable():  # control characters, lone surrogates (no UTF-8 form)
        raise error(f"the merchant_id {where} is not printable text")
    return text
