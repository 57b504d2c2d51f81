"""The example shop (examples/applepay_shop) served by a real uvicorn on 127.0.0.1 and called
over HTTP with httpx, as a browser would, against the PayKKa simulator on 127.0.0.1
(paykka_sign.simulator, through shop_support.PspSide: checks the shop's signatures,
timestamps and nonces, answers signed with its platform key). Tokens are minted by applepay_crypto.testing under a test authority."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("httpx", reason="the example extra (httpx) is not installed")
pytest.importorskip("uvicorn", reason="the example extra (uvicorn) is not installed")

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from shop_support import (
    APP_ID,
    APPLE_SESSION,
    MERCHANT_ID,
    PspSide,
    apple_gateway,
    paykka_side,
    served,
)

from applepay_crypto.keys import save_private_key
from applepay_crypto.testing import (
    TEST_PAN,
    TestAuthority,
    TestMerchant,
    merchant_identity_certificate,
    mint,
    sample_payload,
)
from applepay_shop import ShopConfig, create_app
from applepay_shop.errors import ConfigError
from paykka_sign import public_key_pem, write_private_key

from support import REPO

APPLE_VALIDATION_URL = "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession"
WEBHOOK = "/hooks/paykka"


@pytest.fixture(scope="module")
def apple_merchant(authority: TestAuthority) -> TestMerchant:
    return TestMerchant.create(authority, merchant_id="merchant.com.example.shop")


@pytest.fixture(scope="module")
def psp() -> Iterator[PspSide]:
    merchant, platform = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)
    )
    with paykka_side(merchant=merchant, platform=platform) as side:
        yield side


def _config(
    psp: PspSide, authority: TestAuthority, merchant: TestMerchant, **kw: Any
) -> ShopConfig:
    settings: dict[str, Any] = {
        "paykka_signing_key": psp.merchant_key,
        "paykka_platform_key": psp.platform_key.public_key(),
        "paykka_merchant_id": MERCHANT_ID,
        "paykka_app_id": APP_ID,
        "paykka_base_url": psp.url,
        "domain": "shop.example",
        "display_name": "Example Shop",
        "apple_pay_keys": (merchant.merchant_key,),
        "trust": authority.trust_store(),
        "notify_url": "https://shop.example/hooks/paykka",
    }
    settings.update(kw)
    return ShopConfig(**settings)


@pytest.fixture(scope="module")
def shop(
    psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> Iterator[httpx.Client]:
    app = create_app(_config(psp, authority, apple_merchant))
    with served(app) as url, httpx.Client(base_url=url, timeout=30) as browser:
        yield browser


def _payment(
    authority: TestAuthority, merchant: TestMerchant, *, amount: int, currency: str = "978"
) -> dict[str, Any]:
    """Apple Pay JS's ``event.payment`` around a freshly minted token."""
    token = mint(
        sample_payload(amount=amount, currency_code=currency),
        recipient=merchant,
        authority=authority,
    )
    return {
        "token": {
            "paymentData": token,
            "paymentMethod": {"displayName": "Visa 1111", "network": "Visa", "type": "debit"},
            "transactionIdentifier": token["header"]["transactionId"].upper(),
        }
    }


def _order(shop: httpx.Client, **items: int) -> dict[str, Any]:
    answer = shop.post("/orders", json={"items": items})
    assert answer.status_code == 201
    return answer.json()


def test_an_order_is_priced_by_the_server(shop: httpx.Client) -> None:
    order = _order(shop, tea=2)
    assert order["amount"] == 900 and order["currency"] == "EUR" and order["status"] == "open"
    assert order["payment_request"] == {
        "countryCode": "DE",
        "currencyCode": "EUR",
        "merchantCapabilities": ["supports3DS"],
        "supportedNetworks": ["visa", "masterCard"],
        "total": {"label": "Example Shop", "amount": "9.00"},
    }


def test_a_minted_token_ends_in_a_verified_paykka_answer(
    shop: httpx.Client, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    order = _order(shop, tea=2)
    payment = _payment(authority, apple_merchant, amount=900)
    before = len(psp.payments)
    # The browser's own idea of the amount is not read.
    answer = shop.post(
        "/apple-pay/authorize",
        json={"order_id": order["order_id"], "payment": payment, "amount": 1},
    )
    assert answer.status_code == 200
    trans_id = f"{order['order_id']}-1"
    assert answer.json() == {
        "order_id": order["order_id"],
        "trans_id": trans_id,
        "result": "approved",
        "paykka_status": "SUCCESS",
        "error_code": None,
        "amount": 900,
        "currency": "EUR",
    }
    assert TEST_PAN not in answer.text and "411111" not in answer.text
    [sent] = psp.payments[before:]
    assert (sent["merchant_id"], sent["trans_id"], sent["amount"], sent["currency"]) == (
        MERCHANT_ID,
        trans_id,
        900,
        "EUR",
    )
    assert (sent["decryption"], sent["card_no"]) == (
        "merchant",
        f"{TEST_PAN[:6]}******{TEST_PAN[-4:]}",
    )
    assert sent["notify_url"] == "https://shop.example/hooks/paykka"
    assert shop.get(f"/orders/{order['order_id']}").json()["status"] == "paid"
    # A paid order is not paid twice, whatever token comes.
    again = shop.post(
        "/apple-pay/authorize",
        json={
            "order_id": order["order_id"],
            "payment": _payment(authority, apple_merchant, amount=900),
        },
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "order_not_payable")


def test_a_replayed_token_is_refused(
    shop: httpx.Client, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    payment = _payment(authority, apple_merchant, amount=1200)
    first = shop.post(
        "/apple-pay/authorize",
        json={"order_id": _order(shop, mug=1)["order_id"], "payment": payment},
    )
    assert first.json()["result"] == "approved"
    before = len(psp.payments)
    second_order = _order(shop, mug=1)
    replayed = shop.post(
        "/apple-pay/authorize", json={"order_id": second_order["order_id"], "payment": payment}
    )
    assert replayed.status_code == 409
    assert replayed.json()["error"]["code"] == "replayed_transaction"
    assert len(psp.payments) == before  # nothing sent
    assert shop.get(f"/orders/{second_order['order_id']}").json()["status"] == "open"


def test_an_amount_other_than_the_orders_is_refused(
    shop: httpx.Client, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    order = _order(shop, tea=2)  # 9.00 EUR
    before = len(psp.payments)
    for payment, code in [
        (_payment(authority, apple_merchant, amount=1), "amount_mismatch"),
        (_payment(authority, apple_merchant, amount=900, currency="840"), "currency_mismatch"),
    ]:
        answer = shop.post(
            "/apple-pay/authorize", json={"order_id": order["order_id"], "payment": payment}
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code)
    assert len(psp.payments) == before
    # The order is still payable, and the refused token was not burned by the replay guard.
    assert shop.get(f"/orders/{order['order_id']}").json()["status"] == "open"
    ok = shop.post(
        "/apple-pay/authorize",
        json={
            "order_id": order["order_id"],
            "payment": _payment(authority, apple_merchant, amount=900),
        },
    )
    assert ok.json()["result"] == "approved"


def test_a_token_that_does_not_verify_is_refused(
    shop: httpx.Client, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    order = _order(shop, tea=1)
    other = TestAuthority.create()  # not the shop's trusted root
    before = len(psp.payments)
    for payment, code in [
        (
            _payment(
                other,
                TestMerchant.create(other, merchant_id="merchant.com.example.shop"),
                amount=450,
            ),
            "untrusted_root",
        ),
        ({"token": {"paymentData": {"version": "EC_v1"}}}, "malformed_token"),
        ("not a token", "malformed_token"),
    ]:
        answer = shop.post(
            "/apple-pay/authorize", json={"order_id": order["order_id"], "payment": payment}
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, code), answer.text
    assert len(psp.payments) == before


def test_bad_requests(shop: httpx.Client) -> None:
    cases = [
        ("/apple-pay/authorize", b"{", 400, "bad_request"),
        ("/apple-pay/authorize", b'{"order_id": "nope", "payment": {}}', 404, "order_not_found"),
        ("/orders", b'{"items": {"caviar": 1}}', 400, "bad_request"),
        ("/orders", b'{"items": {"tea": 0}}', 400, "bad_request"),
        ("/orders", b'{"items": {"tea": true}}', 400, "bad_request"),
        ("/apple-pay/validate-merchant", b"[]", 400, "bad_request"),
        ("/nowhere", b"", 404, "not_found"),
    ]
    for path, body, status, code in cases:
        answer = shop.post(path, content=body)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), path
    assert (
        shop.post("/orders", content=b" " * (256 * 1024 + 1)).json()["error"]["code"]
        == "bad_request"
    )


def test_merchant_validation_through_paykka(shop: httpx.Client, psp: PspSide) -> None:
    answer = shop.post("/apple-pay/validate-merchant", json={"validationURL": APPLE_VALIDATION_URL})
    assert answer.status_code == 200
    made = psp.apple_pay_sessions[-1]
    assert answer.json() == made
    assert (made["domainName"], made["displayName"]) == ("shop.example", "Example Shop")


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/paymentservices/startSession",
        "http://apple-pay-gateway.apple.com/paymentservices/startSession",
        "https://apple-pay-gateway.apple.com.attacker.example/",
    ],
)
def test_a_validation_url_that_is_not_apples_is_refused(
    shop: httpx.Client, psp: PspSide, url: str
) -> None:
    before = psp.calls
    answer = shop.post("/apple-pay/validate-merchant", json={"validationURL": url})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "session_host_not_allowed")
    assert psp.calls == before


def test_a_signed_webhook_is_verified_and_applied(
    shop: httpx.Client, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    order = _order(shop, mug=2)
    paid = shop.post(
        "/apple-pay/authorize",
        json={
            "order_id": order["order_id"],
            "payment": _payment(authority, apple_merchant, amount=2400),
        },
    )
    trans_id = paid.json()["trans_id"]
    event = {"notify_type": "PAYMENT.SUCCESS", "trans_id": trans_id, "order_id": "GW206194332333335",
             "status": "SUCCESS", "amount": 2400, "currency": "EUR"}  # fmt: skip
    headers, body = psp.webhook(WEBHOOK, event)
    answer = shop.post(WEBHOOK, headers=headers, content=body)
    assert (answer.status_code, answer.content) == (
        200,
        b'{"ret_code":"000000","ret_msg":"Success"}',
    )
    state = shop.get(f"/orders/{order['order_id']}").json()
    assert (state["status"], state["events"]) == ("paid", ["PAYMENT.SUCCESS"])

    # The same webhook again (its nonce seen), changed after signing, signed for another
    # app or over another path: refused with 400 and the code, so PayKKa retries a real one.
    other_app_headers, other_app_body = psp.webhook(WEBHOOK, event, app_id="111111111111111")
    other_path_headers, other_path_body = psp.webhook("/hooks/other", event)
    for sent_headers, sent_body, code in [
        (headers, body, "replayed_nonce"),
        (*psp.webhook(WEBHOOK, event)[:1], body.replace(b"2400", b"2401"), "signature_invalid"),
        (other_app_headers, other_app_body, "recipient_mismatch"),
        (other_path_headers, other_path_body, "signature_invalid"),
        ({"content-type": "application/json"}, body, "invalid_header"),
    ]:
        refused = shop.post(WEBHOOK, headers=sent_headers, content=sent_body)
        assert (refused.status_code, refused.json()) == (
            400,
            {"ret_code": "010000", "ret_msg": code},
        )
    assert shop.get(f"/orders/{order['order_id']}").json()["events"] == ["PAYMENT.SUCCESS"]


def test_paykka_decrypts_token_data(
    psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    """``decryption="paykka"`` without the shop's keys: Apple's signature checked, the token
    sent as ``token_data``, the amount charged the order's."""
    config = _config(psp, authority, apple_merchant, decryption="paykka", apple_pay_keys=())
    with served(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as shop:
        order = _order(shop, tea=1)
        payment = _payment(authority, apple_merchant, amount=450)
        answer = shop.post(
            "/apple-pay/authorize", json={"order_id": order["order_id"], "payment": payment}
        )
        assert answer.json()["result"] == "approved"
        sent = psp.payments[-1]
        assert sent["amount"] == 450
        assert sent["decryption"] == "paykka" and "card_no" not in sent
        replayed = shop.post(
            "/apple-pay/authorize",
            json={"order_id": _order(shop, tea=1)["order_id"], "payment": payment},
        )
        assert replayed.json()["error"]["code"] == "replayed_transaction"


def test_served_from_the_environment_as_the_readme_says(
    tmp_path: Path, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    """examples/applepay_shop/README.md: `uvicorn --app-dir examples --factory
    applepay_shop.app:from_env`, configured by SHOP_* variables naming key files."""
    write_private_key(tmp_path / "paykka-key.pem", psp.merchant_key)
    (tmp_path / "paykka-platform.pem").write_bytes(public_key_pem(psp.platform_key))
    apple = apple_merchant.save(tmp_path / "apple-pay")
    root = authority.save(tmp_path / "ca") / "root.pem"
    env = {
        **os.environ,
        "SHOP_PAYKKA_SIGNING_KEY": str(tmp_path / "paykka-key.pem"),
        "SHOP_PAYKKA_PLATFORM_KEY": str(tmp_path / "paykka-platform.pem"),
        "SHOP_PAYKKA_MERCHANT_ID": MERCHANT_ID,
        "SHOP_PAYKKA_APP_ID": APP_ID,
        "SHOP_PAYKKA_BASE_URL": psp.url,
        "SHOP_DOMAIN": "shop.example",
        "SHOP_DISPLAY_NAME": "Example Shop",
        "SHOP_APPLE_PAY_KEY": str(apple["key"]),
        "SHOP_APPLE_PAY_CERT": str(apple["certificate"]),
        "SHOP_TEST_ROOT": str(root),
        "SHOP_REPLAY_DB": str(tmp_path / "replay.sqlite"),
    }
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    command = [sys.executable, "-m", "uvicorn", "--app-dir", "examples", "--factory",
               "applepay_shop.app:from_env", "--fd", str(sock.fileno()), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, env=env, pass_fds=[sock.fileno()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=url, timeout=30) as shop:
            # The socket listens already: the first request waits for the app, not a timer.
            page = shop.get("/")
            assert page.status_code == 200 and b"ApplePaySession" in page.content
            order = _order(shop, tea=1)
            payment = _payment(authority, apple_merchant, amount=450)
            paid = shop.post(
                "/apple-pay/authorize", json={"order_id": order["order_id"], "payment": payment}
            )
            assert paid.json()["result"] == "approved"
            session = shop.post(
                "/apple-pay/validate-merchant", json={"validationURL": APPLE_VALIDATION_URL}
            )
            assert session.json() == psp.apple_pay_sessions[-1]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        sock.close()
    assert "SHOP_TEST_ROOT: trusting" in output  # the warning about the test root


def test_a_configuration_that_is_missing_a_variable_says_which(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="set SHOP_PAYKKA_SIGNING_KEY"):
        ShopConfig.from_env({})
    with pytest.raises(ConfigError, match="SHOP_APPLE_PAY_KEY needs SHOP_APPLE_PAY_CERT"):
        ShopConfig.from_env({"SHOP_APPLE_PAY_KEY": "k.pem"})


def test_merchant_validation_with_apple_directly(
    tmp_path: Path, psp: PspSide, authority: TestAuthority, apple_merchant: TestMerchant
) -> None:
    """``merchant_validation="apple"``: the shop posts to the validation URL over mutual TLS
    with its merchant identity certificate and hands Apple's session on byte for byte."""
    identity_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    identity = merchant_identity_certificate(
        identity_key, merchant_id="merchant.com.example.shop", authority=authority
    )
    (tmp_path / "identity.pem").write_bytes(identity.public_bytes(serialization.Encoding.PEM))
    save_private_key(identity_key, tmp_path / "identity.key")
    with apple_gateway(authority, tmp_path) as gateway:
        config = _config(
            psp, authority, apple_merchant,
            merchant_validation="apple",
            identity_certificate=tmp_path / "identity.pem",
            identity_key=tmp_path / "identity.key",
            validation_allow_hosts=("127.0.0.1",),  # the stand-in for Apple's hosts
            validation_server_ca=gateway.server_ca,
        )  # fmt: skip
        before = psp.calls
        with served(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as shop:
            answer = shop.post("/apple-pay/validate-merchant", json={"validationURL": gateway.url})
            refused = shop.post(
                "/apple-pay/validate-merchant", json={"validationURL": "https://127.0.0.2/"}
            )
    assert (answer.status_code, answer.content) == (200, APPLE_SESSION)
    [request] = gateway.requests
    assert request["path"] == "/paymentservices/startSession"
    assert request["body"] == {
        "merchantIdentifier": "merchant.com.example.shop",
        "displayName": "Example Shop",
        "initiative": "web",
        "initiativeContext": "shop.example",
    }
    assert request["peer"]["commonName"] == "Apple Pay Merchant Identity:merchant.com.example.shop"
    assert (refused.status_code, refused.json()["error"]["code"]) == (
        400,
        "session_host_not_allowed",
    )
    assert psp.calls == before  # PayKKa not involved


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
_requests = _json_values | st.fixed_dictionaries(
    {"order_id": _json_values, "payment": _json_values}
) | st.fixed_dictionaries({"items": _json_values}) | st.fixed_dictionaries(
    {"validationURL": _json_values | st.sampled_from(["https://[::1/", "https://\udcff/", "https://apple-pay-gateway.apple.com:8443/"])}
)  # fmt: skip


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    path=st.sampled_from(
        ["/orders", "/apple-pay/authorize", "/apple-pay/validate-merchant", WEBHOOK]
    ),
    request=_requests,
    order_first=st.booleans(),
)
def test_any_json_is_answered_with_a_code_never_a_crash(
    shop: httpx.Client, path: str, request: Any, order_first: bool
) -> None:
    if order_first and isinstance(request, dict) and "payment" in request:
        request = {**request, "order_id": _order(shop, tea=1)["order_id"]}
    body = json.dumps(request, ensure_ascii=True).encode()
    answer = shop.post(path, content=body, headers={"content-type": "application/json"})
    assert answer.status_code in (200, 201, 400, 404, 409, 422), answer.text
    if answer.status_code >= 400 and path != WEBHOOK:
        assert (
            set(answer.json()) == {"error"} and answer.json()["error"]["code"] != "internal_error"
        )
    if isinstance(request, dict) and isinstance(request.get("order_id"), str) and order_first:
        state = shop.get(f"/orders/{request['order_id']}").json()
        assert state["status"] == "open"  # a refused payment leaves the order payable
