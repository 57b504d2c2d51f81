"""The real client against the simulator (paykka_sign.simulator, a local PayKKa and YabandPay
on 127.0.0.1 speaking their documented protocols) over real HTTP: mint an Apple Pay token,
decrypt it, initiate (v3 and v1.2, merchant decryption and token_data), verify the signed
answer, receive and verify the webhook; and each failure with its exact code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")

import httpx
from simulator_support import webhook_receiver

from applepay_crypto import DecryptedToken, TokenDecryptor
from applepay_crypto.testing import TestAuthority, TestMerchant, mint
from applepay_crypto.testing.payload import sample_payload
from paykka_sign import (
    InMemoryNonceStore,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Verifier,
    YabandPaySigner,
    generate_private_key,
)
from paykka_sign.client import (
    PaykkaClient,
    PaykkaWebhookHandler,
    RetryPolicy,
    YabandPayClient,
    YabandPayNotificationHandler,
)
from paykka_sign.client.answers import paykka_answer
from paykka_sign.errors import PspRefusedError, SignatureInvalidError
from paykka_sign.simulator import Simulator

PAN = "4111111111111111"
APIS = ["v3", "v1.2"]
HOOK = "/hooks/paykka"


@pytest.fixture(scope="module")
def token_and_decrypted(
    psp_authority: TestAuthority, psp_merchant: TestMerchant
) -> tuple[dict[str, Any], DecryptedToken]:
    now = dt.datetime.now(dt.timezone.utc)
    payload = sample_payload(pan=PAN, amount=1000, currency_code="978")
    token = mint(payload, recipient=psp_merchant, authority=psp_authority, signing_time=now)
    decryptor = TokenDecryptor(psp_merchant.merchant_key, trust=psp_authority.trust_store())
    return token, decryptor.decrypt(token, now=now)


@pytest.fixture(scope="module")
def wrong_key() -> rsa.RSAPrivateKey:
    return generate_private_key()


def client(sim: Simulator, key: rsa.RSAPrivateKey, api: str, **kw: Any) -> PaykkaClient:
    config: dict[str, Any] = {
        "private_key": key,
        "platform_public_key": sim.platform_public_key,
        "merchant_id": sim.merchant_id,
        "app_id": sim.app_id,
        "api": api,
        "base_url": sim.url,
        "retry": RetryPolicy(attempts=1),
    }
    config.update(kw)
    return PaykkaClient(**config)


def hooks(sim: Simulator, api: str) -> PaykkaWebhookHandler:
    if api == "v3":
        verifier: Any = PaykkaV3Verifier(
            sim.platform_public_key, app_id=sim.app_id, nonce_store=InMemoryNonceStore()
        )
        return PaykkaWebhookHandler(verifier, path=HOOK)
    verifier = PaykkaV12Verifier(
        sim.platform_public_key, merchant_id=sim.merchant_id, window=dt.timedelta(minutes=5)
    )
    return PaykkaWebhookHandler(verifier)


@pytest.fixture
def sim(paykka_simulator: Simulator) -> Iterator[Simulator]:
    yield paykka_simulator


# --- the whole flow ------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_mint_decrypt_pay_verify_webhook(
    sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey, token_and_decrypted: Any, api: str
) -> None:
    _, decrypted = token_and_decrypted
    with client(sim, paykka_merchant_key, api) as paykka:
        payment = paykka.pay_decrypted(
            decrypted, trans_id=f"order-{api}", amount=1000, currency="EUR"
        )
    assert (payment.status, payment.trans_id, payment.amount, payment.currency) == (
        "SUCCESS",
        f"order-{api}",
        1000,
        "EUR",
    )
    assert payment.data["card_no"] == "411111******1111"
    assert payment.merchant_id == sim.merchant_id
    stored = sim.store.transactions[f"order-{api}"]
    assert stored["decryption"] == "merchant" and PAN not in repr(stored)

    handler = hooks(sim, api)
    with webhook_receiver(lambda h, b: handler.respond(h, b), HOOK) as receiver:
        delivery = sim.send_webhook(receiver.url, api=api, trans_id=f"order-{api}")
    assert (delivery.status, delivery.body) == (200, b'{"ret_code":"000000","ret_msg":"Success"}')
    [result] = receiver.results
    assert result.error is None and result.event is not None
    event: Any = result.event
    assert (event.notify_type, event.trans_id, event.status, event.amount) == (
        "PAYMENT.SUCCESS",
        f"order-{api}",
        "SUCCESS",
        1000,
    )
    assert event.order_id == payment.order_id


@pytest.mark.parametrize("api", APIS)
def test_token_data_payment(
    sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey, token_and_decrypted: Any, api: str
) -> None:
    token, decrypted = token_and_decrypted
    with client(sim, paykka_merchant_key, api) as paykka:
        payment = paykka.pay_token(
            token, trans_id="t-1", amount=1000, currency="EUR", decrypted=decrypted
        )
        again = paykka.query_transaction(trans_id="t-1")
    assert (payment.status, again.status, again.order_id) == (
        "SUCCESS",
        "SUCCESS",
        payment.order_id,
    )
    assert sim.store.transactions["t-1"]["decryption"] == "paykka"


@pytest.mark.parametrize("api", APIS)
def test_apple_pay_session_and_checkouts(
    sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey, api: str
) -> None:
    with client(sim, paykka_merchant_key, api) as paykka:
        session = paykka.apple_pay_session(domain_name="shop.example", display_name="Shop")
        merchant_session = session.merchant_session()
        hosted = paykka.create_checkout_session(trans_id="c-1", amount=500, currency="EUR")
        embedded = paykka.create_checkout_session(
            trans_id="c-2", amount=700, currency="EUR", session_mode="EMBEDDED"
        )
        assert hosted.session_id is not None and embedded.session_id is not None
        status = paykka.query_checkout_session(hosted.session_id)
        sim.pay_checkout(hosted.session_id)
        paid = paykka.query_transaction(session_id=hosted.session_id)
    assert (merchant_session["domainName"], merchant_session["displayName"]) == (
        "shop.example",
        "Shop",
    )
    assert hosted.session_url == f"{sim.url}/checkout/{hosted.session_id}"
    assert embedded.data["session_mode"] == "EMBEDDED"
    assert (status.status, status.trans_id) == ("PENDING", "c-1")
    assert (paid.trans_id, paid.status, paid.amount) == ("c-1", "SUCCESS", 500)


def test_yabandpay_sales_and_authorisation_with_notification(
    sim: Simulator, yabandpay_secret: str, token_and_decrypted: Any
) -> None:
    token, decrypted = token_and_decrypted
    signer = YabandPaySigner(yabandpay_secret, user=sim.yabandpay_user)
    order = {"amount": 1000, "currency": "EUR", "description": "Order 42", "decrypted": decrypted}
    with YabandPayClient(signer, base_url=sim.url) as yabandpay:
        sales = yabandpay.applepay(token, order_id="Y1", notify_url="https://s.example/n", **order)
        auth = yabandpay.applepay(
            token,
            operation="authorisation",
            order_id="Y2",
            notify_url="https://s.example/n",
            **order,
        )
    assert sales.signed and auth.signed
    assert (sales.data["state"], sales.data["amount"], auth.data["state"]) == (
        "paid",
        "10.00",
        "authorised",
    )
    handler = YabandPayNotificationHandler(signer)
    with webhook_receiver(lambda h, b: handler.respond(b), "/hooks/yabandpay") as receiver:
        delivery = sim.send_yabandpay_notification(receiver.url, order_id="Y1")
    assert (delivery.status, delivery.body) == (200, b"success")
    event: Any = receiver.results[0].event
    assert (event.order_id, event.state, event.trade_id) == ("Y1", "paid", sales.data["trade_id"])


# --- each failure ------------------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_wrong_merchant_key_is_refused_with_paykkas_shape(
    sim: Simulator, wrong_key: rsa.RSAPrivateKey, api: str
) -> None:
    with client(sim, wrong_key, api) as paykka, pytest.raises(PspRefusedError) as caught:
        paykka.query_transaction(trans_id="any")
    error = caught.value
    assert (error.code, error.psp_code, error.psp_message, error.status) == (
        "psp_refused",
        "010000",
        "Signature verification failed",
        401,
    )


@pytest.mark.parametrize("api", APIS)
def test_stale_timestamp_is_refused(
    sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey, api: str
) -> None:
    def late() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6)

    # The client's own answer window is widened so that it reads the simulator's refusal.
    with (
        client(
            sim, paykka_merchant_key, api, clock=late, answer_window=dt.timedelta(minutes=30)
        ) as paykka,
        pytest.raises(PspRefusedError) as caught,
    ):
        paykka.query_transaction(trans_id="any")
    assert (caught.value.psp_code, caught.value.psp_message, caught.value.status) == (
        "010000",
        "Timestamp out of the 5-minute window",
        401,
    )


def test_replayed_nonce_is_refused(sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey) -> None:
    path = "/v3/payment/acq/query"
    body = b'{"merchant_id":"%s","timestamp":1,"trans_id":"x"}' % sim.merchant_id.encode()
    signed = PaykkaV3Signer(paykka_merchant_key, app_id=sim.app_id).sign("POST", path, body)
    verifier = PaykkaV3Verifier(sim.platform_public_key, app_id=sim.app_id)
    answers = []
    for _ in range(2):
        response = httpx.post(sim.url + path, content=body, headers=dict(signed.headers))
        message = verifier.verify("POST", path, dict(response.headers.items()), response.content)
        answers.append((response.status_code, message.json()))
    assert answers == [
        (200, {"ret_code": "010000", "ret_msg": "Not found"}),
        (401, {"ret_code": "010000", "ret_msg": "Nonce already used"}),
    ]
    with pytest.raises(PspRefusedError) as caught:
        paykka_answer(response.status_code, message)
    assert caught.value.psp_message == "Nonce already used"


@pytest.mark.parametrize("api", APIS)
def test_tampered_answer_raises_signature_invalid(
    sim: Simulator, paykka_merchant_key: rsa.RSAPrivateKey, api: str
) -> None:
    sim.tamper = True
    with client(sim, paykka_merchant_key, api) as paykka, pytest.raises(SignatureInvalidError) as e:
        paykka.create_checkout_session(trans_id="tampered", amount=1, currency="EUR")
    assert e.value.code == "signature_invalid"


def test_tampered_yabandpay_answer_raises_signature_invalid(
    sim: Simulator, yabandpay_secret: str, token_and_decrypted: Any
) -> None:
    token, _ = token_and_decrypted
    sim.tamper = True
    signer = YabandPaySigner(yabandpay_secret, user=sim.yabandpay_user)
    with (
        YabandPayClient(signer, base_url=sim.url) as yabandpay,
        pytest.raises(SignatureInvalidError) as caught,
    ):
        yabandpay.applepay(
            token,
            order_id="Y3",
            amount=1000,
            currency="EUR",
            description="d",
            notify_url="https://s.example/n",
        )
    assert caught.value.code == "signature_invalid"


def test_yabandpay_wrong_secret_is_minus_403(sim: Simulator, token_and_decrypted: Any) -> None:
    token, _ = token_and_decrypted
    signer = YabandPaySigner("not-the-secret", user=sim.yabandpay_user)
    with (
        YabandPayClient(signer, base_url=sim.url) as yabandpay,
        pytest.raises(PspRefusedError) as caught,
    ):
        yabandpay.applepay(
            token,
            order_id="Y4",
            amount=1000,
            currency="EUR",
            description="d",
            notify_url="https://s.example/n",
        )
    assert (caught.value.code, caught.value.psp_code, caught.value.psp_message) == (
        "psp_refused",
        "-403",
        "The signature Error",
    )


@pytest.mark.parametrize(
    ("api", "recipient"),
    [("v3", {"app_id": "111111111111111"}), ("v1.2", {"merchant_id": "99999999999999"})],
)
def test_webhook_for_another_merchant_is_refused(
    sim: Simulator, api: str, recipient: dict[str, str]
) -> None:
    handler = hooks(sim, api)
    with webhook_receiver(lambda h, b: handler.respond(h, b), HOOK) as receiver:
        delivery = sim.send_webhook(receiver.url, api=api, trans_id="order-x", **recipient)
    assert (delivery.status, delivery.body) == (
        400,
        b'{"ret_code":"010000","ret_msg":"recipient_mismatch"}',
    )
    assert [(r.event, r.error) for r in receiver.results] == [(None, "recipient_mismatch")]


def test_webhook_signed_by_another_platform_key_is_refused(sim: Simulator) -> None:
    handler = PaykkaWebhookHandler(
        PaykkaV3Verifier(generate_private_key().public_key(), app_id=sim.app_id), path=HOOK
    )
    with webhook_receiver(lambda h, b: handler.respond(h, b), HOOK) as receiver:
        delivery = sim.send_webhook(receiver.url, trans_id="order-x")
    assert delivery.status == 400
    assert receiver.results[0].error == "signature_invalid"
