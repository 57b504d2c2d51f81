"""PayKKa v3: the five-line string, the empty-component rule, the window, nonce replays."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign import (
    InMemoryNonceStore,
    InvalidArgumentError,
    InvalidHeaderError,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    ReplayedNonceError,
    SignatureInvalidError,
    TimestampOutOfWindowError,
    load_private_key,
    load_public_key,
    v3_string_to_sign,
)
from paykka_sign.clock import epoch_millis

OpensslVerify = Callable[[bytes, bytes, Path], bool]

NOW = dt.datetime(2025, 9, 9, 3, 11, 7, 986000, tzinfo=dt.timezone.utc)
NOW_MS = 1757387467986
BODY = b'{"merchant_id":"18356675194960","amount":445,"currency":"EUR"}'
WEBHOOK_PATH = "/hooks/paykka"
APP_ID = "978594372956732"


def test_clock_milliseconds() -> None:
    assert epoch_millis(NOW) == NOW_MS
    assert epoch_millis(NOW.replace(tzinfo=None)) == NOW_MS  # naive means UTC


def test_string_to_sign_and_the_empty_component_rule() -> None:
    assert v3_string_to_sign("POST", "/v3/payment/acq", "1", "nonce-0123", b'{"a":1}') == (
        b'POST\n/v3/payment/acq\n1\nnonce-0123\n{"a":1}'
    )
    assert v3_string_to_sign("GET", "/p", "1", "nonce-0123", b"") == b"GET\n/p\n1\nnonce-0123\n "
    assert v3_string_to_sign("", "", "", "", b"") == b" \n \n \n \n "


@pytest.fixture
def signer(rsa_key: rsa.RSAPrivateKey) -> PaykkaV3Signer:
    return PaykkaV3Signer(rsa_key, app_id=APP_ID, clock=lambda: NOW)


def test_sign_headers_and_openssl(
    signer: PaykkaV3Signer, key_dir: Path, openssl_verify: OpensslVerify
) -> None:
    signed = signer.sign("post", "/v3/payment/acq", BODY, nonce="4326048250346354435")
    assert signed.string_to_sign == (
        b"POST\n/v3/payment/acq\n1757387467986\n4326048250346354435\n" + BODY
    )
    assert signed.body == BODY
    assert set(signed.headers) == {
        "x-paykka-appid",
        "x-paykka-timestamp",
        "x-paykka-nonce",
        "x-paykka-sign",
        "x-paykka-sign-alg",
    }
    assert signed.headers["x-paykka-appid"] == "978594372956732"
    assert signed.headers["x-paykka-timestamp"] == "1757387467986"
    assert signed.headers["x-paykka-sign-alg"] == "SHA256_WITH_RSA"
    raw = base64.b64decode(unquote(signed.headers["x-paykka-sign"]))
    assert openssl_verify(signed.string_to_sign, raw, key_dir / "pub.pem")


def test_get_without_body_signs_a_space(
    signer: PaykkaV3Signer, key_dir: Path, openssl_verify: OpensslVerify
) -> None:
    signed = signer.sign("GET", "/v3/payment/acq/query", nonce="nonce-0123456789")
    assert signed.body == b""
    assert signed.string_to_sign.endswith(b"\nnonce-0123456789\n ")
    raw = base64.b64decode(unquote(signed.headers["x-paykka-sign"]))
    assert openssl_verify(signed.string_to_sign, raw, key_dir / "pub.pem")


def test_vectors_reproduced_and_verified(paykka_vectors: dict[str, Any]) -> None:
    key = load_private_key(paykka_vectors["private_key_pkcs8_base64"])
    public = load_public_key(paykka_vectors["public_key_spki_base64"])
    cases = [c for c in paykka_vectors["cases"] if c["api"] == "v3"]
    assert len(cases) == 2
    for case in cases:
        body = case["body"].encode("utf-8")
        signed = PaykkaV3Signer(key, app_id="A").sign(
            case["method"],
            case["path"],
            body,
            timestamp=int(case["timestamp"]),
            nonce=case["nonce"],
        )
        assert signed.string_to_sign == case["string_to_sign"].encode("utf-8")
        assert signed.headers["x-paykka-sign"] == case["signature"]
        headers = {
            "x-paykka-timestamp": case["timestamp"],
            "x-paykka-nonce": case["nonce"],
            "x-paykka-sign": case["signature"],
        }
        moment = dt.datetime.fromtimestamp(int(case["timestamp"]) / 1000, dt.timezone.utc)
        PaykkaV3Verifier(public, app_id="A").verify(
            case["method"], case["path"], headers, body, now=moment
        )


def test_nonces_come_from_a_csprng(signer: PaykkaV3Signer) -> None:
    nonces = {signer.sign("POST", "/p", BODY).headers["x-paykka-nonce"] for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 32 and int(n, 16) >= 0 for n in nonces)


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("POST", "https://openapi.paykka.com/v3/payment/acq", {}),
        ("POST", "v3/payment/acq", {}),
        ("POST", "/v3/pay ment", {}),
        ("PO ST", "/p", {}),
        ("POST", "/p", {"nonce": "short"}),
        ("POST", "/p", {"nonce": "x" * 101}),
        ("POST", "/p", {"nonce": "line\nbreak-nonce"}),
        ("POST", "/p", {"timestamp": -1}),
    ],
)
def test_invalid_arguments(
    signer: PaykkaV3Signer, method: str, path: str, options: dict[str, Any]
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        signer.sign(method, path, BODY, **options)
    assert info.value.code == "invalid_argument"


def test_invalid_app_id(rsa_key: rsa.RSAPrivateKey) -> None:
    for app_id in ("", "x" * 65, "tab\there"):
        with pytest.raises(InvalidArgumentError):
            PaykkaV3Signer(rsa_key, app_id=app_id)


def _webhook(
    signer: PaykkaV3Signer, *, nonce: str = "webhook-nonce-0001", body: bytes = BODY
) -> dict[str, str]:
    """A webhook as PayKKa would send it: signed over the merchant's own webhook path."""
    signed = signer.sign("POST", WEBHOOK_PATH, body, nonce=nonce)
    return {k: v for k, v in signed.headers.items() if k != "x-paykka-appid"}


def test_verify_webhook_and_response(signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey) -> None:
    verifier = PaykkaV3Verifier(rsa_key.public_key(), app_id=APP_ID, clock=lambda: NOW)
    message = verifier.verify("POST", WEBHOOK_PATH, _webhook(signer), BODY)
    assert (message.timestamp, message.nonce, message.body) == (NOW_MS, "webhook-nonce-0001", BODY)
    # The path is part of the string: another path (e.g. PayKKa's API path) does not verify.
    with pytest.raises(SignatureInvalidError):
        verifier.verify("POST", "/v3/payment/acq", _webhook(signer), BODY)
    with pytest.raises(SignatureInvalidError):
        verifier.verify("GET", WEBHOOK_PATH, _webhook(signer), BODY)
    with pytest.raises(SignatureInvalidError):
        verifier.verify("POST", WEBHOOK_PATH, _webhook(signer), BODY + b" ")


def test_window_is_five_minutes_both_ways(
    signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey
) -> None:
    verifier = PaykkaV3Verifier(rsa_key.public_key(), app_id=APP_ID)
    headers = _webhook(signer)
    five = dt.timedelta(minutes=5)
    verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW + five)
    verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW - five)
    for late in (
        NOW + five + dt.timedelta(milliseconds=1),
        NOW - five - dt.timedelta(milliseconds=1),
    ):
        with pytest.raises(TimestampOutOfWindowError) as info:
            verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=late)
        assert info.value.code == "timestamp_out_of_window"
    wide = PaykkaV3Verifier(rsa_key.public_key(), app_id=APP_ID, window=dt.timedelta(hours=1))
    wide.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW + dt.timedelta(minutes=59))


def test_replayed_nonce_is_refused(signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey) -> None:
    store = InMemoryNonceStore()
    verifier = PaykkaV3Verifier(
        rsa_key.public_key(), app_id=APP_ID, nonce_store=store, clock=lambda: NOW
    )
    headers = _webhook(signer)
    verifier.verify("POST", WEBHOOK_PATH, headers, BODY)
    with pytest.raises(ReplayedNonceError) as info:
        verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW + dt.timedelta(minutes=4))
    assert info.value.code == "replayed_nonce"
    # A different nonce is a different message.
    verifier.verify("POST", WEBHOOK_PATH, _webhook(signer, nonce="webhook-nonce-0002"), BODY)
    # After timestamp + window the nonce is forgotten, and the time check rejects the replay.
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW + dt.timedelta(minutes=6))


def test_forged_or_stale_messages_do_not_burn_a_nonce(
    signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey
) -> None:
    store = InMemoryNonceStore()
    verifier = PaykkaV3Verifier(
        rsa_key.public_key(), app_id=APP_ID, nonce_store=store, clock=lambda: NOW
    )
    headers = _webhook(signer)
    forged = {**headers, "x-paykka-sign": _webhook(signer, body=b"{}")["x-paykka-sign"]}
    with pytest.raises(SignatureInvalidError):
        verifier.verify("POST", WEBHOOK_PATH, forged, BODY)
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify("POST", WEBHOOK_PATH, headers, BODY, now=NOW + dt.timedelta(hours=1))
    assert len(store) == 0
    verifier.verify("POST", WEBHOOK_PATH, headers, BODY)
    assert len(store) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"x-paykka-sign": None},
        {"x-paykka-nonce": None},
        {"x-paykka-timestamp": None},
        {"x-paykka-timestamp": "17573874679.86"},
        {"x-paykka-nonce": "short"},
        {"x-paykka-sign-alg": "SHA1_WITH_RSA"},
    ],
)
def test_bad_headers(
    signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey, change: dict[str, str | None]
) -> None:
    headers: dict[str, str] = dict(_webhook(signer))
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    with pytest.raises(InvalidHeaderError) as info:
        PaykkaV3Verifier(rsa_key.public_key(), app_id=APP_ID).verify(
            "POST", WEBHOOK_PATH, headers, BODY, now=NOW
        )
    assert info.value.code == "invalid_header"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=300), data=st.data())
def test_property_round_trip_and_any_byte_change_rejected(
    signer: PaykkaV3Signer, rsa_key: rsa.RSAPrivateKey, body: bytes, data: st.DataObject
) -> None:
    signed = signer.sign("POST", WEBHOOK_PATH, body)
    verifier = PaykkaV3Verifier(rsa_key.public_key(), app_id=APP_ID, clock=lambda: NOW)
    assert verifier.verify("POST", WEBHOOK_PATH, signed.headers, body).body == body
    if not body:
        return
    position = data.draw(st.integers(0, len(body) - 1))
    tampered = bytearray(body)
    tampered[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(SignatureInvalidError):
        verifier.verify("POST", WEBHOOK_PATH, signed.headers, bytes(tampered))
