"""review (#11), class 5: YabandPay's string to sign is injective.

``k=v&k=v`` escapes nothing, so before the fix a value ``hi&status=paid`` signed like two
fields and a key could hold ``=``. Now keys with ``&`` or ``=`` and values with ``&`` are
refused; null is spelled ``""`` and an integer its digits (``normalised_fields``). The
property: two accepted field mappings with one string are equal once normalised.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paykka_sign import MalformedBodyError, SignatureInvalidError, YabandPaySigner
from paykka_sign.yabandpay import EmptyValues, canonical_string, normalised_fields

SECRET = "test-secret-key-0123456789"

# A tiny alphabet makes "&" and "=" frequent, so re-splits of one string are frequent too.
_CHARS = st.sampled_from("ab&=")
_keys = st.text(_CHARS, min_size=0, max_size=4)
_values = st.one_of(
    st.text(_CHARS, max_size=5), st.none(), st.integers(-2, 12), st.sampled_from(["0", "-1"])
)
_mappings = st.dictionaries(_keys, _values, max_size=4)
_policies = st.sampled_from(["keep", "omit"])


def _spelling(value: Any) -> str:
    return "" if value is None else str(value)


def _naive_string(fields: dict[str, Any], policy: str) -> str:
    """The documented join, written independently of the library: sorted k=v with &."""
    pairs = [
        (k, _spelling(v)) for k, v in fields.items() if not (policy == "omit" and v in ("", None))
    ]
    return "&".join(f"{k}={v}" for k, v in sorted(pairs, key=lambda kv: kv[0].encode()))


@st.composite
def _re_split(draw: st.DrawFn, text: str) -> dict[str, Any]:
    """Another mapping whose naive string may equal ``text``: the "&"-separated pieces
    regrouped and each group cut at one of its "="."""
    pieces = text.split("&") if text else []
    groups: list[str] = []
    for piece in pieces:
        if groups and draw(st.booleans()):
            groups[-1] += "&" + piece
        else:
            groups.append(piece)
    fields: dict[str, Any] = {}
    for group in groups:
        cuts = [i for i, c in enumerate(group) if c == "="]
        if not cuts:
            return {}
        at = draw(st.sampled_from(cuts))
        fields[group[:at]] = group[at + 1 :]
    return fields


def _accepted(fields: dict[str, Any], policy: EmptyValues) -> str | None:
    try:
        return canonical_string(fields, empty_values=policy)
    except MalformedBodyError:
        return None


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(a=_mappings, policy=_policies, data=st.data())
def test_property_one_string_one_mapping(
    a: dict[str, Any], policy: EmptyValues, data: st.DataObject
) -> None:
    b = data.draw(st.one_of(_mappings, _re_split(_naive_string(a, policy))))
    string_a, string_b = _accepted(a, policy), _accepted(b, policy)
    if string_a is None or string_b is None:
        return  # refused: no string, nothing to confuse
    if string_a == string_b:
        assert normalised_fields(a, empty_values=policy) == normalised_fields(
            b, empty_values=policy
        )


@pytest.mark.parametrize(
    ("genuine", "forged"),
    [
        # The reviewer's examples: a value folding a second field, a real field folded into
        # the previous value, a key holding "=".
        ({"remark": "hi&status=paid"}, {"remark": "hi", "status": "paid"}),
        ({"order_id": "A1&state=failed"}, {"order_id": "A1", "state": "failed"}),
        ({"a=b": "c"}, {"a": "b=c"}),
        ({"a": "b&c=d", "e": "f"}, {"a": "b", "c": "d&e=f"}),
    ],
)
def test_reviewer_examples_are_refused(genuine: dict[str, str], forged: dict[str, str]) -> None:
    with pytest.raises(MalformedBodyError) as info:
        canonical_string(genuine)
    assert info.value.code == "malformed_body"
    signer = YabandPaySigner(SECRET, user="u")
    with pytest.raises(MalformedBodyError):
        signer.sign_request({"method": "m", "time": 1, "data": genuine})
    # A notification carrying such a value is refused too, whatever its sign says.
    naive = "&".join(f"{k}={v}" for k, v in sorted(genuine.items()))
    sign = hmac.new(SECRET.encode(), naive.encode(), hashlib.sha256).hexdigest()
    with pytest.raises(MalformedBodyError):
        signer.verify_notification({"sign": sign, "data": genuine})


def test_equals_sign_in_values_stays_allowed(yabandpay_doc_example: dict[str, Any]) -> None:
    # Base64 padding in payment_token_object (the documented v3.ApplePay example): a pair
    # splits at its first "=", and keys hold none, so this is unambiguous.
    assert canonical_string({"payment_token_object": "eyJ9=="}) == "payment_token_object=eyJ9=="
    assert yabandpay_doc_example["request"]["data"]["payment_token_object"].endswith("=")


@pytest.mark.parametrize(
    "fields",
    [
        {"": "x"},
        {"a": "\ud800"},
        {"\udcff": "x"},
        {1: "x"},
        {"a": True},
        {"a": 1.5},
        {"a": ["x"]},
        {"a": {"b": "c"}},
    ],
)
def test_unspellable_fields_are_refused(fields: dict[Any, Any]) -> None:
    with pytest.raises(MalformedBodyError):
        canonical_string(fields)


def test_documented_spellings() -> None:
    # null is "" and an integer its digits: the normalisation the property allows.
    assert canonical_string({"a": None, "b": 7, "c": ""}) == "a=&b=7&c="
    assert normalised_fields({"a": None, "b": 7}) == {"a": "", "b": "7"}
    assert canonical_string({"a": None, "b": "", "c": "x"}, empty_values="omit") == "c=x"


def _signed_notification(data: dict[str, Any], policy: EmptyValues) -> dict[str, Any]:
    message = canonical_string(data, empty_values=policy)
    sign = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"sign": sign, "data": data}


@settings(max_examples=150, deadline=None)
@given(a=_mappings, b=_mappings, policy=_policies)
def test_notifications_that_verify_alike_give_one_result(
    a: dict[str, Any], b: dict[str, Any], policy: EmptyValues
) -> None:
    """What the caller is handed is what was signed: a notification verifies under a
    ``sign`` exactly when its result is the one that ``sign`` was made for. So ``1`` and
    ``"1"``, ``null`` and ``""`` (and, under "omit", an empty field anyone may add) can
    never make two different verified results from one signature."""
    signer = YabandPaySigner(SECRET, empty_values=policy)
    a = {k: v for k, v in a.items() if k != "sign"}
    b = {k: v for k, v in b.items() if k != "sign"}
    try:
        genuine = signer.verify_notification(_signed_notification(a, policy))
    except MalformedBodyError:
        return
    forged = {"sign": _signed_notification(a, policy)["sign"], "data": b}
    try:
        other = signer.verify_notification(forged)
    except MalformedBodyError:
        return
    except SignatureInvalidError:
        assert normalised_fields(b, empty_values=policy) != genuine
        return
    assert other == genuine
    assert all(isinstance(v, str) for v in other.values())


def test_the_result_holds_only_signed_spellings() -> None:
    keep = YabandPaySigner(SECRET)
    assert keep.verify_notification(_signed_notification({"n": 1, "z": None}, "keep")) == {
        "n": "1",
        "z": "",
    }
    omit = YabandPaySigner(SECRET, empty_values="omit")
    signed = _signed_notification({"status": "paid"}, "omit")
    padded = {"sign": signed["sign"], "data": {"status": "paid", "refund": "", "x": None}}
    assert omit.verify_notification(padded) == {"status": "paid"}  # unsigned fields dropped
