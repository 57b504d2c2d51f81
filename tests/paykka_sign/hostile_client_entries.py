"""The client's public callables (issue #13) for the hostile-input property of
test_paykka_hostile_inputs.py: each argument that carries outside data gets the hostile value,
and so does every answer (signed by the platform key, so that it reaches the parsers).

No network: the clients answer through an ``httpx.MockTransport`` whose answer is the current
hostile value. One client of each kind is made once (an httpx client builds a TLS context),
with a nonce store that forgets, as every answer here is signed anew.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import DecryptedToken, PaymentData
from paykka_sign import (
    InMemoryNonceStore,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    YabandPaySigner,
    yabandpay,
)
from paykka_sign.client import (
    ApplePaySession,
    AsyncPaykkaClient,
    AsyncYabandPayClient,
    PaykkaClient,
    PaykkaV3Auth,
    PaykkaV12Auth,
    PaykkaWebhookHandler,
    RetryPolicy,
    YabandPayClient,
    YabandPayNotificationHandler,
    endpoint,
)
from paykka_sign.client.masking import masked_body

Call = Callable[[Any], object]

_TOKEN = json.loads(
    (
        Path(__file__).resolve().parents[2] / "vectors/real/yabandpay-doc-sandbox-2025.json"
    ).read_text()
)["input"]["json"]
_PAYLOAD = {
    "applicationPrimaryAccountNumber": "4111111111111111",
    "applicationExpirationDate": "270831",
    "currencyCode": "978",
    "transactionAmount": 1000,
    "deviceManufacturerIdentifier": "040010030273",
    "paymentDataType": "3DSecure",
    "paymentData": {
        "onlinePaymentCryptogram": "AgAAAAAABk4DWZ4C28yUQAAAAAA=",
        "eciIndicator": "05",
    },
}
_DECRYPTED = DecryptedToken(
    version="EC_v1",
    transaction_id="ab" * 32,
    public_key_hash=b"\x00" * 32,
    application_data=None,
    verified=True,
    signing_time=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
    payment_data=PaymentData.from_json(json.dumps(_PAYLOAD).encode()),
)
_ORDER = {"trans_id": "t", "amount": 1000, "currency": "EUR"}
_YB_ORDER = {"order_id": "o", "amount": 1000, "currency": "EUR", "description": "d",
             "notify_url": "https://shop.example/n"}  # fmt: skip


class _Forgetful:
    def remember(self, nonce: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        return True


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    try:
        return json.dumps(value).encode()
    except (RecursionError, ValueError, TypeError):
        return b"[" * 5000


def entry_points(
    key: rsa.RSAPrivateKey, secret: str, now: dt.datetime
) -> tuple[dict[str, list[Call]], dict[str, str]]:
    """``(ENTRY_POINTS, NOT_INPUT)`` additions for the client."""
    public = key.public_key()
    answer = [b"{}"]  # the body every mocked PayKKa/YabandPay answer carries now

    def paykka(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode("ascii")
        signed = PaykkaV3Signer(key, app_id="A1").sign(request.method, path, answer[0])
        headers = {k: v for k, v in signed.headers.items() if k != "x-paykka-appid"}
        return httpx.Response(200, headers=headers, content=answer[0])

    def plain(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answer[0])

    config: dict[str, Any] = {
        "private_key": key, "platform_public_key": public, "merchant_id": "M1", "app_id": "A1",
        "base_url": "https://paykka.test", "retry": RetryPolicy(attempts=1),
        "nonce_store": _Forgetful(),
    }  # fmt: skip
    client = PaykkaClient(**config, transport=httpx.MockTransport(paykka))
    aclient = AsyncPaykkaClient(**config, transport=httpx.MockTransport(paykka))
    # A client made with a transport builds no TLS context: cheap to construct per example.
    config["transport"] = httpx.MockTransport(paykka)
    signer = YabandPaySigner(secret, user="u")
    yb = YabandPayClient(signer, base_url="https://yb.test", transport=httpx.MockTransport(plain))
    ayb = AsyncYabandPayClient(
        signer, base_url="https://yb.test", transport=httpx.MockTransport(plain)
    )

    def answered(call: Callable[[], object]) -> Call:
        def run(value: Any) -> object:
            answer[0] = as_bytes(value)
            return call()

        return run

    def awaited(call: Callable[[Any], Any]) -> Call:
        return lambda value: asyncio.run(call(value))

    def signed_answer(value: Any) -> None:
        # A YabandPay answer whose data is the value, signed: reaches the data's checks.
        data = value.get("data") if isinstance(value, dict) else value
        try:
            sign = yabandpay.hmac_sha256_hex(
                secret.encode(), yabandpay.notification_string_to_sign(data)
            )
        except Exception:  # an unsignable value goes unsigned
            sign = "0" * 64
        answer[0] = as_bytes({"status": True, "code": 200, "data": data, "sign": sign})
        yb.applepay(_TOKEN, **_YB_ORDER)

    v12 = PaykkaV12Verifier(public, merchant_id="M1")
    v3 = PaykkaV3Verifier(public, app_id="A1", nonce_store=InMemoryNonceStore(), clock=lambda: now)
    v12_auth = PaykkaV12Auth(PaykkaV12Signer(key), v12)
    v3_auth = PaykkaV3Auth(PaykkaV3Signer(key, app_id="A1"), v3)

    def flow(auth: httpx.Auth, value: Any, *, as_request: bool) -> None:
        raw = as_bytes(value)
        request = value if as_request else httpx.Request("POST", "https://p.test/p", content=raw)
        steps = auth.auth_flow(request)
        sent = next(steps)
        with contextlib.suppress(StopIteration):
            steps.send(httpx.Response(200, content=raw, headers=sent.headers, request=sent))

    webhook_v3 = PaykkaWebhookHandler(v3, path="/h")
    webhook_v12 = PaykkaWebhookHandler(v12)

    def signed_webhook_v3(value: Any) -> None:
        raw = as_bytes(value)
        headers = PaykkaV3Signer(key, app_id="A1").sign("POST", "/h", raw, now=now).headers
        webhook_v3.handle(dict(headers), raw)

    def signed_webhook_v12(value: Any) -> None:
        raw = as_bytes(value)
        try:
            headers = PaykkaV12Signer(key).sign(raw, merchant_id="M1", timestamp=1).headers
        except Exception:  # a body v1.2 cannot sign: any signature
            headers = {"signature": "AAAA"}  # type: ignore[assignment]
        webhook_v12.handle(dict(headers), raw)

    notifications = YabandPayNotificationHandler(signer)
    c = "client.paykka.PaykkaClient"
    a = "client.paykka_async.AsyncPaykkaClient"
    entries: dict[str, list[Call]] = {
        "client.endpoints.endpoint": [
            lambda v: endpoint(v, "initiate"),
            lambda v: endpoint("v3", v),
        ],
        "client.answers.ApplePaySession.merchant_session": [
            lambda v: ApplePaySession(data=v, answer=None).merchant_session(),  # type: ignore[arg-type]
            lambda v: ApplePaySession(
                data=base64.b64encode(as_bytes(v)).decode(),
                answer=None,  # type: ignore[arg-type]
            ).merchant_session(),
        ],
        "client.auth.PaykkaV12Auth": [lambda v: PaykkaV12Auth(v, v12)],
        "client.auth.PaykkaV12Auth.auth_flow": [
            lambda v: flow(v12_auth, v, as_request=False),
            lambda v: flow(v12_auth, v, as_request=True),
        ],
        "client.auth.PaykkaV3Auth": [lambda v: PaykkaV3Auth(PaykkaV3Signer(key, app_id="A"), v)],
        "client.auth.PaykkaV3Auth.auth_flow": [
            lambda v: flow(v3_auth, v, as_request=False),
            lambda v: flow(v3_auth, v, as_request=True),
        ],
        "client.masking.masked_body": [
            lambda v: masked_body(v, "paykka-answer"),
            lambda v: masked_body(as_bytes(v), "paykka-request"),
            lambda v: masked_body(b"{}", v),
        ],
        c: [
            lambda v: PaykkaClient(**{**config, "merchant_id": v}),
            lambda v: PaykkaClient(**{**config, "app_id": v}),
            lambda v: PaykkaClient(**{**config, "base_url": v}),
            lambda v: PaykkaClient(**{**config, "base_url": None, "environment": v}),
            lambda v: PaykkaClient(**{**config, "api": v, "retry": v}),
            lambda v: PaykkaClient(**{**config, "answer_window": v, "nonce_store": v}),
            lambda v: PaykkaClient(**{**config, "private_key": v, "timeout": v, "transport": v}),
        ],
        f"{c}.send": [
            lambda v: client.send(v, b"{}"),
            lambda v: client.send("/p", v, method=v, retry=v),
            answered(lambda: client.send("/p", {"a": 1})),
        ],
        f"{c}.apple_pay_session": [
            lambda v: client.apple_pay_session(domain_name=v, display_name=v),
            answered(lambda: client.apple_pay_session(domain_name="shop.example")),
        ],
        f"{c}.pay_decrypted": [
            lambda v: client.pay_decrypted(v, **_ORDER),
            lambda v: client.pay_decrypted(
                _DECRYPTED, trans_id=v, amount=v, currency=v, payment_type=v, extra=v
            ),
            lambda v: client.pay_decrypted(_DECRYPTED, **_ORDER, allow_mismatch=v, extra=v),
        ],
        f"{c}.pay_token": [
            lambda v: client.pay_token(v, **_ORDER),
            lambda v: client.pay_token(_TOKEN, trans_id=v, amount=v, currency=v, decrypted=v),
            lambda v: client.pay_token(
                _TOKEN,
                **_ORDER,
                encoding=v,
                store_payment_method=v,
                token_usage=v,
                shopper_reference=v,
                extra=v,
            ),
        ],
        f"{c}.create_checkout_session": [
            lambda v: client.create_checkout_session(
                trans_id=v, amount=v, currency=v, session_mode=v
            ),
            lambda v: client.create_checkout_session(**_ORDER, allowed_payment_methods=v, extra=v),
        ],
        f"{c}.query_checkout_session": [
            client.query_checkout_session,
            answered(lambda: client.query_checkout_session("S1")),
        ],
        f"{c}.query_transaction": [
            lambda v: client.query_transaction(trans_id=v, order_id=v, session_id=v),
            answered(lambda: client.query_transaction(trans_id="t")),
        ],
        a: [
            lambda v: AsyncPaykkaClient(
                **{**config, "transport": httpx.MockTransport(paykka), "merchant_id": v}
            ),
            lambda v: AsyncPaykkaClient(**{**config, "transport": v}),
        ],
        f"{a}.send": [awaited(lambda v: aclient.send("/p", v, method=v))],
        f"{a}.apple_pay_session": [awaited(lambda v: aclient.apple_pay_session(domain_name=v))],
        f"{a}.pay_decrypted": [awaited(lambda v: aclient.pay_decrypted(v, **_ORDER))],
        f"{a}.pay_token": [awaited(lambda v: aclient.pay_token(v, **_ORDER))],
        f"{a}.create_checkout_session": [
            awaited(lambda v: aclient.create_checkout_session(**_ORDER, session_mode=v))
        ],
        f"{a}.query_checkout_session": [awaited(aclient.query_checkout_session)],
        # The async calls share the sync ones' bodies and parsers (answers covered above).
        f"{a}.query_transaction": [awaited(lambda v: aclient.query_transaction(order_id=v))],
        "client.retry.RetryPolicy": [
            lambda v: RetryPolicy(attempts=v),
            lambda v: RetryPolicy(backoff=v),
        ],
        "client.retry.RetryPolicy.delay": [lambda v: RetryPolicy().delay(v)],
        "client.retry.RetryPolicy.attempts_for": [lambda v: RetryPolicy().attempts_for(v)],
        "client.webhooks.PaykkaWebhookHandler": [
            PaykkaWebhookHandler,
            lambda v: PaykkaWebhookHandler(v3, path=v),
            lambda v: PaykkaWebhookHandler(v3, path="/h", method=v).handle({}, b""),
        ],
        "client.webhooks.PaykkaWebhookHandler.handle": [
            lambda v: webhook_v3.handle(v, b""),
            lambda v: webhook_v3.handle({"x-paykka-sign": "A"}, v),
            lambda v: webhook_v12.handle(v, v),
            signed_webhook_v3,
            signed_webhook_v12,
        ],
        "client.webhooks.PaykkaWebhookHandler.respond": [
            lambda v: webhook_v3.respond(v, v),
            lambda v: webhook_v12.respond({"signature": "AAAA"}, v),
        ],
        "client.webhooks.YabandPayNotificationHandler": [YabandPayNotificationHandler],
        "client.webhooks.YabandPayNotificationHandler.respond": [notifications.respond],
        "client.webhooks.YabandPayNotificationHandler.handle": [notifications.handle],
        "client.yabandpay.YabandPayClient": [
            YabandPayClient,
            lambda v: YabandPayClient(
                signer, base_url=v, timeout=v, transport=httpx.MockTransport(plain)
            ),
            lambda v: YabandPayClient(signer, base_url=None, environment=v, transport=v),
        ],
        "client.yabandpay.YabandPayClient.applepay": [
            lambda v: yb.applepay(v, **_YB_ORDER),
            lambda v: yb.applepay(
                _TOKEN,
                operation=v,
                order_id=v,
                amount=v,
                currency=v,
                description=v,
                notify_url=v,
            ),
            lambda v: yb.applepay(_TOKEN, **_YB_ORDER, decrypted=v, extra=v, now=v),
            answered(lambda: yb.applepay(_TOKEN, **_YB_ORDER)),
            signed_answer,
        ],
        "client.yabandpay.AsyncYabandPayClient": [
            lambda v: AsyncYabandPayClient(signer, base_url=v, transport=v),
            lambda v: AsyncYabandPayClient(
                signer, base_url=v, transport=httpx.MockTransport(plain)
            ),
        ],
        "client.yabandpay.AsyncYabandPayClient.applepay": [
            awaited(lambda v: ayb.applepay(v, **_YB_ORDER)),
        ],
    }
    records = "a result record the client builds from a verified answer"
    not_input = {
        "client.endpoints.Endpoint": "a record of the endpoint table (plain data)",
        "client.answers.ApplePaySession": records + " (merchant_session() is covered)",
        "client.answers.CheckoutSession": records,
        "client.answers.PaykkaAnswer": records,
        "client.answers.Transaction": records,
        "client.answers.YabandPayAnswer": records,
        "client.webhooks.PaykkaEvent": records,
        "client.webhooks.WebhookAnswer": "a constant answer, or one built from an error",
        "client.webhooks.YabandPayNotification": records,
        "client.webhooks.WebhookResult": records,
        f"{c}.close": "takes no argument",
        f"{a}.aclose": "takes no argument",
        "client.yabandpay.YabandPayClient.close": "takes no argument",
        "client.yabandpay.AsyncYabandPayClient.aclose": "takes no argument",
    }
    return entries, not_input


#: The names whose calls hand a token to applepay_crypto, whose errors pass through.
TOKEN_TAKING = {
    "client.paykka.PaykkaClient.pay_token",
    "client.paykka_async.AsyncPaykkaClient.pay_token",
    "client.yabandpay.YabandPayClient.applepay",
    "client.yabandpay.AsyncYabandPayClient.applepay",
}
