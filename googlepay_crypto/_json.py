"""Strict JSON, as the token needs it (../shared/vectors/googlepay/README.md, "Where this set
is stricter than Tink"): RFC 8259 only, no ``NaN``/``Infinity``, and no duplicate member
names. Gson keeps the last of two duplicates and a first-wins parser the first, so a token
holding both a genuine and a forged member means different things to different parsers:
such a token is refused, whichever one is genuine.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import GooglePayError

__all__ = ["DECODER", "StrictJsonError", "loads_strict", "too_deep"]

#: The deepest nesting accepted. Google's documents nest four levels; the decoder would
#: accept about a thousand and die of RecursionError near its limit.
MAX_DEPTH = 32


class StrictJsonError(ValueError):
    """Raised inside the decoder; callers turn it into their own GooglePayError."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise StrictJsonError("duplicate member name")
    return result


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"JSON has no {name}")


DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads_strict(data: str | bytes, error: type[GooglePayError], what: str) -> Any:
    """``data`` parsed as strict JSON, or ``error`` naming ``what`` (never the text)."""
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise error(f"{what} is not UTF-8 text") from None
    elif isinstance(data, str):
        text = data
    else:
        raise error(f"{what} must be JSON text (str or bytes), not {type(data).__name__}")
    if too_deep(text):
        raise error(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        value = DECODER.decode(text)
    except StrictJsonError as exc:
        raise error(f"{what} is not strict JSON: {exc}") from None
    except (ValueError, RecursionError):
        raise error(f"{what} is not JSON") from None
    _refuse_lone_surrogates(value, error, what)
    return value


def _refuse_lone_surrogates(value: Any, error: type[GooglePayError], what: str) -> None:
    """A ``\\ud800`` escape decodes to a lone surrogate, which is not Unicode text and
    which no UTF-8 output (a signed string, a log line) can carry."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise error(f"{what} holds a lone surrogate escape") from None
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
