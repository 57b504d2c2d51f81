"""Issue #14, item 11: `signed.string_to_sign` holds the card number and the cryptogram of a
merchant-decryption payment; `masked_string_to_sign` is the view to log."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import TokenDecryptor
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from paykka_sign import (
    PaykkaV3Signer,
    PaykkaV12Signer,
    paykka_decrypted_payment,
    paykka_payment_request,
)

SIGNED = dt.datetime(2026, 5, 5, 5, 5, 5, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def body(authority: TestAuthority, ec_merchant: TestMerchant) -> tuple[dict, str, str]:
    payload = sample_payload()
    token = mint(payload, recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    decrypted = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store()).decrypt(
        token, now=SIGNED
    )
    amount = int(payload["transactionAmount"])
    payment = paykka_decrypted_payment(decrypted, amount=amount, currency="EUR")
    request = paykka_payment_request(
        payment, merchant_id="18356675194960", trans_id="o1", amount=amount, currency="EUR"
    )
    pan = payload["applicationPrimaryAccountNumber"]
    cryptogram = payload["paymentData"]["onlinePaymentCryptogram"]
    return request, pan, cryptogram


def test_the_string_to_sign_holds_card_data_and_the_masked_view_does_not(
    rsa_key: rsa.RSAPrivateKey, body: tuple[dict, str, str]
) -> None:
    request, pan, cryptogram = body
    for signed, prefix in (
        (PaykkaV12Signer(rsa_key).sign(request, now=SIGNED), b"merchantId=18356675194960&"),
        (
            PaykkaV3Signer(rsa_key, app_id="A1").sign(
                "POST", "/v3/payment/acq", request, now=SIGNED
            ),
            b"POST\n/v3/payment/acq\n",
        ),
    ):
        assert pan.encode() in signed.string_to_sign  # what the docs now warn about
        assert cryptogram.encode() in signed.string_to_sign
        masked = signed.masked_string_to_sign
        assert pan.encode() not in masked and cryptogram.encode() not in masked
        assert masked.startswith(prefix)
        assert f"{pan[:6]}******{pan[-4:]}".encode() in masked
        # everything before the body is exactly what was signed
        head = signed.string_to_sign[: len(signed.string_to_sign) - len(signed.body)]
        assert masked.startswith(head)


def test_no_body_and_a_body_that_is_not_an_object(rsa_key: rsa.RSAPrivateKey) -> None:
    get = PaykkaV3Signer(rsa_key, app_id="A1").sign("GET", "/v3/payment/acq/query", now=SIGNED)
    assert get.masked_string_to_sign == get.string_to_sign and get.string_to_sign.endswith(b"\n ")
    text = PaykkaV3Signer(rsa_key, app_id="A1").sign("POST", "/p", b"4111111111111111", now=SIGNED)
    assert text.masked_string_to_sign.endswith(b"\n<16 bytes, not a JSON object>")
