"""YabandPay: the documented string to sign byte-exact, HMACs checked by OpenSSL."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paykka_sign import (
    InvalidArgumentError,
    InvalidKeyError,
    MalformedBodyError,
    MissingFieldError,
    SignatureInvalidError,
    YabandPaySigner,
    notification_string_to_sign,
    request_string_to_sign,
)
from paykka_sign import yabandpay as yabandpay_module

SECRET = "test-secret-key-0123456789"
NOW = dt.datetime(2024, 7, 26, 9, 59, 29, tzinfo=dt.timezone.utc)


def test_documented_example_string_is_byte_exact(yabandpay_doc_example: dict[str, Any]) -> None:
    request = yabandpay_doc_example["request"]
    expected = yabandpay_doc_example["expected_string_to_sign"]
    assert request_string_to_sign(request).encode("utf-8") == expected.encode("utf-8")
    # Re-signing the documented request keeps its string: only "sign" changes.
    signed = YabandPaySigner(SECRET).sign_request(request)
    assert request_string_to_sign(signed) == expected
    assert (
        signed["sign"] == hmac.new(SECRET.encode(), expected.encode(), hashlib.sha256).hexdigest()
    )
    assert list(signed) == ["user", "sign", "method", "time", "data"]


def test_hmac_matches_openssl(openssl_hmac: Callable[[bytes, bytes], str]) -> None:
    request = {
        "user": "016683",
        "method": "v3.ApplePay",
        "time": 1721987969,
        "data": {"b": "2", "a": "1"},
    }
    signed = YabandPaySigner(SECRET).sign_request(request)
    message = b"a=1&b=2&method=v3.ApplePay&time=1721987969&user=016683"
    assert request_string_to_sign(signed).encode() == message
    assert signed["sign"] == openssl_hmac(SECRET.encode(), message)
    assert signed["sign"] == signed["sign"].lower() and len(signed["sign"]) == 64


def test_sign_request_fills_user_and_time_and_never_mutates() -> None:
    request = {"method": "v3.ApplePay", "data": {"order_id": "o1"}, "sign": "stale"}
    original = json.loads(json.dumps(request))
    signed = YabandPaySigner(SECRET, user="016683", clock=lambda: NOW).sign_request(request)
    assert request == original
    assert signed["user"] == "016683"
    assert signed["time"] == 1721987969
    assert signed["sign"] != "stale"
    assert (
        request_string_to_sign(signed)
        == "method=v3.ApplePay&order_id=o1&time=1721987969&user=016683"
    )
    with pytest.raises(MissingFieldError) as info:
        YabandPaySigner(SECRET).sign_request({"method": "v3.ApplePay", "data": {}})
    assert info.value.code == "missing_field"
    with pytest.raises(MissingFieldError, match="method"):
        YabandPaySigner(SECRET, user="u").sign_request({"data": {}})


def test_sorting_is_by_byte_and_case_sensitive() -> None:
    fields = {"b": "1", "B": "2", "a_b": "3", "ab": "4", "é": "5", "z": "6"}
    assert request_string_to_sign({"data": fields}) == "B=2&a_b=3&ab=4&b=1&z=6&é=5"


def test_values_are_not_url_encoded() -> None:
    data = {"notify_url": "https://x.example/n?a=1", "description": "Café + co=%20"}
    assert request_string_to_sign({"data": data}) == (
        "description=Café + co=%20&notify_url=https://x.example/n?a=1"
    )


def test_empty_value_policy() -> None:
    request = {"user": "u", "method": "m", "time": 1, "data": {"a": "", "b": None, "c": "x"}}
    assert request_string_to_sign(request) == "a=&b=&c=x&method=m&time=1&user=u"
    assert request_string_to_sign(request, empty_values="omit") == "c=x&method=m&time=1&user=u"
    keep = YabandPaySigner(SECRET).sign_request(request)
    omit = YabandPaySigner(SECRET, empty_values="omit").sign_request(request)
    assert keep["sign"] != omit["sign"]
    with pytest.raises(InvalidArgumentError):
        request_string_to_sign(request, empty_values="drop")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        YabandPaySigner(SECRET, empty_values="drop")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "m", "data": {"amount": 0.1}},
        {"method": "m", "data": {"flag": True}},
        {"method": "m", "data": {"items": ["a"]}},
        {"method": "m", "data": {"nested": {"a": "b"}}},
        {"method": "m", "data": {"method": "other"}},
        {"method": "m", "data": "not an object"},
    ],
)
def test_malformed_requests(request_: dict[str, Any]) -> None:
    with pytest.raises(MalformedBodyError) as info:
        YabandPaySigner(SECRET, user="u").sign_request(request_)
    assert info.value.code == "malformed_body"


def test_secret_key_checks_and_repr() -> None:
    with pytest.raises(InvalidKeyError) as info:
        YabandPaySigner("  ")
    assert info.value.code == "invalid_key"
    assert SECRET not in repr(YabandPaySigner(SECRET, user="u"))
    assert YabandPaySigner(SECRET.encode()).sign_request(
        {"user": "u", "method": "m", "time": 1}
    ) == (YabandPaySigner(SECRET).sign_request({"user": "u", "method": "m", "time": 1}))


def _notification(data: dict[str, Any], secret: str = SECRET) -> dict[str, Any]:
    sign = hmac.new(
        secret.encode(), notification_string_to_sign(data).encode(), hashlib.sha256
    ).hexdigest()
    return {"sign": sign, "data": data}


NOTIFY_DATA = {
    "order_id": "o1",
    "state": "paid",
    "amount": "0.10",
    "currency": "EUR",
    "trade_id": "",
}


def test_verify_notification() -> None:
    signer = YabandPaySigner(SECRET)
    notification = _notification(NOTIFY_DATA)
    assert signer.verify_notification(notification) == NOTIFY_DATA
    assert signer.verify_notification(json.dumps(notification).encode()) == NOTIFY_DATA
    assert signer.verify_notification(json.dumps(notification)) == NOTIFY_DATA
    # Only data is signed: top-level extras do not matter.
    assert signer.verify_notification({**notification, "user": "anything"}) == NOTIFY_DATA


def test_notification_string_uses_data_only(openssl_hmac: Callable[[bytes, bytes], str]) -> None:
    message = b"amount=0.10&currency=EUR&order_id=o1&state=paid&trade_id="
    assert notification_string_to_sign(NOTIFY_DATA).encode() == message
    assert _notification(NOTIFY_DATA)["sign"] == openssl_hmac(SECRET.encode(), message)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda n: {**n, "data": {**n["data"], "amount": "100.00"}},
        lambda n: {**n, "data": {**n["data"], "extra": "x"}},
        lambda n: {**n, "sign": n["sign"].upper()},
        lambda n: {**n, "sign": n["sign"][:-1]},
        lambda n: {**n, "sign": 12345},
        lambda n: {**n, "sign": "\ud800" + n["sign"][1:]},  # a lone surrogate, not hex
        lambda n: {**n, "sign": "é" * 64},
        lambda n: _notification(n["data"], secret="another-secret"),
    ],
)
def test_tampered_notifications_are_rejected(
    tamper: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    with pytest.raises(SignatureInvalidError) as info:
        YabandPaySigner(SECRET).verify_notification(tamper(_notification(NOTIFY_DATA)))
    assert info.value.code == "signature_invalid"


def test_malformed_notifications() -> None:
    signer = YabandPaySigner(SECRET)
    with pytest.raises(MissingFieldError):
        signer.verify_notification({"data": NOTIFY_DATA})
    with pytest.raises(MissingFieldError):
        signer.verify_notification({"sign": "00"})
    with pytest.raises(MalformedBodyError):
        signer.verify_notification({"sign": "00", "data": ["x"]})
    with pytest.raises(MalformedBodyError):
        signer.verify_notification(b"{not json")


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(yabandpay_module.hmac, "compare_digest", spy)
    YabandPaySigner(SECRET).verify_notification(_notification(NOTIFY_DATA))
    assert len(calls) == 1


def test_verify_request_round_trip() -> None:
    signer = YabandPaySigner(SECRET, user="u", clock=lambda: NOW)
    signed = signer.sign_request({"method": "m", "data": {"a": "1"}})
    signer.verify_request(signed)
    with pytest.raises(SignatureInvalidError):
        signer.verify_request({**signed, "time": signed["time"] + 1})


field_names = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="&="),
    min_size=1,
    max_size=10,
)
field_values = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="&"), max_size=20),
    st.integers(-(10**9), 10**9),
)


@settings(max_examples=60, deadline=None)
@given(data=st.dictionaries(field_names, field_values, max_size=8), which=st.data())
def test_property_round_trip_and_any_change_rejected(
    data: dict[str, Any], which: st.DataObject
) -> None:
    data = {k: v for k, v in data.items() if k != "sign"}
    signer = YabandPaySigner(SECRET)
    notification = _notification(data)
    # What was signed comes back: every value as its text (review #11).
    assert signer.verify_notification(notification) == {k: str(v) for k, v in data.items()}
    if not data:
        return
    key = which.draw(st.sampled_from(sorted(data)))
    changed = {**data, key: f"{data[key]}x"}
    with pytest.raises(SignatureInvalidError):
        signer.verify_notification({"sign": notification["sign"], "data": changed})
