"""Apple Pay requests for PayKKa (both decryption modes) and YabandPay."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import DecryptedToken, PaymentData, parse_token
from paykka_sign import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidArgumentError,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    UnknownCurrencyError,
    UnsupportedTokenError,
    YabandPaySigner,
    check_order,
    mask_request,
    paykka_decrypted_payment,
    paykka_payment_request,
    paykka_token_payment,
    request_string_to_sign,
    yabandpay_applepay_request,
)

PAN = "4111111111111111"
CRYPTOGRAM = "AgAAAAAABk4DWZ4C28yUQAAAAAA="
NOW = dt.datetime(2025, 1, 8, 17, 54, 44, tzinfo=dt.timezone.utc)


def _payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "applicationPrimaryAccountNumber": PAN,
        "applicationExpirationDate": "270831",
        "currencyCode": "978",
        "transactionAmount": 1000,
        "deviceManufacturerIdentifier": "040010030273",
        "paymentDataType": "3DSecure",
        "paymentData": {"onlinePaymentCryptogram": CRYPTOGRAM, "eciIndicator": "05"},
    }
    payload.update(overrides)
    return payload


def _decrypted(payload: dict[str, Any], transaction_id: str = "ab" * 32) -> DecryptedToken:
    return DecryptedToken(
        version="EC_v1",
        transaction_id=transaction_id,
        public_key_hash=b"\x00" * 32,
        application_data=None,
        verified=True,
        signing_time=NOW,
        payment_data=PaymentData.from_json(json.dumps(payload).encode()),
    )


def test_paykka_merchant_decryption_payment_is_exact() -> None:
    payment = paykka_decrypted_payment(
        _decrypted(_payload(cardholderName="Jane Appleseed")), amount=1000, currency="EUR"
    )
    assert payment == {
        "payment_method": "APPLE_PAY",
        "card_no": PAN,
        "exp_year": "2027",
        "exp_month": "08",
        "holder_name": "Jane Appleseed",
        "token_authentication": {
            "cryptogram": CRYPTOGRAM,
            "token_format": "cryptogram_3ds",
            "eci": "05",
        },
    }


def test_eci_and_holder_name_only_when_present() -> None:
    payload = _payload(paymentData={"onlinePaymentCryptogram": CRYPTOGRAM})
    payment = paykka_decrypted_payment(_decrypted(payload), amount=1000, currency="eur")
    assert "holder_name" not in payment
    assert payment["token_authentication"] == {
        "cryptogram": CRYPTOGRAM,
        "token_format": "cryptogram_3ds",
    }


def test_amount_and_currency_must_match_the_token() -> None:
    token = _decrypted(_payload())
    with pytest.raises(AmountMismatchError) as info:
        paykka_decrypted_payment(token, amount=1001, currency="EUR")
    assert info.value.code == "amount_mismatch"
    assert "10.01" in info.value.message and "10.00" in info.value.message
    assert PAN not in info.value.message and CRYPTOGRAM not in info.value.message
    with pytest.raises(CurrencyMismatchError) as currency_info:
        paykka_decrypted_payment(token, amount=1000, currency="USD")
    assert currency_info.value.code == "currency_mismatch"
    assert "EUR" in currency_info.value.message
    # The override sends what the order says.
    payment = paykka_decrypted_payment(token, amount=1, currency="USD", allow_mismatch=True)
    assert payment["card_no"] == PAN
    with pytest.raises(UnknownCurrencyError):
        paykka_decrypted_payment(token, amount=1000, currency="EURO", allow_mismatch=True)
    with pytest.raises(InvalidArgumentError):
        check_order(token.payment_data, amount=-1, currency="EUR")


def test_minor_units_follow_the_currency() -> None:
    yen = _decrypted(_payload(currencyCode="392", transactionAmount=1500))
    assert check_order(yen.payment_data, amount=1500, currency="JPY").minor_units == 0
    with pytest.raises(AmountMismatchError, match="150000"):
        check_order(yen.payment_data, amount=150000, currency="JPY")


def test_emv_tokens_cannot_be_sent_as_cryptogram_3ds() -> None:
    emv = _payload(paymentDataType="EMV", paymentData={"emvData": "AAAA", "encryptedPINData": "00"})
    with pytest.raises(UnsupportedTokenError) as info:
        paykka_decrypted_payment(_decrypted(emv), amount=1000, currency="EUR")
    assert info.value.code == "unsupported_token"


def test_paykka_payment_request_and_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    payment = paykka_decrypted_payment(_decrypted(_payload()), amount=1000, currency="EUR")
    body = paykka_payment_request(
        payment,
        merchant_id="18356675194960",
        trans_id="order-1",
        amount=1000,
        currency="eur",
        extra={"notify_url": "https://shop.example/notify"},
    )
    assert body == {
        "merchant_id": "18356675194960",
        "payment_type": "PURCHASE",
        "trans_id": "order-1",
        "amount": 1000,
        "currency": "EUR",
        "payment": payment,
        "notify_url": "https://shop.example/notify",
    }
    signed = PaykkaV12Signer(rsa_key, clock=lambda: NOW).sign(body)
    sent = json.loads(signed.body)
    assert sent["timestamp"] == 1736358884000
    assert sent["payment"]["card_no"] == PAN  # the real body is what is signed
    PaykkaV12Verifier(rsa_key.public_key(), merchant_id="18356675194960").verify(
        signed.headers, signed.body
    )
    with pytest.raises(InvalidArgumentError, match="amount"):
        paykka_payment_request(payment, merchant_id="m", trans_id="t", amount=-5, currency="EUR")
    with pytest.raises(InvalidArgumentError, match="replace"):
        paykka_payment_request(
            payment, merchant_id="m", trans_id="t", amount=1, currency="EUR", extra={"amount": 2}
        )


def test_mask_request_hides_card_number_and_cryptogram() -> None:
    payment = paykka_decrypted_payment(_decrypted(_payload()), amount=1000, currency="EUR")
    body = paykka_payment_request(
        payment, merchant_id="m", trans_id="t", amount=1000, currency="EUR"
    )
    masked = mask_request(body)
    text = json.dumps(masked)
    assert PAN not in text and CRYPTOGRAM not in text
    assert masked["payment"]["card_no"] == "411111******1111"
    assert masked["payment"]["token_authentication"]["cryptogram"] == "<redacted>"
    assert body["payment"]["card_no"] == PAN  # the original is untouched


@pytest.fixture(scope="module")
def minted(psp_authority: Any, psp_merchant: Any) -> dict[str, Any]:
    from applepay_crypto.testing import mint

    token: dict[str, Any] = mint(
        _payload(), recipient=psp_merchant, authority=psp_authority, signing_time=NOW
    )
    return token


def test_paykka_token_payment_encodings(minted: dict[str, Any]) -> None:
    canonical = json.dumps(parse_token(minted).to_json_dict(), separators=(",", ":"))
    as_json = paykka_token_payment(minted)
    assert as_json == {"payment_method": "APPLE_PAY", "token_data": canonical}
    assert json.loads(as_json["token_data"]) == minted
    as_b64 = paykka_token_payment({"paymentData": minted}, encoding="base64")
    assert base64.b64decode(as_b64["token_data"]).decode() == canonical
    assert paykka_token_payment(minted, encoding="object")["token_data"] == minted
    stored = paykka_token_payment(
        minted, store_payment_method=True, token_usage="CARD_ON_FILE", shopper_reference="s-1"
    )
    assert (stored["store_payment_method"], stored["token_usage"], stored["shopper_reference"]) == (
        True,
        "CARD_ON_FILE",
        "s-1",
    )
    with pytest.raises(InvalidArgumentError, match="shopper_reference"):
        paykka_token_payment(minted, store_payment_method=True)
    with pytest.raises(InvalidArgumentError):
        paykka_token_payment(minted, encoding="hex")  # type: ignore[arg-type]


def test_yabandpay_applepay_request(minted: dict[str, Any]) -> None:
    signer = YabandPaySigner("secret-0123", user="016683")
    decrypted = _decrypted(_payload(), transaction_id=minted["header"]["transactionId"])
    request = yabandpay_applepay_request(
        signer,
        minted,
        order_id="2546168761657651657984196878",
        amount=1000,
        currency="EUR",
        description="test",
        notify_url="https://shop.example/notify",
        decrypted=decrypted,
        extra={"request_id": "r-1", "timeout": "0"},
        now=NOW,
    )
    assert request["method"] == "v3.ApplePay"
    assert request["time"] == 1736358884
    data = request["data"]
    assert (data["amount"], data["currency"], data["pay_method"], data["sub_pay_method"]) == (
        "10.00",
        "EUR",
        "online",
        "Apple Pay",
    )
    assert json.loads(base64.b64decode(data["payment_token_object"])) == minted
    expected = hmac.new(
        b"secret-0123", request_string_to_sign(request).encode(), hashlib.sha256
    ).hexdigest()
    assert request["sign"] == expected
    signer.verify_request(request)


def test_yabandpay_request_checks_the_order_against_the_same_token(
    minted: dict[str, Any],
) -> None:
    signer = YabandPaySigner("secret-0123", user="016683")
    common: dict[str, Any] = {
        "order_id": "o",
        "currency": "EUR",
        "description": "d",
        "notify_url": "https://n.example",
    }
    decrypted = _decrypted(_payload(), transaction_id=minted["header"]["transactionId"])
    with pytest.raises(AmountMismatchError):
        yabandpay_applepay_request(signer, minted, amount=999, decrypted=decrypted, **common)
    yabandpay_applepay_request(
        signer, minted, amount=999, decrypted=decrypted, allow_mismatch=True, **common
    )
    with pytest.raises(InvalidArgumentError, match="not the token"):
        yabandpay_applepay_request(
            signer, minted, amount=1000, decrypted=_decrypted(_payload()), **common
        )
    # Without a decrypted token there is nothing to compare with.
    yabandpay_applepay_request(signer, minted, amount=999, **common)
