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

from .errors import InvalidArgumentError, InvalidHeaderError, MalformedBodyError, MissingFieldError

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
    "received_body",
    "require_field",
    "required_header",
    "utf8",
]

#: A body to sign: exact bytes (sent as they are), text (UTF-8) or a JSON object (serialised
#: compactly once, and those bytes are what is signed and returned).
Body = bytes | str | Mapping[str, Any]


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """Headers to add and the exact body bytes to send: send ``body``, not a re-encoding."""

    headers: Mapping[str, str]
    body: bytes
    #: The bytes the signature covers, for debugging a PSP's "signature error". They hold
    #: the body, so the card number and cryptogram of a merchant-decryption payment: never
    #: log them; log :attr:`masked_string_to_sign`.
    string_to_sign: bytes

    @property
    def masked_string_to_sign(self) -> bytes:
        """:attr:`string_to_sign` with its body masked as
        :func:`paykka_sign.mask_request` masks it (by allow-list: the card number masked,
        the cryptogram and every field not known to be safe redacted): safe to log, and
        what the headers sign is still visible (issue #14). A body that is not a JSON
        object is shown by its length only."""
        from .applepay_requests import mask_request  # it builds on this module

        signed, body = self.string_to_sign, self.body
        if not body or not signed.endswith(body):  # v3 with no body ends in " "
            return signed if not body else b"<string to sign withheld>"
        prefix = signed[: len(signed) - len(body)]
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            document = None
        if not isinstance(document, dict):
            return prefix + f"<{len(body)} bytes, not a JSON object>".encode()
        return prefix + dump_json(mask_request(document))

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
        """The verified body parsed as JSON (``malformed_body`` when it is not JSON)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise MalformedBodyError("the verified body is not valid JSON") from None
        except RecursionError:
            raise MalformedBodyError("the verified body nests too deeply") from None

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


def parse_json_object(raw: bytes | str, *, what: str = "body") -> dict[str, Any]:
    """A JSON object from bytes, refusing duplicate keys, NaN/Infinity and non-objects."""
    if not isinstance(raw, bytes | bytearray | memoryview | str):
        raise MalformedBodyError(f"the {what} is not JSON text (bytes or str)")
    try:
        doc = json.loads(
            bytes(raw) if isinstance(raw, memoryview) else raw,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
        )
    except (ValueError, UnicodeDecodeError):
        # json's message would quote the body, which may hold card data.
        raise MalformedBodyError(f"the {what} is not valid JSON") from None
    except RecursionError:
        # review (#11): 2 KB of "[" exhaust the decoder's stack before any signature check.
        raise MalformedBodyError(f"the {what} nests too deeply") from None
    if not isinstance(doc, dict):
        raise MalformedBodyError(f"the {what} is not a JSON object")
    return doc


def dump_json(doc: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the one serialisation signers use for dict bodies."""
    # No exception text in the messages (review (#11)): json's and the codec's name values.
    try:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise MalformedBodyError(
            "the body cannot be serialised as JSON (a value that is not a string, number, "
            "boolean, null, list or object with string keys, NaN, or a cycle)"
        ) from None
    except RecursionError:
        raise MalformedBodyError("the body nests too deeply to serialise") from None
    return utf8(text, "the body")


def utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (a JSON ``\\ud800`` escape) has no UTF-8 form."""
    if not isinstance(text, str):
        raise MalformedBodyError(f"{what} is not text")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # review (#11): the codec's message would quote the text; name the place only.
        raise MalformedBodyError(f"{what} holds a lone surrogate, which is not text") from None


def body_bytes(body: Body) -> bytes:
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return utf8(body, "the body")
    if isinstance(body, Mapping):
        return dump_json(body)
    raise MalformedBodyError("the body must be bytes, text or a JSON object (a mapping)")


def received_body(body: bytes | str, what: str = "body") -> bytes:
    """The raw body a verifier checks: bytes as received, or text as UTF-8.

    A parsed JSON value is refused: the signature covers bytes, which a re-serialisation
    would not reproduce.
    """
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return utf8(body, f"the {what}")
    raise MalformedBodyError(
        f"the {what} must be the raw bytes as received (or their text), not parsed JSON"
    )


def find_field(doc: Mapping[str, Any], paths: Iterable[str]) -> tuple[str, Any] | None:
    """The first of ``paths`` (dotted, e.g. ``data.timestamp``) present in ``doc``."""
    if isinstance(paths, str) or not isinstance(paths, Iterable):
        raise InvalidArgumentError("field paths must be a sequence of dotted strings")
    paths = tuple(paths)
    if not all(isinstance(path, str) for path in paths):
        raise InvalidArgumentError("field paths must be a sequence of dotted strings")
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
    if not isinstance(headers, Mapping):
        raise InvalidHeaderError("the headers are not a mapping of names to values")
    matches = [
        value for key, value in headers.items() if isinstance(key, str) and key.lower() == name
    ]
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
    if not isinstance(headers, Mapping):
        raise InvalidArgumentError("the headers are not a mapping of names to values")
    return MappingProxyType(dict(headers))
