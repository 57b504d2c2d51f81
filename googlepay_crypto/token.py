"""The token's JSON shape: exact member sets, as Tink checks them
(``PaymentMethodTokenRecipient.validateECV1`` / ``validateECV2`` /
``validateIntermediateSigningKey``).

ECv1 holds exactly ``protocolVersion``, ``signature`` and ``signedMessage``; ECv2 and
ECv2SigningOnly also ``intermediateSigningKey``, which holds exactly ``signedKey`` (a
string) and ``signatures`` (an array of strings). The member set is checked before the
version string, so the set is the one of the version the recipient expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._json import loads_strict
from .errors import (
    InvalidJsonError,
    MalformedTokenError,
    ProtocolVersionMismatchError,
    UnsupportedProtocolVersionError,
)

__all__ = [
    "PROTOCOL_VERSIONS",
    "IntermediateSigningKey",
    "ParsedToken",
    "check_protocol_version",
    "parse_token",
]

PROTOCOL_VERSIONS = ("ECv1", "ECv2", "ECv2SigningOnly")
_ECV1_MEMBERS = frozenset({"protocolVersion", "signature", "signedMessage"})
_ECV2_MEMBERS = _ECV1_MEMBERS | {"intermediateSigningKey"}
_INTERMEDIATE_MEMBERS = frozenset({"signedKey", "signatures"})
#: Far more than Google sends (one or two); bounds the work a hostile token can ask for.
MAX_INTERMEDIATE_SIGNATURES = 16


@dataclass(frozen=True)
class IntermediateSigningKey:
    #: The JSON text of ``{"keyValue", "keyExpiration"}``, exactly as signed.
    signed_key: str
    #: Base64 DER signatures, each checked against every root key.
    signatures: tuple[str, ...]


@dataclass(frozen=True)
class ParsedToken:
    protocol_version: str
    #: Base64 DER signature over the signed message string.
    signature: str
    #: The message (ECv2SigningOnly) or the encrypted-message JSON, exactly as signed.
    signed_message: str
    intermediate_signing_key: IntermediateSigningKey | None


def _members(value: dict[str, Any], expected: frozenset[str], where: str) -> None:
    missing = sorted(expected - value.keys())
    extra = len(value.keys() - expected)
    if missing or extra:
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if extra:
            # The names are not echoed: they are the sender's text.
            problems.append(f"{extra} unexpected member(s)")
        raise MalformedTokenError(
            f"{where} must hold exactly {', '.join(sorted(expected))}: {'; '.join(problems)}"
        )


def _string(value: dict[str, Any], name: str, where: str = "token") -> str:
    item = value[name]
    if not isinstance(item, str):
        raise MalformedTokenError(f"{where}.{name} is not a string")
    return item


def _intermediate(value: Any) -> IntermediateSigningKey:
    if not isinstance(value, dict):
        raise MalformedTokenError("token.intermediateSigningKey is not an object")
    _members(value, _INTERMEDIATE_MEMBERS, "token.intermediateSigningKey")
    signed_key = _string(value, "signedKey", "token.intermediateSigningKey")
    signatures = value["signatures"]
    if not isinstance(signatures, list) or not all(isinstance(s, str) for s in signatures):
        raise MalformedTokenError(
            "token.intermediateSigningKey.signatures is not an array of strings"
        )
    if len(signatures) > MAX_INTERMEDIATE_SIGNATURES:
        raise MalformedTokenError(
            "token.intermediateSigningKey.signatures holds more than "
            f"{MAX_INTERMEDIATE_SIGNATURES} signatures"
        )
    return IntermediateSigningKey(signed_key, tuple(signatures))


def check_protocol_version(value: Any, expected: str) -> str:
    if not isinstance(value, str) or value not in PROTOCOL_VERSIONS:
        raise UnsupportedProtocolVersionError(
            "token.protocolVersion is not one of " + ", ".join(PROTOCOL_VERSIONS)
        )
    if value != expected:
        raise ProtocolVersionMismatchError(
            f"token.protocolVersion is {value}, this recipient expects {expected}"
        )
    return value


def parse_token(token: str | bytes, expected_version: str) -> ParsedToken:
    """The token's members, checked for the version the recipient expects."""
    value = loads_strict(token, InvalidJsonError, "token")
    if not isinstance(value, dict):
        raise InvalidJsonError("token is not a JSON object")
    has_intermediate = expected_version != "ECv1"
    _members(value, _ECV2_MEMBERS if has_intermediate else _ECV1_MEMBERS, "token")
    # Tink's order: the member set, the version, then the members' shapes.
    version = check_protocol_version(value["protocolVersion"], expected_version)
    signature = _string(value, "signature")
    signed_message = _string(value, "signedMessage")
    intermediate = _intermediate(value["intermediateSigningKey"]) if has_intermediate else None
    return ParsedToken(version, signature, signed_message, intermediate)
