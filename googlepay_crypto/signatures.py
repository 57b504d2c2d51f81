"""ECDSA P-256 / SHA-256 over Google's length-prefixed strings.

Each part is its 4-byte **little-endian** length followed by its UTF-8 bytes (Tink
``PaymentMethodTokenUtil.toLengthValue``, tink-java ``Bytes.intToByteArray``); the length
counts bytes, not characters (Google's .NET library counts characters, which differs for
non-ASCII text: the vectors follow Tink). Signatures are ASN.1 DER and nothing else
(tink-java ``EcdsaVerifyJce`` refuses other encodings); a high-s signature is valid ECDSA and
accepted, as Tink does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import load_der_public_key

from . import _base64
from ._json import loads_strict
from ._time import parse_millis
from .errors import InvalidJsonError, MalformedTokenError

__all__ = [
    "SignedKey",
    "intermediate_signed_bytes",
    "length_value",
    "load_p256_public_key",
    "message_signed_bytes",
    "parse_signed_key",
    "verifies_under_any",
]

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
#: A DER ECDSA P-256 signature is at most 72 bytes; anything longer is not one.
_MAX_SIGNATURE_BYTES = 80


def length_value(*parts: str) -> bytes:
    """Google's signed string: each part as 4-byte little-endian length || UTF-8 bytes."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8")
        out += len(data).to_bytes(4, "little") + data
    return bytes(out)


def intermediate_signed_bytes(sender_id: str, protocol_version: str, signed_key: str) -> bytes:
    """What a root key signs: ``senderId || protocolVersion || signedKey``."""
    return length_value(sender_id, protocol_version, signed_key)


def message_signed_bytes(
    sender_id: str, recipient_id: str, protocol_version: str, signed_message: str
) -> bytes:
    """What the message signature covers: ``senderId || recipientId || protocolVersion ||
    signedMessage``."""
    return length_value(sender_id, recipient_id, protocol_version, signed_message)


def _der_signature(text: str) -> bytes | None:
    """The signature's bytes when they are canonical base64 of strict DER, else ``None``."""
    if len(text) > _MAX_SIGNATURE_BYTES * 2:
        return None
    data = _base64.decode(text)
    if data is None:
        return None
    try:
        r, s = decode_dss_signature(data)
    except ValueError:
        return None
    # A round trip refuses BER forms, trailing bytes and leading zeros of r and s.
    if encode_dss_signature(r, s) != data:
        return None
    return data


def verifies_under_any(
    signatures: Iterable[str], keys: Sequence[ec.EllipticCurvePublicKey], data: bytes
) -> bool:
    """Whether any of ``signatures`` (base64 DER) verifies over ``data`` under any key."""
    for text in signatures:
        signature = _der_signature(text)
        if signature is None:
            continue
        for key in keys:
            try:
                key.verify(signature, data, _ECDSA_SHA256)
            except InvalidSignature:
                continue
            return True
    return False


def load_p256_public_key(text: str) -> ec.EllipticCurvePublicKey | None:
    """Base64 X.509 SubjectPublicKeyInfo of a P-256 key, or ``None``."""
    data = _base64.decode(text)
    if data is None or len(data) > 200:
        return None
    try:
        key = load_der_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # fuzzing: an unknown algorithm OID raised UnsupportedAlgorithm (a root key entry)
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return None
    return key


@dataclass(frozen=True)
class SignedKey:
    """``intermediateSigningKey.signedKey`` once its signature verified."""

    public_key: ec.EllipticCurvePublicKey
    #: Milliseconds since the epoch.
    key_expiration: int


def parse_signed_key(text: str) -> SignedKey:
    """``{"keyValue", "keyExpiration", ...}``; other members are allowed, for Google's
    future extensions (Tink ``validateSignedKey``)."""
    value = loads_strict(text, InvalidJsonError, "intermediateSigningKey.signedKey")
    if not isinstance(value, dict):
        raise MalformedTokenError("intermediateSigningKey.signedKey is not a JSON object")
    key_value = value.get("keyValue")
    key = load_p256_public_key(key_value) if isinstance(key_value, str) else None
    if key is None:
        raise MalformedTokenError(
            "intermediateSigningKey.signedKey.keyValue is missing or not base64 of a P-256 "
            "public key (X.509 SubjectPublicKeyInfo)"
        )
    expiration = parse_millis(value.get("keyExpiration"))
    if expiration is None or not isinstance(value.get("keyExpiration"), str):
        raise MalformedTokenError(
            "intermediateSigningKey.signedKey.keyExpiration is missing or not milliseconds "
            "since the epoch as a decimal string"
        )
    return SignedKey(key, expiration)
