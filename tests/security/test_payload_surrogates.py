"""A lone surrogate anywhere in a decrypted payload (review #11, class 6) is refused by
``PaymentData.from_json`` with ``malformed_token``, so no surface meets one.

The review's payload had a JSON ``\\ud800`` escape: from_json accepted it, and the CLI then
died printing it (``UnicodeEncodeError``). A surrogate is not Unicode text and Apple never
sends one; refusing it once, where the payload is parsed, keeps every printing surface and
every caller's own encoding safe — rather than teaching each surface to cope. The property
puts one lone surrogate (a lower- or upper-case escape, or its raw UTF-8 bytes) into any key
or value at any depth, known fields and unknown ones, and runs the token through the
library and every decrypting command: each ends in ``malformed_token``, never a traceback.
A surrogate *pair* is a character like any other and is accepted everywhere.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_support import fuzz_settings, json_values
from hypothesis import given
from hypothesis import strategies as st
from surfaces_support import Surfaces, library_outputs

from applepay_crypto import ApplePayError, MalformedTokenError, PaymentData
from applepay_crypto.payment_data import MAX_PAYLOAD_DEPTH
from applepay_crypto.testing import emv_payload, sample_payload

#: JSON values without surrogates: the one planted must be the only one.
clean_values = json_values.filter(lambda v: "\\ud" not in json.dumps(v))


def _base(kind: str) -> dict[str, Any]:
    payload = sample_payload(cardholder_name="Jane") if kind == "3DSecure" else emv_payload()
    payload["merchantTokenMetadata"] = {"cardArt": [{"url": "https://a.example/x"}]}
    payload["authenticationResponses"] = [
        {"merchantIdentifier": "merchant.com.example", "authenticationData": "AAEC", "x": [[1]]}
    ]
    return payload


def _slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every place text sits: ("key", path to the object + key) or ("value", path)."""
    found: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(value, str):
        found.append((path, "value"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append(((*path, key), "key"))
            found += _slots(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _slots(item, (*path, index))
    return found


def _objects(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every object (where an unknown field may be added)."""
    found = [path] if isinstance(value, dict) else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _objects(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _objects(item, (*path, index))
    return found


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def payloads_with_a_lone_surrogate(draw: st.DrawFn) -> bytes:
    doc = _base(draw(st.sampled_from(["3DSecure", "EMV"])))
    for _ in range(draw(st.integers(0, 2))):  # unknown fields, so they get surrogates too
        owner = _at(doc, draw(st.sampled_from(_objects(doc))))
        owner[f"future{len(owner)}"] = draw(clean_values)
    point = draw(st.integers(0xD800, 0xDFFF))
    marker = "\x00SURROGATE\x00"  # replaced by the surrogate in the JSON text below
    path, where = draw(st.sampled_from(_slots(doc)))
    owner = _at(doc, path[:-1])
    cut = draw(st.integers(0, 8))
    if where == "value":
        text = owner[path[-1]]
        owner[path[-1]] = text[:cut] + marker + text[cut:]
    else:  # a key: rebuilt in place, the order kept
        items = list(owner.items())
        owner.clear()
        for key, item in items:
            owner[key[:cut] + marker + key[cut:] if key == path[-1] else key] = item
    escaped = json.dumps(marker)[1:-1]  # "\u0000SURROGATE\u0000"
    spelling = draw(st.sampled_from(["lower", "upper", "raw"]))
    raw = json.dumps(doc).encode("ascii")
    if spelling == "raw":  # the surrogate's UTF-8 bytes (CESU), which no decoder accepts
        return raw.replace(escaped.encode(), chr(point).encode("utf-8", "surrogatepass"))
    hex_digits = f"{point:04x}" if spelling == "lower" else f"{point:04X}"
    return raw.replace(escaped.encode(), b"\\u" + hex_digits.encode())


@fuzz_settings(40)
@given(raw=payloads_with_a_lone_surrogate())
def test_from_json_refuses_a_lone_surrogate_anywhere(raw: bytes) -> None:
    with pytest.raises(MalformedTokenError) as caught:
        PaymentData.from_json(raw)
    assert caught.value.code == "malformed_token"


@fuzz_settings(10)
@given(raw=payloads_with_a_lone_surrogate())
def test_every_surface_refuses_a_lone_surrogate(raw: bytes, surfaces: Surfaces) -> None:
    token = surfaces.mint(raw)
    with pytest.raises(ApplePayError) as caught:
        surfaces.decrypt(token)
    assert caught.value.code == "malformed_token"
    surfaces.write(token)
    for label, outcome in surfaces.run(paykka="v1.2"):
        assert outcome.exit_code == 1, f"{label}: {outcome.output}"
        assert "malformed_token" in outcome.output, f"{label}: {outcome.output}"
        if label == "decrypt-batch":  # each line is its own error result
            errors = [json.loads(line) for line in outcome.stdout.splitlines()]
            assert [e["error"]["code"] for e in errors] == ["malformed_token"] * 2
            assert errors[0]["id"] == 1


def test_a_surrogate_pair_is_text_like_any_other(surfaces: Surfaces) -> None:
    payload = sample_payload(cardholder_name="Jos\N{GRINNING FACE}", futureField="\U0001f600")
    raw = json.dumps(payload).encode("ascii")
    assert b"\\ud83d\\ude00" in raw  # the pair as two escapes
    token = surfaces.mint(raw)
    result = surfaces.decrypt(token)
    assert result.payment_data.cardholder_name == "Jos\N{GRINNING FACE}"
    for _, text in library_outputs(result):
        text.encode("utf-8")
    surfaces.write(token)
    for label, outcome in surfaces.run(paykka="v1.2"):
        assert outcome.exit_code == 0, f"{label}: {outcome.output}"
    shown = json.loads(next(o for label, o in surfaces.run(only=("decrypt --json",))).stdout)
    assert shown["payment_data"]["cardholderName"] == "Jos\N{GRINNING FACE}"


# --- nesting: the same "refuse once, at parse time" for depth ----------------------------


@st.composite
def nested_payloads(draw: st.DrawFn) -> tuple[bytes, int]:
    """An unknown field (top level, in paymentData, in an authenticationResponses item, or
    in merchantTokenMetadata) nesting ``depth`` arrays and objects: shallow, or near the
    limit the JSON decoder itself accepts (where the review's class lives)."""
    limit = 1000  # CPython's default recursion limit, which bounds its JSON decoder
    depth = draw(st.integers(1, MAX_PAYLOAD_DEPTH + 2) | st.integers(limit - 40, limit + 10))
    pattern = [draw(st.sampled_from(["[", '{"k":'])) for _ in range(4)]
    opening = "".join(pattern[i % 4] for i in range(depth))
    closing = "".join("]" if pattern[i % 4] == "[" else "}" for i in reversed(range(depth)))
    nest = opening + "1" + closing
    where = draw(st.sampled_from(["top", "paymentData", "response", "metadata"]))
    payload = sample_payload(authenticationResponses=[{"merchantIdentifier": "m"}])
    payload["merchantTokenMetadata"] = {"cardArt": []}
    text = json.dumps(payload)
    owner = {
        "top": ('{"applicationPrimaryAccountNumber"', 0),
        "paymentData": ('{"onlinePaymentCryptogram"', 1),
        "response": ('{"merchantIdentifier"', 2),
        "metadata": ('{"cardArt"', 2),
    }[where]
    at = text.index(owner[0]) + 1
    raw = text[:at] + f'"future": {nest}, ' + text[at:]
    return raw.encode("ascii"), depth + owner[1] + 1


@fuzz_settings(12)
@given(nested=nested_payloads())
def test_nesting_is_bounded_once_for_every_surface(
    nested: tuple[bytes, int], surfaces: Surfaces
) -> None:
    raw, depth = nested
    token = surfaces.mint(raw)
    surfaces.write(token)
    if depth > MAX_PAYLOAD_DEPTH:
        with pytest.raises(MalformedTokenError):
            PaymentData.from_json(raw)
        for label, outcome in surfaces.run(paykka=None):
            assert outcome.exit_code == 1, f"{label}: {outcome.output}"
            assert "malformed_token" in outcome.output, label
        return
    result = surfaces.decrypt(token)
    for _, text in library_outputs(result):
        assert '"future": "<redacted>"' in text or "future" not in text
    json.dumps(result.to_json_dict(reveal=True))
    for reveal in (False, True):
        for label, outcome in surfaces.run(reveal=reveal, paykka=None):
            assert outcome.exit_code == 0, f"{label}: {outcome.output}"
