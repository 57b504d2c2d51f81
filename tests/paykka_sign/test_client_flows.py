"""The Apple Pay flows as calls (session, payments both ways, checkout, query), the async
client, YabandPay, and the webhook handlers, against the local stand-in on 127.0.0.1
(tests/paykka_client_support.py). The full flow against the simulator is h2's suite."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")

from paykka_client_support import (
    Answer,
    LocalPsp,
    Received,
    envelope,
    local_psp,
    v3_answer,
)
from test_client_auth import APP, MID, NO_WAIT, _client, _decrypted, _tx

from paykka_sign import (
    AmountMismatchError,
    InMemoryNonceStore,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    YabandPaySigner,
    notification_string_to_sign,
)
from paykka_sign.client import (
    AsyncPaykkaClient,
    AsyncYabandPayClient,
    PaykkaWebhookHandler,
    WebhookAnswer,
    YabandPayClient,
    YabandPayNotificationHandler,
)
from paykka_sign.errors import PspRefusedError

SECRET = "yabandpay-test-secret"
#: A real Apple sandbox token from YabandPay's documentation (vectors/real, recorded in the
#: repository): PayKKa or YabandPay decrypts it; here it is only carried.
TOKEN = json.loads(
    (
        Path(__file__).resolve().parents[2] / "vectors/real/yabandpay-doc-sandbox-2025.json"
    ).read_text()
)["input"]["json"]


@pytest.fixture(scope="module")
def platform_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def psp() -> Iterator[LocalPsp]:
    with local_psp() as server:
        yield server


def test_apple_pay_session(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    session_object = {"merchantSessionIdentifier": "SSH1", "displayName": "Shop", "nonce": "n"}
    data = base64.b64encode(json.dumps(session_object).encode()).decode()
    psp.answer(v3_answer(platform_key, APP, envelope(data)))
    with _client(psp, rsa_key, platform_key) as client:
        session = client.apple_pay_session(domain_name="shop.example", display_name="Shop")
    assert session.data == data
    assert session.merchant_session() == session_object
    got = psp.received[0]
    assert got.path == "/v3/payment/acq/apple-pay/create-session"
    body = json.loads(got.body)
    assert {k: body[k] for k in ("merchant_id", "domain_name", "display_name")} == {
        "merchant_id": MID, "domain_name": "shop.example", "display_name": "Shop",
    }  # fmt: skip


def test_pay_decrypted_sends_the_documented_payment(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx(order_id="GW1", amount=1000, currency="EUR")))
    with _client(psp, rsa_key, platform_key) as client:
        result = client.pay_decrypted(
            _decrypted(), trans_id="order-1", amount=1000, currency="EUR",
            extra={"notify_url": "https://shop.example/paykka"},
        )  # fmt: skip
    assert (result.order_id, result.amount, result.currency) == ("GW1", 1000, "EUR")
    body = json.loads(psp.received[0].body)
    assert list(body)[:2] == ["merchant_id", "timestamp"]
    assert body["payment"]["card_no"] == "4111111111111111"
    assert body["payment"]["token_authentication"]["token_format"] == "cryptogram_3ds"
    assert (body["trans_id"], body["amount"], body["currency"]) == ("order-1", 1000, "EUR")
    assert body["notify_url"] == "https://shop.example/paykka"


def test_an_order_differing_from_the_token_is_never_sent(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx()))
    with _client(psp, rsa_key, platform_key) as client:
        with pytest.raises(AmountMismatchError):
            client.pay_decrypted(_decrypted(), trans_id="o", amount=999, currency="EUR")
        with pytest.raises(AmountMismatchError):
            client.pay_token(TOKEN, decrypted=_decrypted(), trans_id="o", amount=1, currency="EUR")
    assert psp.received == []


def test_pay_token_sends_token_data(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx()))
    with _client(psp, rsa_key, platform_key) as client:
        client.pay_token(TOKEN, trans_id="order-1", amount=1000, currency="EUR")
    payment = json.loads(psp.received[0].body)["payment"]
    assert payment["payment_method"] == "APPLE_PAY"
    assert json.loads(payment["token_data"]) == TOKEN


@pytest.mark.parametrize("mode", [None, "EMBEDDED", "HOST"])
def test_checkout_session_mode_is_a_parameter(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey, mode: str | None
) -> None:
    answer = {"session_id": "S1", "session_url": "https://pay.example/S1", "trans_id": "o"}
    psp.answer(v3_answer(platform_key, APP, envelope(answer)))
    with _client(psp, rsa_key, platform_key) as client:
        given = {} if mode is None else {"session_mode": mode}
        session = client.create_checkout_session(trans_id="o", amount=1000, currency="EUR", **given)
    assert (session.session_id, session.session_url) == ("S1", "https://pay.example/S1")
    body = json.loads(psp.received[0].body)
    assert body["session_mode"] == (mode or "HOSTED")  # the API page's value by default
    assert body["allowed_payment_methods"] == ["APPLE_PAY"]
    assert psp.received[0].path == "/v3/payment/acq/session"


def test_queries_need_an_id_and_use_their_paths(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, envelope({"session_id": "S1", "status": "PAID"})))
    with _client(psp, rsa_key, platform_key) as client:
        with pytest.raises(Exception) as caught:
            client.query_transaction()
        assert getattr(caught.value, "code", None) == "invalid_argument"
        assert client.query_checkout_session("S1").status == "PAID"
        client.query_transaction(session_id="S1")
    assert [r.path for r in psp.received] == [
        "/v3/payment/acq/session/query", "/v3/payment/acq/query",
    ]  # fmt: skip
    assert json.loads(psp.received[1].body)["session_id"] == "S1"


def test_base_urls_and_configuration(rsa_key: rsa.RSAPrivateKey) -> None:
    from paykka_sign.client import PaykkaClient

    base = {"private_key": rsa_key, "platform_public_key": rsa_key.public_key(),
            "merchant_id": MID}  # fmt: skip
    with PaykkaClient(**base, app_id=APP, environment="production-eu") as client:
        assert str(client.base_url) == "https://openapi.eu.paykka.com"
    with PaykkaClient(**base, api="v1.2") as client:
        assert str(client.base_url) == "https://sandbox.aq.paykka.com"
    refused = [
        {"api": "v1.2", "environment": "production"},  # no documented v1.2 production URL
        {"app_id": APP, "base_url": "http://paykka.example"},  # clear text off loopback
        {"app_id": APP, "base_url": "ftp://paykka.example"},
        {},  # v3 without app_id
    ]
    for config in refused:
        with pytest.raises(Exception) as caught:
            PaykkaClient(**base, **config)
        assert getattr(caught.value, "code", None) == "invalid_argument"


def test_async_client(
    psp: LocalPsp, rsa_key: rsa.RSAPrivateKey, platform_key: rsa.RSAPrivateKey
) -> None:
    psp.answer(v3_answer(platform_key, APP, _tx(order_id="GW2")))

    async def run() -> tuple[str | None, str | None]:
        async with AsyncPaykkaClient(
            private_key=rsa_key, platform_public_key=platform_key.public_key(),
            merchant_id=MID, app_id=APP, base_url=psp.url, retry=NO_WAIT,
        ) as client:  # fmt: skip
            paid = await client.pay_decrypted(
                _decrypted(), trans_id="order-1", amount=1000, currency="EUR"
            )
            queried = await client.query_transaction(trans_id="order-1")
            return paid.order_id, queried.status

    assert asyncio.run(run()) == ("GW2", "SUCCESS")
    for got in psp.received:
        PaykkaV3Verifier(rsa_key.public_key(), app_id=APP).verify(
            got.method, got.path, got.headers, got.body
        )


# --- YabandPay ---------------------------------------------------------------------------


def _yabandpay_answer(data: dict[str, str], *, signed: bool = True) -> Any:
    def respond(request: Received) -> Answer:
        doc: dict[str, Any] = {"status": True, "code": 200, "message": "success", "data": data}
        if signed:
            message = notification_string_to_sign(data).encode()
            doc["sign"] = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
        return Answer(200, {"content-type": "application/json"}, json.dumps(doc).encode())

    return respond


def _refusal(request: Received) -> Answer:
    body = {"status": False, "code": -403, "message": "The signature Error"}
    return Answer(200, {"content-type": "application/json"}, json.dumps(body).encode())


ORDER = {"order_id": "Y1", "amount": 10, "currency": "EUR", "description": "Order 42",
         "notify_url": "https://shop.example/yabandpay"}  # fmt: skip


@pytest.mark.parametrize(("operation", "code"), [("sales", "1"), ("authorisation", "2")])
def test_yabandpay_applepay(psp: LocalPsp, operation: str, code: str) -> None:
    signer = YabandPaySigner(SECRET, user="016683")
    psp.answer(_yabandpay_answer({"order_id": "Y1", "trade_id": "T9", "state": "paid"}))
    with YabandPayClient(signer, base_url=psp.url) as client:
        answer = client.applepay(TOKEN, operation=operation, **ORDER)
    assert (answer.signed, answer.data["trade_id"]) == (True, "T9")
    got = psp.received[0]
    assert got.path == "/Payments"
    request = json.loads(got.body)
    signer.verify_request(request)  # YabandPay's check of what arrived
    assert (request["method"], request["data"]["operation"]) == ("v3.ApplePay", code)
    assert request["data"]["amount"] == "0.10"


def test_yabandpay_refusals(psp: LocalPsp) -> None:
    signer = YabandPaySigner(SECRET, user="016683")
    with YabandPayClient(signer, base_url=psp.url) as client:
        psp.answer(_refusal)
        with pytest.raises(PspRefusedError) as refused:
            client.applepay(TOKEN, **ORDER)
        assert (refused.value.psp_code, refused.value.psp_message) == (
            "-403", "The signature Error",
        )  # fmt: skip
        psp.answer(_yabandpay_answer({"order_id": "Y1"}, signed=False))
        with pytest.raises(Exception) as unsigned:
            client.applepay(TOKEN, **ORDER)
        assert getattr(unsigned.value, "code", None) == "signature_invalid"
    with YabandPayClient(signer, base_url=psp.url, require_signed_answers=False) as lenient:
        assert lenient.applepay(TOKEN, **ORDER).signed is False
    other = YabandPaySigner("another-secret", user="016683")
    psp.answer(_yabandpay_answer({"order_id": "Y1"}))
    with YabandPayClient(other, base_url=psp.url) as client, pytest.raises(Exception) as forged:
        client.applepay(TOKEN, **ORDER)
    assert getattr(forged.value, "code", None) == "signature_invalid"


def test_async_yabandpay(psp: LocalPsp) -> None:
    signer = YabandPaySigner(SECRET, user="016683")
    psp.answer(_yabandpay_answer({"order_id": "Y1", "state": "paid"}))

    async def run() -> str:
        async with AsyncYabandPayClient(signer, base_url=psp.url) as client:
            answer = await client.applepay(TOKEN, operation="sales", **ORDER)
            return str(answer.data["state"])

    assert asyncio.run(run()) == "paid"


# --- webhooks ----------------------------------------------------------------------------

EVENT = {"notify_type": "PAYMENT.SUCCESS", "merchant_id": MID, "trans_id": "order-1",
         "order_id": "GW1", "status": "SUCCESS", "amount": 1000, "currency": "EUR"}  # fmt: skip


def test_paykka_v3_webhook(platform_key: rsa.RSAPrivateKey) -> None:
    body = json.dumps(EVENT).encode()
    signed = PaykkaV3Signer(platform_key, app_id=APP).sign("POST", "/hooks/paykka", body)
    verifier = PaykkaV3Verifier(
        platform_key.public_key(), app_id=APP, nonce_store=InMemoryNonceStore()
    )
    handler = PaykkaWebhookHandler(verifier, path="/hooks/paykka")
    event = handler.handle(dict(signed.headers), body)
    assert (event.notify_type, event.category, event.trans_id, event.amount) == (
        "PAYMENT.SUCCESS", "PAYMENT", "order-1", 1000,
    )  # fmt: skip
    assert handler.answer == WebhookAnswer(
        200, "application/json", b'{"ret_code":"000000","ret_msg":"Success"}'
    )
    fresh = PaykkaV3Signer(platform_key, app_id=APP).sign("POST", "/hooks/paykka", body)
    result = handler.respond(dict(fresh.headers), body)
    assert (result.answer, result.error) == (handler.answer, None)
    assert result.event is not None and result.event.trans_id == "order-1"
    refused = handler.respond(dict(fresh.headers), body)  # the same nonce again
    assert (refused.event, refused.error, refused.answer.status) == (None, "replayed_nonce", 400)
    assert refused.answer.body == b'{"ret_code":"010000","ret_msg":"replayed_nonce"}'
    for headers, path, code in [
        (dict(signed.headers), "/hooks/paykka", "replayed_nonce"),
        (dict(signed.headers), "/hooks/other-shop", "signature_invalid"),
        (
            {**signed.headers, "x-paykka-appid": "another-app"},
            "/hooks/paykka",
            "recipient_mismatch",
        ),
    ]:
        with pytest.raises(Exception) as caught:
            PaykkaWebhookHandler(verifier, path=path).handle(headers, body)
        assert getattr(caught.value, "code", None) == code
        assert WebhookAnswer.refusal(caught.value).status == 400


def test_paykka_v12_webhook_for_another_merchant(platform_key: rsa.RSAPrivateKey) -> None:
    verifier = PaykkaV12Verifier(
        platform_key.public_key(), merchant_id=MID, window=dt.timedelta(hours=24)
    )
    handler = PaykkaWebhookHandler(verifier)
    now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
    ours = json.dumps({**EVENT, "notify_type": "REFUND.SUCCESS", "timestamp": now}).encode()
    event = handler.handle(dict(PaykkaV12Signer(platform_key).sign(ours).headers), ours)
    assert (event.category, event.merchant_id) == ("REFUND", MID)
    theirs = json.dumps({**EVENT, "merchant_id": "OTHER", "timestamp": now}).encode()
    with pytest.raises(Exception) as caught:
        handler.handle(dict(PaykkaV12Signer(platform_key).sign(theirs).headers), theirs)
    assert getattr(caught.value, "code", None) == "recipient_mismatch"
    other = json.dumps({**EVENT, "notify_type": "DISPUTE.CREATED", "timestamp": now}).encode()
    with pytest.raises(Exception) as unknown:
        handler.handle(dict(PaykkaV12Signer(platform_key).sign(other).headers), other)
    assert getattr(unknown.value, "code", None) == "malformed_body"


def test_yabandpay_notification() -> None:
    signer = YabandPaySigner(SECRET)
    data = {"order_id": "Y1", "trade_id": "T9", "state": "paid", "amount": "0.10"}
    message = notification_string_to_sign(data).encode()
    sign = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()
    handler = YabandPayNotificationHandler(signer)
    note = handler.handle(json.dumps({"sign": sign, "data": data}).encode())
    assert (note.order_id, note.state, note.amount) == ("Y1", "paid", "0.10")
    assert handler.answer.body == b"success"
    assert handler.respond(json.dumps({"sign": sign, "data": data})).event == note
    assert handler.respond(b"{}").error == "missing_field"
    with pytest.raises(Exception) as caught:
        handler.handle(json.dumps({"sign": sign, "data": {**data, "state": "refunded"}}))
    assert getattr(caught.value, "code", None) == "signature_invalid"


# --- without the client extra ------------------------------------------------------------


def test_without_httpx_one_clear_error_names_the_extra() -> None:
    script = (
        "import sys; sys.modules['httpx'] = None\n"
        "import paykka_sign.client as c, paykka_sign.client.endpoints as e\n"
        "assert e.endpoint('v3', 'initiate').path == '/v3/payment/acq'\n"
        "c.PaykkaWebhookHandler\n"
        "try:\n"
        "    from paykka_sign.client import PaykkaClient\n"
        "except ImportError as exc:\n"
        "    print(exc.code, exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == (
        "missing_dependency the PayKKa/YabandPay HTTP client needs httpx: "
        "pip install 'applepay-toolkit[client]'"
    )


def test_yabandpay_logs_hold_no_secret(psp: LocalPsp, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="paykka_sign.client")
    psp.answer(_yabandpay_answer({"order_id": "Y1", "state": "paid"}))
    with YabandPayClient(YabandPaySigner(SECRET, user="016683"), base_url=psp.url) as client:
        client.applepay(TOKEN, **ORDER)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "paykka_sign.client")
    assert "YabandPay request body=" in text and "sign verified" in text
    assert SECRET not in text
