"""What signers return and verifiers accept: exact body bytes, JSON fields, HTTP headers.

Signatures cover bytes, not JSON values: a body re-serialised after signing (spaces, key
order, ``\\u00e9`` vs ``é``) no longer verifies. So signers return the body bytes next to the
headers, and verifiers take the raw body as received.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import InvalidHeaderError, MalformedBodyError, MissingFieldError

__all__ = [
    "Body",
    "SignedRequest",
    "VerifiedMessage",
    "body_bytes",
    "dump_json",
    "find_field",
    "frozen_headers",
    "optional_header",
    "parse_json_object",
    "require_field",
    "required_header",
]

#: A body to sign: exact bytes (sent as they are), text (UTF-8) or a JSON object (serialised
#: compactly once, and those bytes are what is signed and returned).
Body = bytes | str | Mapping[str, Any]


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """Headers to add and the exact body bytes to send: send ``body``, not a re-encoding."""

    headers: Mapping[str, str]
    body: bytes
    #: The bytes the signature covers, for debugging a PSP's "signature error".
    string_to_sign: bytes

    def __repr__(self) -> str:
        # The body may hold card data (merchant decryption); show its size only.
        return f"SignedRequest(headers={dict(self.headers)!r}, body=<{len(self.body)} bytes>)"


@dataclass(frozen=True, repr=False)
class VerifiedMessage:
    """A response or notification whose signature verified."""

    body: bytes
    #: Milliseconds since the epoch, as signed.
    timestamp: int
    merchant_id: str | None = None
    nonce: str | None = None

    def json(self) -> Any:
        """The verified body parsed as JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return (
            f"VerifiedMessage(timestamp={self.timestamp}, merchant_id={self.merchant_id!r}, "
            f"nonce={self.nonce!r}, body=<{len(self.body)} bytes>)"
        )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two parsers (ours, the PSP's) could pick different values: refuse to guess.
            raise MalformedBodyError(f"the JSON has the key {key!r} twice")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedBodyError(f"the JSON contains {name}, which is not JSON")


def parse_json_object(raw: bytes, *, what: str = "body") -> dict[str, Any]:
    """A JSON object from bytes, refusing duplicate keys, NaN/Infinity and non-objects."""
    try:
        doc = json.loads(raw, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        # json's message would quote the body, which may hold card data.
        raise MalformedBodyError(f"the {what} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise MalformedBodyError(f"the {what} is not a JSON object")
    return doc


def dump_json(doc: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the one serialisation signers use for dict bodies."""
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise MalformedBodyError(f"the body cannot be serialised as JSON: {exc}") from None
    return text.encode("utf-8")


def body_bytes(body: Body) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return dump_json(body)


def find_field(doc: Mapping[str, Any], paths: Iterable[str]) -> tuple[str, Any] | None:
    """The first of ``paths`` (dotted, e.g. ``data.timestamp``) present in ``doc``."""
    for path in paths:
        node: Any = doc
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            return path, node
    return None


def require_field(doc: Mapping[str, Any], paths: Iterable[str], *, label: str) -> Any:
    paths = tuple(paths)
    found = find_field(doc, paths)
    if found is None:
        raise MissingFieldError(f"the body has no {label} (looked for {', '.join(paths)})")
    return found[1]


def optional_header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name (HTTP header names are case-insensitive)."""
    matches = [value for key, value in headers.items() if key.lower() == name]
    if len(matches) > 1:
        raise InvalidHeaderError(f"the header {name!r} is present {len(matches)} times")
    if not matches:
        return None
    if not isinstance(matches[0], str):
        raise InvalidHeaderError(f"the header {name!r} is not text")
    return matches[0].strip()


def required_header(headers: Mapping[str, str], name: str) -> str:
    value = optional_header(headers, name)
    if not value:
        raise InvalidHeaderError(f"the header {name!r} is missing or empty")
    return value


def frozen_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(headers))
