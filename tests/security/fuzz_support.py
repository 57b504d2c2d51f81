"""Seeds and mutators for the fuzz tests: real and minted tokens, mutated as bytes, as JSON,
and as BER (lengths, tags, indefinite nesting, truncation)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from applepay_crypto.testing.vectors import load_vector, vector_files

from support import REAL_VECTORS, REPO

#: Examples per test; raise it for a longer campaign (``APPLEPAY_FUZZ_EXAMPLES=20000``),
#: which also switches from the fixed CI sequence to random exploration.
_CAMPAIGN = int(os.environ.get("APPLEPAY_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int) -> settings:
    """Bounded and repeatable in CI: a fixed example sequence, no deadline, no database."""
    return settings(
        max_examples=_CAMPAIGN or examples,
        deadline=None,
        derandomize=not _CAMPAIGN,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def _token_of(source: dict[str, Any]) -> dict[str, Any] | None:
    if "json" in source:
        found: Any = source["json"]
    else:
        try:
            found = json.loads(source["text"])
        except (ValueError, RecursionError):
            return None
    for wrapper in ("token", "paymentData"):
        if isinstance(found, dict) and wrapper in found:
            found = found[wrapper]
    if isinstance(found, dict) and {"version", "data", "signature", "header"} <= found.keys():
        return found
    return None


def seed_tokens() -> list[dict[str, Any]]:
    """paymentData objects: every minted vector that holds one, and the real tokens in
    ../shared when present."""
    seeds = []
    for path in vector_files(REPO / "vectors"):
        token = _token_of(load_vector(path)["input"])
        if token is not None and isinstance(token.get("header"), dict):
            seeds.append(token)
    if REAL_VECTORS.is_dir():
        for path in sorted(REAL_VECTORS.glob("*/token.json")):
            real = _token_of({"json": json.loads(path.read_text())})
            if real is not None:
                seeds.append(real)
    return seeds


def seed_signatures(seeds: list[dict[str, Any]]) -> list[bytes]:
    found = []
    for token in seeds:
        try:
            found.append(base64.b64decode(token["signature"], validate=True))
        except (ValueError, TypeError):
            continue
    return sorted(set(found))[:12]


# --- byte mutations ---------------------------------------------------------------------


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes, max_ops: int = 4) -> bytes:
    """``seed`` after a few random edits: flips, overwrites, inserts, deletions, truncation,
    duplicated slices."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "dup"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.sampled_from([0x00, 0x80, 0xFF, 0x30, 0x31, 0xA0, 0x7F, 0x81]))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[at:]
        elif op == "dup" and data:
            end = min(len(data), at + draw(st.integers(1, 64)))
            data[at:at] = data[at:end]
    return bytes(data)


def ber_headers(data: bytes) -> list[int]:
    """Offsets of the TLV headers in ``data`` (best effort, for structure-aware mutation)."""
    offsets: list[int] = []
    position = 0
    while position < len(data) and len(offsets) < 4096:
        if data[position : position + 2] == b"\x00\x00":
            position += 2
            continue
        offsets.append(position)
        if position + 1 >= len(data):
            break
        tag, length = data[position], data[position + 1]
        header = 2
        if length == 0x80:
            position += header
            continue
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[position + 2 : position + 2 + count], "big")
            header += count
        if tag & 0x20:
            position += header  # descend into constructed contents
        else:
            position += header + length
    return offsets


@st.composite
def mutated_ber(draw: st.DrawFn, seed: bytes) -> bytes:
    """The CMS with its structure attacked at a TLV header: the length byte or field, the
    tag, an indefinite-length nest spliced in, truncation right after a header."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 3))):
        headers = ber_headers(bytes(data)) or [0]
        at = draw(st.sampled_from(headers))
        op = draw(
            st.sampled_from(["length", "long-length", "tag", "nest", "truncate", "indefinite"])
        )
        if op == "length" and at + 1 < len(data):
            data[at + 1] = draw(st.integers(0, 255))
        elif op == "long-length" and at + 1 < len(data):
            count = draw(st.integers(1, 9))
            value = draw(st.integers(0, 2 ** (8 * count) - 1))
            data[at + 1 : at + 2] = bytes([0x80 | count]) + value.to_bytes(count, "big")
        elif op == "tag":
            data[at] = draw(st.integers(0, 255))
        elif op == "nest":
            depth = draw(st.integers(1, 4000))
            tag = draw(st.sampled_from([0x30, 0x31, 0xA0, 0x24]))
            nest = bytes([tag, 0x80]) * depth + b"\x00\x00" * depth
            data[at:at] = nest
        elif op == "truncate":
            del data[at + draw(st.integers(0, 4)) :]
        elif op == "indefinite" and at + 1 < len(data):
            data[at + 1] = 0x80
    return bytes(data)


# --- JSON ------------------------------------------------------------------------------

#: Text with everything in it, lone surrogates included (JSON's \ud800 escapes make them).
any_text = st.text(st.characters(exclude_categories=()), max_size=40)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@st.composite
def mutated_token(draw: st.DrawFn, token: dict[str, Any]) -> dict[str, Any]:
    """A paymentData object with one to three fields attacked: decoded bytes mutated and
    re-encoded, replaced by any JSON value, removed, or an extra field added."""
    doc = json.loads(json.dumps(token))
    for _ in range(draw(st.integers(1, 3))):
        header = doc.get("header") if isinstance(doc.get("header"), dict) else None
        places: list[tuple[dict[str, Any], str]] = [(doc, k) for k in list(doc)]
        if header is not None:
            places += [(header, k) for k in list(header)]
        if not places:
            break
        owner, name = draw(st.sampled_from(places))
        op = draw(st.sampled_from(["bytes", "ber", "value", "drop", "extra", "case"]))
        value = owner.get(name)
        if op in ("bytes", "ber") and isinstance(value, str):
            try:
                raw = base64.b64decode(value, validate=True)
                encode = b64
            except ValueError:
                raw = value.encode("utf-8", "surrogatepass")

                def encode(mutated: bytes) -> str:
                    return mutated.decode("utf-8", "replace")

            if op == "ber" and raw[:1] == b"\x30":
                owner[name] = encode(draw(mutated_ber(raw)))
            else:
                owner[name] = encode(draw(mutated_bytes(raw)))
        elif op == "value":
            owner[name] = draw(json_values)
        elif op == "drop":
            del owner[name]
        elif op == "extra":
            owner[draw(any_text)] = draw(json_values)
        elif op == "case" and isinstance(value, str):
            owner[name] = value.swapcase()
    return doc


def wrap(draw: st.DrawFn, token: Any) -> Any:
    """One of the accepted shapes around ``token`` (dict, JSON text, bytes, base64)."""
    shape = draw(st.sampled_from(["dict", "pk", "js", "text", "bytes", "base64"]))
    if shape == "pk":
        return {"paymentData": token, "transactionIdentifier": "X"}
    if shape == "js":
        return {"token": {"paymentData": token}}
    if shape == "text":
        return json.dumps(token, ensure_ascii=draw(st.booleans()))
    if shape == "bytes":
        return json.dumps(token).encode("utf-8")
    if shape == "base64":
        return b64(json.dumps(token).encode("utf-8"))
    return token
