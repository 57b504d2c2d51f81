"""The client's httpx.Auth, retry policy and logs, against a local PayKKa stand-in on
127.0.0.1 (tests/paykka_client_support.py: records requests as received, answers signed by
PayKKa's documented rules with a test platform key).

The bytes signed are the bytes the server received (checked with the verifiers and with
OpenSSL); an answer that does not verify never reaches the caller, with the exact code."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")

from paykka_client_support import (
    Answer,
    LocalPsp,
    Received,
    envelope,
    local_psp,
    plain,
    v3_answer,
    v12_answer,
)

from applepay_crypto import DecryptedToken, PaymentData
from paykka_sign import (
    InvalidArgumentError,
    PaykkaV3Verifier,
    PaykkaV12Verifier,
    v3_string_to_sign,
    v12_string_to_sign,
)
from paykka_sign.client import PaykkaClient, RetryPolicy
from paykka_sign.errors import HttpStatusError, NetworkError, PspRefusedError
from paykka_sign.paykka import decode_signature

MID, APP = "18356675194960", "978594372956732"
PAN = "4111111111111111"
CRYPTOGRAM = "AgAAAAAABk4DWZ4C28yUQAAAAAA="
NO_WAIT = RetryPolicy(attempts=3, backoff=0)


@pytest.fixture(scope="module")
def platform_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def psp() -> Iterator[LocalPsp]:
    with local_psp() as server:
        yield server


def _client(
    psp: LocalPsp, merchant: rsa.RSAPrivateKey, platform: rsa.RSAPrivateKey, **kw: Any
) -> PaykkaClient:
    config: dict[str, Any] = {
        "private_key": merchant,
        "platform_public_key": platform.public_key(),
        "merchant_id": MID,
        "app_id": APP,
        "base_url": psp.url,
        "retry": NO_WAIT,
    }
    config.update(kw)
    return PaykkaClient(**config)


def _tx(**data: Any) -> bytes:
    return envelope({"merchant_id": MID, "trans_id": "order-1", "status": "SUCCESS", **data})


def _v12_tx() -> bytes:
    millis = int(time.time() * 1000)
    return envelope({"merchant_id": MID, "timestamp": millis, "trans_id": "order-1"})


def _decrypted() -> DecryptedToken:
    payload = {
        "applicationPrimaryAccountNumber": PAN,
        "applicationExpirationDate": "270831",
        "currencyCode": "978",
        "transactionAmount": 1000,
        "deviceManufacturerIdentifier": "040010030273",
        "paymentDataType": "3DSecure",
        "paymentData": {"onlinePaymentCryptogram": CRYPTOGRAM, "eciIndicator": "05"},
    }
    return DecryptedToken(
        version="EC_v1",
        transaction_id="ab" * 32,
        public_key_hash=b"\x00" * 32,
        application_data=None,
        verified=True,
        signing_time=dt.datetime.now(dt.timezone.utc),
        payment_data=PaymentData.from_json(json.dumps(payload).encode()),
    )


# --- bytes signed are bytes sent ---------------------------------------------------------


def test_v3_signs_the_exact_bytes_and_path_received(
    psp: LocalPsp,
    rsa_key: rsa.RSAPrivateKey,
    platform_key: rsa.RSAPrivateKey,
    key_dir: Path,
    openssl_verify: Any,
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx()))
    with _client(psp, rsa_key, platform_key) as client:
        result = client.query_transaction(trans_id="order-1")
    assert (result.trans_id, result.status) == ("order-1", "SUCCESS")
    [got] = psp.received
    assert (got.method, got.path) == ("POST", "/v3/payment/acq/query")
    body = json.loads(got.body)
    assert set(body) == {"merchant_id", "timestamp", "trans_id"}
    assert (body["merchant_id"], body["trans_id"]) == (MID, "order-1")
    assert got.headers["x-paykka-appid"] == APP
    assert got.headers["x-paykka-sign-alg"] == "SHA256_WITH_RSA"
    # PayKKa's check, from what arrived on the wire, with the merchant's public key:
    PaykkaV3Verifier(rsa_key.public_key(), app_id=APP).verify(
        got.method, got.path, got.headers, got.body
    )
    message = v3_string_to_sign(
        "POST", got.path, got.headers["x-paykka-timestamp"], got.headers["x-paykka-nonce"],
        got.body,
    )  # fmt: skip
    assert openssl_verify(
        message, decode_signature(got.headers["x-paykka-sign"]), key_dir / "pub.pem"
    )


def test_v12_signs_the_exact_bytes_received(
    psp: LocalPsp,
    rsa_key: rsa.RSAPrivateKey,
    platform_key: rsa.RSAPrivateKey,
    key_dir: Path,
    openssl_verify: Any,
) -> None:
    psp.answer(v12_answer(platform_key, MID, _v12_tx()))
    with _client(psp, rsa_key, platform_key, api="v1.2", app_id=None) as client:
        client.query_transaction(order_id="GW1")
    [got] = psp.received
    assert got.path == "/payments/query"
    assert (got.headers["type"], got.headers["version"]) == ("RSA256", "v1.2")
    PaykkaV12Verifier(rsa_key.public_key(), merchant_id=MID).verify(got.headers, got.body)
    body = json.loads(got.body)
    message = v12_string_to_sign(MID, str(body["timestamp"]), got.body)
    assert openssl_verify(message, decode_signature(got.headers["signature"]), key_dir / "pub.pem")


def test_send_sends_a_body_byte_for_byte(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    raw = b'{ "merchant_id" : "18356675194960", "note": "caf\xc3\xa9" }\n'
    psp.answer(v3_answer(platform_key, APP, envelope()))
    with _client(psp, rsa_key, platform_key) as client:
        answer = client.send("/v3/payment/acq/token/remove", raw)
    assert (answer.ret_code, answer.data) == ("000000", None)
    assert psp.received[0].body == raw


# --- every answer verified, with the exact code ------------------------------------------


def _tampered_body(respond: Any) -> Any:
    def tamper(request: Received) -> Answer:
        answer: Answer = respond(request)
        return Answer(answer.status, answer.headers, answer.body.replace(b"SUCCESS", b"FAILURE"))

    return tamper


def _tampered_header(respond: Any, name: str, value: str) -> Any:
    def tamper(request: Received) -> Answer:
        answer: Answer = respond(request)
        return Answer(answer.status, {**answer.headers, name: value}, answer.body)

    return tamper


def _without(respond: Any, name: str) -> Any:
    def drop(request: Received) -> Answer:
        answer: Answer = respond(request)
        return Answer(answer.status, {k: v for k, v in answer.headers.items() if k != name},
                      answer.body)  # fmt: skip

    return drop


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (_tampered_body, "signature_invalid"),
        (
            lambda r: _tampered_header(r, "x-paykka-timestamp", str(int(time.time() * 1000) - 1)),
            "signature_invalid",
        ),
        (lambda r: _tampered_header(r, "x-paykka-nonce", "0123456789abcdef"), "signature_invalid"),
        (lambda r: _without(r, "x-paykka-sign"), "invalid_header"),
        (lambda r: _tampered_header(r, "x-paykka-sign-alg", "SHA1_WITH_RSA"), "invalid_header"),
        (lambda r: _tampered_header(r, "x-paykka-appid", "another-app"), "recipient_mismatch"),
    ],
    ids=["body", "timestamp", "nonce", "no-sign", "alg", "other-app"],
)
def test_a_tampered_v3_answer_never_reaches_the_caller(
    psp: LocalPsp,
    rsa_key: rsa.RSAPrivateKey,
    platform_key: rsa.RSAPrivateKey,
    tamper: Any,
    code: str,
) -> None:
    psp.answer(tamper(v3_answer(platform_key, APP, _tx())))
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(Exception) as caught:
        client.query_transaction(trans_id="order-1")
    assert getattr(caught.value, "code", None) == code
    assert len(psp.received) == 1  # a verification failure is never retried


def test_an_answer_signed_by_another_key_is_refused(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(rsa_key, APP, _tx()))  # the merchant's key, not PayKKa's
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(Exception) as caught:
        client.query_transaction(trans_id="order-1")
    assert getattr(caught.value, "code", None) == "signature_invalid"


def test_a_stale_or_replayed_answer_is_refused(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx()))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=6)
    with (
        _client(psp, rsa_key, platform_key, clock=lambda: later) as client,
        pytest.raises(Exception) as caught,
    ):
        client.query_transaction(trans_id="order-1")
    assert getattr(caught.value, "code", None) == "timestamp_out_of_window"

    recorded: list[Answer] = []

    def replay(request: Received) -> Answer:
        if not recorded:
            recorded.append(v3_answer(platform_key, APP, _tx())(request))
        return recorded[0]

    psp.answer(replay)
    with _client(psp, rsa_key, platform_key) as client:
        client.query_transaction(trans_id="order-1")
        with pytest.raises(Exception) as caught:
            client.query_transaction(trans_id="order-1")
    assert getattr(caught.value, "code", None) == "replayed_nonce"


def test_a_v12_answer_for_another_merchant_is_refused(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    body = envelope({"merchant_id": "OTHER", "timestamp": int(time.time() * 1000)})
    psp.answer(v12_answer(platform_key, "OTHER", body))
    with (
        _client(psp, rsa_key, platform_key, api="v1.2", app_id=None) as client,
        pytest.raises(Exception) as caught,
    ):
        client.query_transaction(trans_id="order-1")
    assert getattr(caught.value, "code", None) == "recipient_mismatch"


def test_a_refusal_by_paykka_carries_its_ret_code(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    body = envelope(ret_code="010000", ret_msg="Invalid request")
    psp.answer(v3_answer(platform_key, APP, body, status=400))
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(PspRefusedError) as caught:
        client.query_transaction(trans_id="order-1")
    error = caught.value
    assert (error.code, error.psp_code, error.psp_message, error.status) == (
        "psp_refused", "010000", "Invalid request", 400,
    )  # fmt: skip
    assert error.to_dict() == {
        "code": "psp_refused",
        "message": "PayKKa refused the request (HTTP 400): ret_code '010000', "
        "ret_msg 'Invalid request'",
    }


# --- retries: queries only ---------------------------------------------------------------


def test_a_query_is_retried_with_a_fresh_signature(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(plain(503), plain(429), v3_answer(platform_key, APP, _tx()))
    with _client(psp, rsa_key, platform_key) as client:
        assert client.query_transaction(trans_id="order-1").status == "SUCCESS"
    assert len(psp.received) == 3
    assert len({r.headers["x-paykka-nonce"] for r in psp.received}) == 3


def test_a_query_gives_up_after_its_attempts(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(plain(502, b"<html>bad gateway</html>"))
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(HttpStatusError) as caught:
        client.query_transaction(trans_id="order-1")
    assert (caught.value.code, caught.value.status) == ("http_error", 502)
    assert "bad gateway" not in caught.value.message  # unsigned: nothing of it is shown
    assert len(psp.received) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_query_is_not_retried_after_a_client_error(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey, status: int
) -> None:
    psp.answer(plain(status))
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(HttpStatusError):
        client.query_transaction(trans_id="order-1")
    assert len(psp.received) == 1


def test_a_payment_is_never_retried(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(plain(503))
    with _client(psp, rsa_key, platform_key) as client:
        with pytest.raises(HttpStatusError):
            client.pay_decrypted(_decrypted(), trans_id="order-1", amount=1000, currency="EUR")
        with pytest.raises(HttpStatusError):
            client.create_checkout_session(trans_id="order-2", amount=1000, currency="EUR")
    assert [r.path for r in psp.received] == ["/v3/payment/acq", "/v3/payment/acq/session"]


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_network_failures_are_network_error(
    rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    closed = LocalPsp(url=_closed_port())
    with _client(closed, rsa_key, platform_key) as client:
        with pytest.raises(NetworkError) as query:
            client.query_transaction(trans_id="order-1")
        with pytest.raises(NetworkError) as payment:
            client.pay_decrypted(_decrypted(), trans_id="order-1", amount=1000, currency="EUR")
    assert query.value.code == "network_error"
    assert "could not connect" in query.value.message
    assert "nothing was sent" in payment.value.message  # a refused connection: safe to resend


def test_a_slow_answer_times_out(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    def slow(request: Received) -> Answer:
        time.sleep(0.5)
        return plain(200)(request)

    psp.answer(slow)
    one_try = RetryPolicy(attempts=1)
    with (
        _client(psp, rsa_key, platform_key, retry=one_try, timeout=0.1) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.query_transaction(trans_id="order-1")
    assert "timed out" in caught.value.message
    with (
        _client(psp, rsa_key, platform_key, timeout=0.1) as client,
        pytest.raises(NetworkError) as payment,
    ):
        client.pay_decrypted(_decrypted(), trans_id="order-1", amount=1000, currency="EUR")
    assert "query the transaction by its id before sending it again" in payment.value.message


def test_retry_policy() -> None:
    policy = RetryPolicy(attempts=4, backoff=0.5)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 40)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert (policy.attempts_for(True), policy.attempts_for(False)) == (4, 1)
    for bad in ({"attempts": 0}, {"attempts": True}, {"attempts": 11}, {"backoff": -1},
                {"backoff": "1"}, {"backoff": 6}):  # fmt: skip
        with pytest.raises(InvalidArgumentError):
            RetryPolicy(**bad)


# --- logs: masked --------------------------------------------------------------------------


def test_logs_are_masked(
    psp: LocalPsp,
    rsa_key: rsa.RSAPrivateKey,
    platform_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx(card_no=PAN, cvv="123", token="TK1")))
    caplog.set_level(logging.DEBUG, logger="paykka_sign.client")
    with _client(psp, rsa_key, platform_key) as client:
        client.pay_decrypted(_decrypted(), trans_id="order-1", amount=1000, currency="EUR")
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "paykka_sign.client")
    assert "POST /v3/payment/acq" in text and "signature verified" in text
    assert "411111******1111" in text
    for secret in (PAN, CRYPTOGRAM, '"123"', "TK1"):
        assert secret not in text
    private = rsa_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    assert private.hex()[:40] not in text
    # The request really carried them: the mask is in the logs, not in what was sent.
    assert PAN.encode() in psp.received[0].body and CRYPTOGRAM.encode() in psp.received[0].body


def test_a_refused_answer_is_logged_by_its_code(
    psp: LocalPsp,
    rsa_key: rsa.RSAPrivateKey,
    platform_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    psp.answer(_tampered_body(v3_answer(platform_key, APP, _tx(card_no=PAN))))
    caplog.set_level(logging.DEBUG, logger="paykka_sign.client")
    with _client(psp, rsa_key, platform_key) as client, pytest.raises(Exception):
        client.query_transaction(trans_id="order-1")
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "paykka_sign.client"
    ]
    assert warnings == ["PayKKa POST /v3/payment/acq/query -> HTTP 200 refused: signature_invalid"]
    assert PAN not in caplog.text  # an unverified body is never logged


def test_the_auth_works_with_a_plain_httpx_client(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    import httpx

    from paykka_sign import InMemoryNonceStore, PaykkaV3Signer
    from paykka_sign.client import PaykkaV3Auth

    auth = PaykkaV3Auth(
        PaykkaV3Signer(rsa_key, app_id=APP),
        PaykkaV3Verifier(platform_key.public_key(), app_id=APP, nonce_store=InMemoryNonceStore()),
    )
    psp.answer(v3_answer(platform_key, APP, _tx()))
    with httpx.Client(base_url=psp.url, auth=auth) as http:
        response = http.post("/v3/payment/acq/query?x=1", content=b'{"trans_id":"order-1"}')
        assert response.extensions["paykka_sign.verified"].body == response.content
        psp.answer(_tampered_body(v3_answer(platform_key, APP, _tx())))
        with pytest.raises(Exception) as caught:
            http.post("/v3/payment/acq/query", content=b"{}")
    assert getattr(caught.value, "code", None) == "signature_invalid"
    got = psp.received[0]
    assert got.path == "/v3/payment/acq/query?x=1"  # the query string is signed too
    PaykkaV3Verifier(rsa_key.public_key(), app_id=APP).verify(
        "POST", got.path, got.headers, got.body
    )
