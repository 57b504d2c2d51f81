"""Tamper with sealed tokens, one class of damage per function (negative vectors).

Each takes a token dict (:meth:`.seal.Sealer.seal_dict`) and returns a changed copy; none
signs again, so each is refused by the first check that covers the changed bytes. To reach
the decryption checks, edit signedMessage and sign again with :func:`resigned`.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from .seal import Sealer

__all__ = [
    "change_byte",
    "change_char",
    "dumps",
    "resigned",
    "with_encrypted_member",
    "with_intermediate_signature_byte",
    "with_signature_byte",
    "with_signed_key_char",
    "with_signed_message_char",
    "with_tag_byte",
]


def dumps(token: dict[str, Any]) -> str:
    """A token dict as compact JSON text."""
    return json.dumps(token, separators=(",", ":"), ensure_ascii=False)


def change_byte(data: bytes, index: int, mask: int = 0x01) -> bytes:
    """``data`` with the byte at ``index % len(data)`` XORed with ``mask`` (not 0)."""
    if not data or not 0 < mask < 256:
        raise ValueError("change_byte needs data and a mask of 1..255")
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]


def change_char(text: str, index: int) -> str:
    """``text`` with the character at ``index % len(text)`` replaced by another one."""
    i = index % len(text)
    replacement = "A" if text[i] != "A" else "B"
    return text[:i] + replacement + text[i + 1 :]


def _b64_changed(text: str, index: int, mask: int) -> str:
    return base64.b64encode(change_byte(base64.b64decode(text), index, mask)).decode("ascii")


def with_signed_message_char(token: dict[str, Any], index: int) -> dict[str, Any]:
    out = copy.deepcopy(token)
    out["signedMessage"] = change_char(out["signedMessage"], index)
    return out


def with_signed_key_char(token: dict[str, Any], index: int) -> dict[str, Any]:
    out = copy.deepcopy(token)
    key = out["intermediateSigningKey"]
    key["signedKey"] = change_char(key["signedKey"], index)
    return out


def with_intermediate_signature_byte(
    token: dict[str, Any], index: int, mask: int = 0x01
) -> dict[str, Any]:
    out = copy.deepcopy(token)
    signatures = out["intermediateSigningKey"]["signatures"]
    signatures[0] = _b64_changed(signatures[0], index, mask)
    return out


def with_signature_byte(token: dict[str, Any], index: int, mask: int = 0x01) -> dict[str, Any]:
    out = copy.deepcopy(token)
    out["signature"] = _b64_changed(out["signature"], index, mask)
    return out


def resigned(sealer: Sealer, token: dict[str, Any], signed_message: str) -> dict[str, Any]:
    """``token`` with ``signed_message`` in place, its message signature made afresh."""
    out = copy.deepcopy(token)
    out["signedMessage"] = signed_message
    out["signature"] = sealer.sign_message(signed_message)
    return out


def with_encrypted_member(
    sealer: Sealer,
    token: dict[str, Any],
    edit: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """``token`` whose signedMessage object went through ``edit``, signed again: reaches
    the payload-shape, ephemeral-key and tag checks."""
    members = json.loads(token["signedMessage"])
    return resigned(sealer, token, json.dumps(edit(members), separators=(",", ":")))


def with_tag_byte(sealer: Sealer, token: dict[str, Any], index: int) -> dict[str, Any]:
    """The tag with one byte changed, signed again (so only the tag check can see it)."""

    def edit(members: dict[str, Any]) -> dict[str, Any]:
        members["tag"] = _b64_changed(members["tag"], index, 0x01)
        return members

    return with_encrypted_member(sealer, token, edit)
