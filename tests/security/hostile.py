"""Strategies for the whole class of hostile input (review #11, class 6): every JSON type at
the top level, nesting to thousands of levels, lone surrogates, bytes that are not UTF-8."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: Text with lone surrogates and control characters (``st.text()`` alone never has surrogates).
texts = st.text(st.characters(exclude_categories=[]), max_size=40)
surrogates = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d"])
hostile_text = st.one_of(texts, surrogates, st.builds(lambda a, s: a + s, texts, surrogates))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)

#: Any JSON value, small: objects, arrays, scalars at every level (the top level included).
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(hostile_text, inner, max_size=4),
    ),
    max_leaves=12,
)


def nested(depth: int, kind: str) -> Any:
    """A value ``depth`` levels deep, built without recursion."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"token": value}
    return value


def nested_text(depth: int, kind: str) -> str:
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


depths = st.sampled_from([2, 50, 990, 1100, 5000, 30_000])
kinds = st.sampled_from(["list", "dict"])

#: Already-parsed values a framework may hand over, deep nesting included.
parsed_values = st.one_of(json_values, st.builds(nested, depths, kinds))

#: Text a caller may pass: JSON of any value, deep nesting, surrogates, garbage.
json_texts = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.builds(nested_text, depths, kinds),
    hostile_text,
)

#: Bytes: UTF-8 of the texts above when it exists, and bytes that are not UTF-8.
not_utf8 = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"{\x80}"])
hostile_bytes = st.one_of(
    json_texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(lambda b, t: t.encode("utf-8", "surrogatepass") + b, not_utf8, json_texts),
    st.binary(max_size=64),
)

#: Everything at once: the argument a hostile caller can put in an input position.
hostile_inputs = st.one_of(parsed_values, json_texts, hostile_bytes)
