"""Decrypted-payload builders with realistic defaults (test card numbers only)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

__all__ = ["TEST_PAN", "emv_payload", "luhn_check_digit", "sample_payload", "test_pan"]

#: A Luhn-valid Visa test number that no issuer uses for real cards.
TEST_PAN = "4111111111111111"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # every second digit from the right, check digit excluded
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def test_pan(prefix: str = "411111", length: int = 16) -> str:
    """A random Luhn-valid card number under a test prefix."""
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


test_pan.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _cryptogram() -> str:
    return base64.b64encode(secrets.token_bytes(20)).decode("ascii")


def sample_payload(
    *,
    pan: str = TEST_PAN,
    expiration: str = "291231",
    currency_code: str = "978",
    amount: int = 1000,
    cardholder_name: str | None = None,
    cryptogram: str | None = None,
    eci: str | None = "7",
    device_manufacturer_identifier: str = "040010030273",
    **extra: Any,
) -> dict[str, Any]:
    """A 3DSecure payload like Apple's; ``extra`` fields are added as given."""
    payment: dict[str, Any] = {"onlinePaymentCryptogram": cryptogram or _cryptogram()}
    if eci is not None:
        payment["eciIndicator"] = eci
    payload: dict[str, Any] = {
        "applicationPrimaryAccountNumber": pan,
        "applicationExpirationDate": expiration,
        "currencyCode": currency_code,
        "transactionAmount": amount,
    }
    if cardholder_name is not None:
        payload["cardholderName"] = cardholder_name
    payload.update(
        deviceManufacturerIdentifier=device_manufacturer_identifier,
        paymentDataType="3DSecure",
        paymentData=payment,
    )
    payload.update(extra)
    return payload


def emv_payload(**overrides: Any) -> dict[str, Any]:
    """An EMV payload (China, UnionPay): ``emvData`` and ``encryptedPINData`` instead of a
    cryptogram."""
    payload = sample_payload(**overrides)
    payload["paymentDataType"] = "EMV"
    payload["paymentData"] = {
        "emvData": base64.b64encode(secrets.token_bytes(64)).decode("ascii"),
        "encryptedPINData": secrets.token_hex(8).upper(),
    }
    return payload
