"""What a token says about itself, without keys and without trusting it.

The token's own ``protocolVersion`` decides which member set it must have (the recipient,
by contrast, checks the version it expects). The description holds the structure and the
sizes of the members, the intermediate key's expiration, and the message's expiration when
it can be read without a key (ECv2SigningOnly: the message is not encrypted). It never
holds the message or card data: an encrypted message is described by its sizes only, an
ECv2SigningOnly message by its size and its messageExpiration.
"""

from __future__ import annotations

from typing import Any

from . import _base64
from ._json import loads_strict
from ._time import from_millis, utc_text
from .decryption import parse_encrypted_message
from .errors import InvalidJsonError, MalformedTokenError
from .message import message_expiration, parsed_message
from .signatures import _der_signature, parse_signed_key
from .token import PROTOCOL_VERSIONS, check_protocol_version, parse_token

__all__ = ["describe_token"]

_UNCOMPRESSED_POINT_BYTES = 65


def _token_version(token: str | bytes) -> str:
    """The token's own version, checked as a recipient checks it."""
    value = loads_strict(token, InvalidJsonError, "token")
    if not isinstance(value, dict):
        raise InvalidJsonError("token is not a JSON object")
    if "protocolVersion" not in value:
        raise MalformedTokenError("token.protocolVersion is missing")
    version = value["protocolVersion"]
    known = version if isinstance(version, str) and version in PROTOCOL_VERSIONS else "ECv2"
    return check_protocol_version(version, known)


def _signature(text: str) -> dict[str, Any]:
    """A signature's shape: its size and whether it is canonical base64 of strict DER."""
    data = _base64.decode(text)
    return {
        "bytes": len(data) if data is not None else None,
        "der": _der_signature(text) is not None,
    }


def _millis_text(millis: int | None) -> str | None:
    return utc_text(from_millis(millis)) if millis is not None else None


def _intermediate(signed_key: str, signatures: tuple[str, ...]) -> dict[str, Any]:
    key = parse_signed_key(signed_key)
    members = loads_strict(signed_key, InvalidJsonError, "intermediateSigningKey.signedKey")
    return {
        "key_expiration": _millis_text(key.key_expiration),
        "key": "P-256 public key",
        # Google may add members (Tink allows them); their names are the sender's text.
        "signed_key_other_members": len(set(members) - {"keyValue", "keyExpiration"}),
        "signatures": [_signature(text) for text in signatures],
    }


def _ephemeral_key(data: bytes) -> str:
    if len(data) == _UNCOMPRESSED_POINT_BYTES and data[0] == 0x04:
        return "uncompressed point (65 bytes)"
    return f"{len(data)} bytes: not an uncompressed point"


def _encrypted(signed_message: str) -> dict[str, Any]:
    message = parse_encrypted_message(signed_message)
    return {
        "encrypted": True,
        "encrypted_message_bytes": len(message.ciphertext),
        "ephemeral_public_key": _ephemeral_key(message.ephemeral_public_key),
        "tag_bytes": len(message.tag),
    }


def _signed_only(signed_message: str) -> dict[str, Any]:
    value = parsed_message(signed_message)
    kind = "json object" if isinstance(value, dict) else "json" if value is not None else "text"
    return {"encrypted": False, "bytes": len(signed_message.encode("utf-8")), "message": kind}


def describe_token(token: str | bytes) -> dict[str, Any]:
    """Version, member shapes and expirations, all unverified (``verified`` is false)."""
    version = _token_version(token)
    parsed = parse_token(token, version)
    encrypted = version != "ECv2SigningOnly"
    expiration = None if encrypted else message_expiration(parsed.signed_message)
    intermediate = parsed.intermediate_signing_key
    shape = _encrypted(parsed.signed_message) if encrypted else None
    return {
        "verified": False,
        "protocol_version": version,
        "signature": _signature(parsed.signature),
        "intermediate_signing_key": (
            _intermediate(intermediate.signed_key, intermediate.signatures)
            if intermediate is not None
            else None
        ),
        "signed_message": shape if shape is not None else _signed_only(parsed.signed_message),
        "message_expiration": _millis_text(expiration),
        "message_expiration_readable": not encrypted,
    }
