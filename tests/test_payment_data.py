"""The decrypted payload model: typed, immutable, masked in every rendering."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from applepay_crypto import PaymentData
from applepay_crypto.payment_data import mask_pan
from applepay_crypto.testing import emv_payload, sample_payload


def build(payload) -> PaymentData:
    return PaymentData.from_json(json.dumps(payload).encode())


def test_fields() -> None:
    payload = sample_payload(
        pan="4111111111111111",
        expiration="290228",
        currency_code="840",
        amount=1234,
        cardholder_name="Jane Appleseed",
        cryptogram="AgAAAAAABk4DWZ4C28yUQAAAAAA=",
        eci="5",
        merchantTokenIdentifier="DNITHE000000000000000000000001",
        merchantTokenMetadata={"cardRefreshed": False},
        authenticationResponses=[
            {
                "merchantIdentifier": "merchant.x",
                "authenticationData": "AAA=",
                "transactionAmount": 1,
            }
        ],
    )
    data = build(payload)
    assert data.pan == "4111111111111111"
    assert data.expiration_yymmdd == "290228"
    assert data.expiration_date == dt.date(2029, 2, 28)
    assert (data.expiration_year, data.expiration_month) == ("2029", "02")
    assert data.currency_code == "840" and data.transaction_amount == 1234
    assert data.cardholder_name == "Jane Appleseed"
    assert data.device_manufacturer_identifier == "040010030273"
    assert data.payment_data_type == "3DSecure"
    assert data.online_payment_cryptogram == "AgAAAAAABk4DWZ4C28yUQAAAAAA="
    assert data.eci_indicator == "5"
    assert data.merchant_token_identifier == "DNITHE000000000000000000000001"
    assert data.merchant_token_metadata == {"cardRefreshed": False}
    assert data.authentication_responses[0]["merchantIdentifier"] == "merchant.x"
    assert data.to_dict() == payload


def test_emv() -> None:
    payload = emv_payload()
    data = build(payload)
    assert data.payment_data_type == "EMV"
    assert data.emv_data == payload["paymentData"]["emvData"]
    assert data.encrypted_pin_data == payload["paymentData"]["encryptedPINData"]
    assert data.online_payment_cryptogram is None


def test_immutable() -> None:
    data = build(sample_payload(merchantTokenMetadata={"a": 1}))
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.pan = "4000000000000002"  # type: ignore[misc]
    with pytest.raises(TypeError):
        data.merchant_token_metadata["a"] = 2  # type: ignore[index]
    copy = data.to_dict()
    copy["applicationPrimaryAccountNumber"] = "0"
    assert data.to_dict()["applicationPrimaryAccountNumber"] == "4111111111111111"


def test_repr_and_str_never_show_pan_or_cryptogram() -> None:
    payload = sample_payload(pan="5555555555554444", cryptogram="Q1JZUFRPR1JBTQ==")
    data = build(payload)
    for text in (repr(data), str(data), f"{data}"):
        assert "5555555555554444" not in text
        assert "555555******4444" in text
        assert "Q1JZUFRPR1JBTQ==" not in text


def test_masked_dict() -> None:
    payload = emv_payload(pan="5555555555554444")
    masked = build(payload).masked_dict()
    assert masked["applicationPrimaryAccountNumber"] == "555555******4444"
    assert masked["paymentData"] == {"emvData": "<redacted>", "encryptedPINData": "<redacted>"}
    assert masked["currencyCode"] == payload["currencyCode"]


@pytest.mark.parametrize(
    ("pan", "masked"),
    [
        ("4111111111111111", "411111******1111"),
        ("378282246310005", "378282*****0005"),
        ("6011000990139424123", "601100*********4123"),
        ("411111111111", "********1111"),
    ],
)
def test_mask_pan(pan: str, masked: str) -> None:
    assert mask_pan(pan) == masked


@pytest.mark.parametrize("responses", [{}, "", 0, [1], None])
def test_authentication_responses_must_be_a_list_of_objects(responses) -> None:
    from applepay_crypto import MalformedTokenError

    with pytest.raises(MalformedTokenError, match="authenticationResponses"):
        build(sample_payload(authenticationResponses=responses))


def test_non_ascii_digits_are_not_a_pan() -> None:
    from applepay_crypto import MalformedTokenError

    with pytest.raises(MalformedTokenError, match="applicationPrimaryAccountNumber"):
        build(sample_payload(pan="٤١١١١١١١١١١١١١١١"))
