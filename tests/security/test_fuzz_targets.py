"""Hostile input: every input ends in a result or an ApplePayError, quickly.

Seeds are the minted vectors and the real tokens in ../shared; hypothesis mutates them as
bytes, as JSON and as BER. Bounded for CI (a fixed sequence of ~200 examples per target);
``APPLEPAY_FUZZ_EXAMPLES=N`` runs a longer random campaign. The atheris harness in fuzz/
does the same without a bound.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fuzz_support import (
    any_text,
    fuzz_settings,
    json_values,
    mutated_ber,
    mutated_bytes,
    mutated_token,
    seed_signatures,
    seed_tokens,
    wrap,
)
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto import (
    ApplePayError,
    DecryptedToken,
    PaymentData,
    PaymentToken,
    TokenDecryptor,
    parse_token,
)
from applepay_crypto.cms import SignedData, parse_signed_data
from applepay_crypto.describe import describe_token
from applepay_crypto.testing import (
    TestAuthority,
    TestMerchant,
    emv_payload,
    mint,
    sample_payload,
)

SEEDS = seed_tokens()
SIGNATURES = seed_signatures(SEEDS)
NOW = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.timezone.utc)


def outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """The result, or the ApplePayError; anything else fails the test."""
    try:
        return call(*args, **kwargs)
    except ApplePayError as exc:
        assert exc.code and exc.message
        return exc


def test_there_are_seeds() -> None:
    assert len(SEEDS) >= 15
    assert len(SIGNATURES) >= 2


# --- parse_token ------------------------------------------------------------------------


@fuzz_settings(100)
@given(data=st.data())
def test_parse_token_mutated_json(data: st.DataObject) -> None:
    token = data.draw(mutated_token(data.draw(st.sampled_from(SEEDS))))
    result = outcome(parse_token, wrap(data.draw, token))
    assert isinstance(result, PaymentToken | ApplePayError)


@fuzz_settings(60)
@given(data=st.data())
def test_parse_token_mutated_bytes(data: st.DataObject) -> None:
    seed = json.dumps(data.draw(st.sampled_from(SEEDS))).encode()
    raw = data.draw(mutated_bytes(seed, max_ops=8))
    result = outcome(parse_token, raw)
    assert isinstance(result, PaymentToken | ApplePayError)
    as_text = raw.decode("utf-8", "surrogateescape")
    assert isinstance(outcome(parse_token, as_text), PaymentToken | ApplePayError)


@fuzz_settings(60)
@given(json_values | any_text | st.binary(max_size=200))
def test_parse_token_anything(value: Any) -> None:
    for source in (value, {"paymentData": value}, {"token": value}):
        if isinstance(source, dict | str | bytes):
            assert isinstance(outcome(parse_token, source), PaymentToken | ApplePayError)
    text = json.dumps(value) if not isinstance(value, bytes) else value
    assert isinstance(outcome(parse_token, text), PaymentToken | ApplePayError)


# --- parse_signed_data (the CMS) --------------------------------------------------------


@fuzz_settings(200)
@given(data=st.data())
def test_parse_signed_data_mutated(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SIGNATURES))
    raw = data.draw(mutated_ber(seed) | mutated_bytes(seed))
    result = outcome(parse_signed_data, raw)
    assert isinstance(result, SignedData | ApplePayError)


# --- the whole path: verify and decrypt with the right key and the test root -----------


@pytest.fixture(scope="module")
def minted(
    authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> dict[str, Any]:
    tokens = [
        mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW),
        mint(
            emv_payload(),
            recipient=ec_merchant,
            authority=authority,
            signing_time=NOW,
            application_data=b"\x01" * 32,
        ),
        mint(
            sample_payload(),
            recipient=rsa_merchant,
            authority=authority,
            signing_time=NOW,
            version="RSA_v1",
        ),
    ]
    decryptor = TokenDecryptor(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key], trust=authority.trust_store()
    )
    originals = {
        t["header"]["transactionId"].lower(): decryptor.decrypt(t, now=NOW) for t in tokens
    }
    return {"tokens": tokens, "decryptor": decryptor, "originals": originals}


@fuzz_settings(200)
@given(data=st.data())
def test_decrypt_mutated_minted_tokens(data: st.DataObject, minted: dict[str, Any]) -> None:
    token = data.draw(mutated_token(data.draw(st.sampled_from(minted["tokens"]))))
    result = outcome(minted["decryptor"].decrypt, wrap(data.draw, token), now=NOW)
    if isinstance(result, DecryptedToken):
        # A mutation that still decrypts changed nothing that matters: the hex case of
        # transactionId (the same signed bytes; the replay guard sees it lowercased).
        original = minted["originals"][result.transaction_id.lower()]
        assert result.payment_data.raw_json == original.payment_data.raw_json
        assert result.signing_time == original.signing_time
    else:
        assert isinstance(result, ApplePayError)


@fuzz_settings(100)
@given(data=st.data())
def test_inspect_mutated_tokens(data: st.DataObject) -> None:
    """``inspect`` reads tokens it does not trust: it must fail as cleanly as decrypt."""
    token = data.draw(mutated_token(data.draw(st.sampled_from(SEEDS))))
    parsed = outcome(parse_token, token)
    if isinstance(parsed, PaymentToken):
        assert isinstance(outcome(describe_token, parsed), dict | ApplePayError)


# --- PaymentData.from_json --------------------------------------------------------------


def _payloads() -> list[bytes]:
    return [
        json.dumps(sample_payload()).encode(),
        json.dumps(emv_payload(cardholder_name="A")).encode(),
        json.dumps(
            sample_payload(
                merchantTokenIdentifier="DNITHE1",
                merchantTokenMetadata={"cardArt": [{"url": "x"}]},
                authenticationResponses=[{"merchantIdentifier": "m", "transactionAmount": 1}],
            )
        ).encode(),
    ]


def _exercise(payment: PaymentData) -> None:
    repr(payment)
    payment.masked_dict()
    payment.to_dict()


@fuzz_settings(100)
@given(data=st.data())
def test_payment_data_mutated(data: st.DataObject) -> None:
    raw = data.draw(mutated_bytes(data.draw(st.sampled_from(_payloads())), max_ops=6))
    result = outcome(PaymentData.from_json, raw)
    if isinstance(result, PaymentData):
        _exercise(result)


@fuzz_settings(100)
@given(data=st.data())
def test_payment_data_fields_replaced(data: st.DataObject) -> None:
    doc = json.loads(data.draw(st.sampled_from(_payloads())))
    for _ in range(data.draw(st.integers(1, 3))):
        owner = doc
        if data.draw(st.booleans()) and isinstance(doc.get("paymentData"), dict):
            owner = doc["paymentData"]
        name = data.draw(st.sampled_from(sorted(owner)) | any_text if owner else any_text)
        owner[name] = data.draw(json_values)
    result = outcome(PaymentData.from_json, json.dumps(doc).encode())
    if isinstance(result, PaymentData):
        _exercise(result)
