"""Every error code: stable, unique, raised by the public API, and free of secrets."""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import paykka_sign
from applepay_crypto import DecryptedToken, PaymentData
from paykka_sign import (
    InMemoryNonceStore,
    PaykkaSignError,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    YabandPaySigner,
    by_numeric,
    load_private_key,
    paykka_decrypted_payment,
    write_private_key,
)

PAN = "4111111111111111"
CRYPTOGRAM = "AgAAAAAABk4DWZ4C28yUQAAAAAA="
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)

EXPECTED_CODES = {
    "InvalidKeyError": "invalid_key",
    "OutputExistsError": "file_exists",
    "InvalidArgumentError": "invalid_argument",
    "SignatureInvalidError": "signature_invalid",
    "InvalidHeaderError": "invalid_header",
    "TimestampOutOfWindowError": "timestamp_out_of_window",
    "ReplayedNonceError": "replayed_nonce",
    "RecipientMismatchError": "recipient_mismatch",
    "MalformedBodyError": "malformed_body",
    "MissingFieldError": "missing_field",
    "BodyFieldMismatchError": "body_field_mismatch",
    "AmountMismatchError": "amount_mismatch",
    "CurrencyMismatchError": "currency_mismatch",
    "UnknownCurrencyError": "unknown_currency",
    "UnsupportedTokenError": "unsupported_token",
    # Issue #13: the client.
    "MissingDependencyError": "missing_dependency",
    "NetworkError": "network_error",
    "HttpStatusError": "http_error",
    "PspRefusedError": "psp_refused",
}


def _token(payment_type: str = "3DSecure") -> DecryptedToken:
    inner = (
        {"onlinePaymentCryptogram": CRYPTOGRAM}
        if payment_type == "3DSecure"
        else {"emvData": "AAAA"}
    )
    payload = {
        "applicationPrimaryAccountNumber": PAN,
        "applicationExpirationDate": "291231",
        "currencyCode": "978",
        "transactionAmount": 1000,
        "paymentDataType": payment_type,
        "paymentData": inner,
    }
    return DecryptedToken(
        version="EC_v1",
        transaction_id="00" * 32,
        public_key_hash=bytes(32),
        application_data=None,
        verified=True,
        signing_time=NOW,
        payment_data=PaymentData.from_json(json.dumps(payload).encode()),
    )


def _replay(key: rsa.RSAPrivateKey) -> None:
    headers = PaykkaV3Signer(key, app_id="A").sign("POST", "/hook", b"{}", now=NOW).headers
    verifier = PaykkaV3Verifier(key.public_key(), app_id="A", nonce_store=InMemoryNonceStore())
    verifier.verify("POST", "/hook", headers, b"{}", now=NOW)
    verifier.verify("POST", "/hook", headers, b"{}", now=NOW)


def _overwrite(key: rsa.RSAPrivateKey) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "key.pem"
        path.write_bytes(b"")
        write_private_key(path, key)


def _client_call(key: rsa.RSAPrivateKey, answer: Callable[[Any], Any]) -> None:
    """A query through the client whose transport answers ``answer(request)`` (no network)."""
    httpx = pytest.importorskip("httpx")
    from paykka_sign.client import PaykkaClient, RetryPolicy

    with PaykkaClient(
        private_key=key, platform_public_key=key.public_key(), merchant_id="M", app_id="A",
        base_url="https://paykka.test", retry=RetryPolicy(attempts=1),
        transport=httpx.MockTransport(answer),
    ) as client:  # fmt: skip
        client.query_transaction(trans_id="t")


def _refusal(key: rsa.RSAPrivateKey) -> Callable[[Any], Any]:
    import httpx

    def answer(request: Any) -> Any:
        body = b'{"ret_code":"010000","ret_msg":"Invalid request"}'
        path = request.url.raw_path.decode()
        headers = dict(PaykkaV3Signer(key, app_id="A").sign("POST", path, body).headers)
        return httpx.Response(400, headers=headers, content=body)

    return answer


def _unreachable(request: Any) -> Any:
    import httpx

    raise httpx.ConnectError("connection refused", request=request)


def _without_httpx() -> None:
    from paykka_sign.client._extra import require_httpx

    saved = sys.modules.get("httpx")
    sys.modules["httpx"] = None  # type: ignore[assignment]
    try:
        require_httpx()
    finally:
        if saved is not None:
            sys.modules["httpx"] = saved


def _triggers(key: rsa.RSAPrivateKey) -> dict[str, Callable[[], object]]:
    signed = PaykkaV12Signer(key).sign(b'{"merchant_id":"M","timestamp":1}')
    return {
        "invalid_key": lambda: load_private_key("not a key"),
        "invalid_argument": lambda: PaykkaV3Signer(key, app_id=""),
        "file_exists": lambda: _overwrite(key),
        "signature_invalid": lambda: PaykkaV12Verifier(key.public_key(), merchant_id="M").verify(
            signed.headers, b'{"merchant_id":"M","timestamp":2}'
        ),
        "invalid_header": lambda: PaykkaV12Verifier(key.public_key(), merchant_id="M").verify(
            {}, signed.body
        ),
        "timestamp_out_of_window": lambda: PaykkaV3Verifier(key.public_key(), app_id="A").verify(
            "POST",
            "/hook",
            PaykkaV3Signer(key, app_id="A").sign("POST", "/hook", now=NOW).headers,
            b"",
            now=NOW + dt.timedelta(hours=1),
        ),
        "replayed_nonce": lambda: _replay(key),
        "recipient_mismatch": lambda: PaykkaV12Verifier(key.public_key(), merchant_id="N").verify(
            signed.headers, signed.body
        ),
        "malformed_body": lambda: PaykkaV12Signer(key).sign(b"[]"),
        "body_field_mismatch": lambda: PaykkaV12Signer(key).sign(b"{}", timestamp=1),
        "missing_field": lambda: YabandPaySigner("s").verify_notification({"data": {}}),
        "amount_mismatch": lambda: paykka_decrypted_payment(_token(), amount=1, currency="EUR"),
        "currency_mismatch": lambda: paykka_decrypted_payment(
            _token(), amount=1000, currency="GBP"
        ),
        "unknown_currency": lambda: by_numeric("999"),
        "unsupported_token": lambda: paykka_decrypted_payment(
            _token("EMV"), amount=1000, currency="EUR"
        ),
        "missing_dependency": _without_httpx,
        "network_error": lambda: _client_call(key, _unreachable),
        "http_error": lambda: _client_call(key, lambda request: _http_response(503)),
        "psp_refused": lambda: _client_call(key, _refusal(key)),
    }


def _http_response(status: int) -> Any:
    import httpx

    return httpx.Response(status, content=b"<html>unavailable</html>")


def test_codes_are_stable_and_unique() -> None:
    classes = {
        name: getattr(paykka_sign, name)
        for name in paykka_sign.__all__
        if isinstance(getattr(paykka_sign, name), type)
        and issubclass(getattr(paykka_sign, name), PaykkaSignError)
        and name != "PaykkaSignError"
    }
    assert {name: cls.code for name, cls in classes.items()} == EXPECTED_CODES
    assert len(set(EXPECTED_CODES.values())) == len(EXPECTED_CODES)
    assert PaykkaSignError("x").to_dict() == {"code": "paykka_sign_error", "message": "x"}


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES.values()))
def test_every_code_is_raised_by_the_public_api(rsa_key: rsa.RSAPrivateKey, code: str) -> None:
    with pytest.raises(PaykkaSignError) as info:
        _triggers(rsa_key)[code]()
    assert info.value.code == code
    document = info.value.to_dict()
    assert document == {"code": code, "message": info.value.message}
    assert document["message"] == str(info.value)
    # No message ever carries card data or the cryptogram.
    assert PAN not in document["message"] and CRYPTOGRAM not in document["message"]
