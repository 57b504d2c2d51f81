"""The typed payload: card and network-token variants, unknown fields kept, output masked
by allow-list, refusals with malformed_payment_data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googlepay_support import payment_message

from googlepay_crypto import (
    CardPaymentData,
    MalformedPaymentDataError,
    NetworkTokenPaymentData,
    PaymentData,
)
from googlepay_crypto.payment_data import PAYMENT_DATA, REDACTED


def _doc(**details: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(payment_message(network_token=True))
    doc["paymentMethodDetails"].update(details)
    return doc


def test_card_variant() -> None:
    payment = PaymentData.from_json(payment_message())
    assert isinstance(payment, CardPaymentData)
    assert payment.auth_method == "PAN_ONLY" and not payment.is_network_token
    assert (payment.pan, payment.expiration_month, payment.expiration_year) == (
        "4111111111111111",
        12,
        2030,
    )
    assert payment.cryptogram is None and payment.eci_indicator is None
    assert payment.gateway_merchant_id == "merchant-1"
    assert repr(payment) == (
        "CardPaymentData(pan='411111******1111', expiration=12/2030, auth_method='PAN_ONLY', "
        "message_id='AH2Ejt-test-0001')"
    )


def test_network_token_variant_masks_the_cryptogram() -> None:
    doc = _doc(
        assuranceDetails={"cardHolderAuthenticated": True, "accountVerified": True},
        cardHolderName="Ada Lovelace",
        newField={"nested": "secret?"},
    )
    doc["futureTopLevel"] = "x"
    text = json.dumps(doc)
    payment = PaymentData.from_json(text.encode())
    assert isinstance(payment, NetworkTokenPaymentData)
    assert payment.cryptogram == "AAAAAA+test+cryptogram="
    assert payment.to_dict() == doc  # unknown fields kept
    assert payment.plaintext == text
    masked = payment.masked_dict()
    details = masked["paymentMethodDetails"]
    assert details["pan"] == "411111******1111"
    assert details["cryptogram"] == REDACTED
    assert details["cardHolderName"] == REDACTED
    assert details["newField"] == REDACTED
    assert details["assuranceDetails"] == {"cardHolderAuthenticated": True, "accountVerified": True}
    assert masked["futureTopLevel"] == REDACTED
    assert details["eciIndicator"] == "05"
    for shown in (repr(payment), str(payment), json.dumps(masked)):
        assert "4111111111111111" not in shown and "AAAAAA" not in shown


def test_numeric_eci_and_string_expiration() -> None:
    payment = PaymentData.from_json(json.dumps(_doc(eciIndicator=5, expirationMonth="07")))
    assert payment.eci_indicator == "05" and payment.expiration_month == 7


@pytest.mark.parametrize(
    "change",
    [
        {"pan": "4111"},
        {"pan": "41111111111111\uff111"},
        {"pan": 4111111111111111},
        {"expirationMonth": 13},
        {"expirationMonth": True},
        {"expirationYear": "20300"},
        {"authMethod": "3DS"},
        {"cryptogram": None},
        {"eciIndicator": []},
    ],
)
def test_refused_details(change: dict[str, Any]) -> None:
    with pytest.raises(MalformedPaymentDataError) as caught:
        PaymentData.from_json(json.dumps(_doc(**change)))
    assert caught.value.code == "malformed_payment_data"
    assert "4111111111111111" not in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "plaintext",
        "[]",
        '{"messageExpiration": "1", "messageExpiration": "2"}',
        '{"messageId": "x", "paymentMethod": "CARD", "paymentMethodDetails": {}}',
        json.dumps({**json.loads(payment_message()), "paymentMethod": "PAYPAL"}),
        json.dumps({**json.loads(payment_message()), "messageExpiration": "soon"}),
        "[" * 5000,
        '"\\ud800"',
    ],
)
def test_refused_payloads(text: str) -> None:
    with pytest.raises(MalformedPaymentDataError):
        PaymentData.from_json(text)


def test_masking_rule_takes_any_value() -> None:
    assert PAYMENT_DATA("x") == REDACTED
    assert PAYMENT_DATA({"paymentMethodDetails": []}) == {"paymentMethodDetails": REDACTED}
