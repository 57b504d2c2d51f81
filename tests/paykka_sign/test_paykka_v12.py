"""PayKKa v1.2: the exact string to sign, signatures checked by OpenSSL, every rejection."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign import (
    BodyFieldMismatchError,
    InvalidArgumentError,
    InvalidHeaderError,
    MalformedBodyError,
    MissingFieldError,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    SignatureInvalidError,
    TimestampOutOfWindowError,
    load_private_key,
    load_public_key,
    v12_string_to_sign,
)

OpensslVerify = Callable[[bytes, bytes, Path], bool]

BODY = (
    b'{"merchant_id":"18356675194960","trans_id":"t1","timestamp":1700805506000,'
    b'"amount":445,"currency":"EUR"}'
)
FIXED_NOW = dt.datetime(2023, 11, 24, 5, 58, 26, tzinfo=dt.timezone.utc)


def _raw_signature(header: str) -> bytes:
    return base64.b64decode(unquote(header))


def test_string_to_sign_is_exact() -> None:
    assert v12_string_to_sign("M1", "1700805506000", b'{"a": 1}\n') == (
        b'merchantId=M1&timestamp=1700805506000&requestBody={"a": 1}\n'
    )


def test_sign_bytes_body_verified_by_openssl(
    rsa_key: rsa.RSAPrivateKey, key_dir: Path, openssl_verify: OpensslVerify
) -> None:
    signed = PaykkaV12Signer(rsa_key).sign(BODY)
    assert signed.body == BODY
    assert signed.string_to_sign == (
        b"merchantId=18356675194960&timestamp=1700805506000&requestBody=" + BODY
    )
    assert dict(signed.headers) == {
        "signature": signed.headers["signature"],
        "type": "RSA256",
        "version": "v1.2",
    }
    header = signed.headers["signature"]
    assert "+" not in header and "/" not in header and "=" not in header  # URL-encoded
    assert openssl_verify(signed.string_to_sign, _raw_signature(header), key_dir / "pub.pem")
    assert not openssl_verify(
        signed.string_to_sign + b" ", _raw_signature(header), key_dir / "pub.pem"
    )


def test_vectors_reproduced_and_verified(paykka_vectors: dict[str, Any]) -> None:
    key = load_private_key(paykka_vectors["private_key_pkcs8_base64"])
    public = load_public_key(paykka_vectors["public_key_spki_base64"])
    cases = [c for c in paykka_vectors["cases"] if c["api"] == "v1.2"]
    assert cases
    for case in cases:
        body = case["body"].encode("utf-8")
        expected = case["string_to_sign"].encode("utf-8")
        assert v12_string_to_sign(case["merchant_id"], case["timestamp"], body) == expected
        if case["kind"] == "request":
            signed = PaykkaV12Signer(key).sign(body)
            assert signed.string_to_sign == expected
            # PKCS#1 v1.5 is deterministic: OpenSSL's signature, byte for byte.
            assert signed.headers["signature"] == case["signature"]
        message = PaykkaV12Verifier(public, merchant_id=case["merchant_id"]).verify(
            {"signature": case["signature"]}, body
        )
        assert message.merchant_id == case["merchant_id"]
        assert message.timestamp == int(case["timestamp"])


def test_dict_body_gets_merchant_id_and_timestamp(
    rsa_key: rsa.RSAPrivateKey, key_dir: Path, openssl_verify: OpensslVerify
) -> None:
    signer = PaykkaV12Signer(rsa_key, merchant_id="M-7", clock=lambda: FIXED_NOW)
    signed = signer.sign({"amount": 445, "description": "café"})
    assert (
        signed.body
        == (
            '{"amount":445,"description":"café","merchant_id":"M-7","timestamp":1700805506000}'
        ).encode()
    )
    assert signed.string_to_sign == b"merchantId=M-7&timestamp=1700805506000&requestBody=" + (
        signed.body
    )
    assert openssl_verify(
        signed.string_to_sign, _raw_signature(signed.headers["signature"]), key_dir / "pub.pem"
    )
    explicit = signer.sign({"x": 1}, timestamp="1700000000000", now=FIXED_NOW)
    assert json.loads(explicit.body)["timestamp"] == 1700000000000


def test_timestamp_as_string_and_given_values(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = PaykkaV12Signer(rsa_key)
    as_string = signer.sign(b'{"merchant_id":"M","timestamp":"1700805506000"}')
    assert as_string.string_to_sign.startswith(b"merchantId=M&timestamp=1700805506000&")
    with pytest.raises(BodyFieldMismatchError, match="the body has no merchant_id"):
        signer.sign(b'{"x":1}', merchant_id="M2", timestamp=1700805506001)
    with pytest.raises(BodyFieldMismatchError, match="the body has no timestamp"):
        signer.sign(b'{"merchant_id":"M2"}', timestamp=1700805506001)
    given_values = signer.sign(
        b'{"x":1}', merchant_id="M2", timestamp=1700805506001, values_outside_body=True
    )
    assert (
        given_values.string_to_sign == b'merchantId=M2&timestamp=1700805506001&requestBody={"x":1}'
    )
    same = signer.sign(BODY, merchant_id="18356675194960", timestamp="1700805506000")
    assert same.body == BODY


def test_missing_fields_are_a_clear_error(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = PaykkaV12Signer(rsa_key)
    with pytest.raises(MissingFieldError) as info:
        signer.sign(b'{"timestamp":1700805506000}')
    assert info.value.code == "missing_field"
    assert "merchant_id" in info.value.message
    with pytest.raises(MissingFieldError, match="timestamp"):
        signer.sign(b'{"merchant_id":"M"}')


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"merchant_id":"M","timestamp":1.7008055e12}',
        b'{"merchant_id":"M","timestamp":true}',
        b'{"merchant_id":"M","timestamp":"soon"}',
        b'{"merchant_id":"M","timestamp":-5}',
        b'{"merchant_id":["M"],"timestamp":1}',
        b'{"merchant_id":"M","merchant_id":"N","timestamp":1}',
        b'{"merchant_id":"M","timestamp":NaN}',
    ],
)
def test_malformed_bodies(rsa_key: rsa.RSAPrivateKey, body: bytes) -> None:
    with pytest.raises(MalformedBodyError) as info:
        PaykkaV12Signer(rsa_key).sign(body)
    assert info.value.code == "malformed_body"


def test_given_values_must_agree_with_the_body(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(MalformedBodyError, match="merchant_id given differs"):
        PaykkaV12Signer(rsa_key, merchant_id="OTHER").sign(BODY)
    with pytest.raises(MalformedBodyError, match="timestamp given differs"):
        PaykkaV12Signer(rsa_key).sign(BODY, timestamp=1)
    with pytest.raises(InvalidArgumentError) as info:
        PaykkaV12Signer(rsa_key).sign(BODY, timestamp="yesterday")
    assert info.value.code == "invalid_argument"


def test_error_messages_never_echo_the_body(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(MalformedBodyError) as info:
        PaykkaV12Signer(rsa_key).sign(b'{"card_no":"4111111111111111", oops}')
    assert "4111" not in str(info.value)


@pytest.fixture
def verifier(rsa_key: rsa.RSAPrivateKey) -> PaykkaV12Verifier:
    return PaykkaV12Verifier(rsa_key.public_key(), merchant_id="18356675194960")


def test_verify_round_trip_and_tampering(
    rsa_key: rsa.RSAPrivateKey, verifier: PaykkaV12Verifier
) -> None:
    signed = PaykkaV12Signer(rsa_key).sign(BODY)
    message = verifier.verify(signed.headers, signed.body)
    assert (message.merchant_id, message.timestamp, message.body) == (
        "18356675194960",
        1700805506000,
        BODY,
    )
    assert message.json()["amount"] == 445
    # Header names are case-insensitive, as HTTP frameworks may present them.
    verifier.verify({"Signature": signed.headers["signature"], "TYPE": "RSA256"}, signed.body)
    with pytest.raises(SignatureInvalidError) as info:
        verifier.verify(signed.headers, BODY.replace(b"445", b"446"))
    assert info.value.code == "signature_invalid"


def test_verify_accepts_a_signature_not_url_encoded(
    rsa_key: rsa.RSAPrivateKey, verifier: PaykkaV12Verifier
) -> None:
    signed = PaykkaV12Signer(rsa_key).sign(BODY)
    plain = unquote(signed.headers["signature"])
    verifier.verify({"signature": plain}, BODY)
    with pytest.raises(SignatureInvalidError, match="base64"):
        verifier.verify({"signature": "***"}, BODY)


def test_verify_with_the_wrong_key(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    signed = PaykkaV12Signer(rsa_key).sign(BODY)
    with pytest.raises(SignatureInvalidError):
        PaykkaV12Verifier(other_rsa_key.public_key(), merchant_id="18356675194960").verify(
            signed.headers, BODY
        )


def test_response_fields_under_data_and_configurable_paths(rsa_key: rsa.RSAPrivateKey) -> None:
    response = b'{"ret_code":"000000","data":{"merchant_id":"M9","timestamp":1700805506000}}'
    signed = PaykkaV12Signer(rsa_key).sign(
        response, merchant_id="M9", timestamp=1700805506000, values_outside_body=True
    )
    PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M9").verify(signed.headers, response)
    custom = PaykkaV12Verifier(
        rsa_key.public_key(),
        merchant_id="M9",
        merchant_id_fields=["data.merchant_id"],
        timestamp_fields=["x.ts"],
    )
    with pytest.raises(MissingFieldError, match=r"x\.ts"):
        custom.verify(signed.headers, response)
    assert custom.verify(signed.headers, response, timestamp=1700805506000).merchant_id == "M9"
    with pytest.raises(InvalidArgumentError):
        PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M9", merchant_id_fields=[])


def test_a_body_without_ids_is_verified_as_signed_for_the_verifier(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    body = b'{"anything":"no ids here"}'
    signed = PaykkaV12Signer(rsa_key).sign(
        body, merchant_id="M", timestamp=5, values_outside_body=True
    )
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M")
    message = verifier.verify(signed.headers, body, timestamp="5")
    assert (message.timestamp, message.merchant_id) == (5, "M")
    with pytest.raises(SignatureInvalidError):
        # Signed for M: another merchant's verifier builds another string.
        PaykkaV12Verifier(rsa_key.public_key(), merchant_id="N").verify(
            signed.headers, body, timestamp="5"
        )


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"signature": ""},
        {"signature": "x", "type": "RSA512"},
        {"signature": "x", "version": "v3"},
        {"signature": "x", "Signature": "y"},
    ],
)
def test_bad_headers(verifier: PaykkaV12Verifier, headers: dict[str, str]) -> None:
    with pytest.raises(InvalidHeaderError) as info:
        verifier.verify(headers, BODY)
    assert info.value.code == "invalid_header"
    assert isinstance(info.value, SignatureInvalidError)  # one except rejects all


def test_optional_time_window(rsa_key: rsa.RSAPrivateKey) -> None:
    signed = PaykkaV12Signer(rsa_key).sign(BODY)
    sent = dt.datetime(2023, 11, 24, 5, 58, 26, tzinfo=dt.timezone.utc)
    # No window by default: v1.2 documents none, and notifications may be retried later.
    PaykkaV12Verifier(rsa_key.public_key(), merchant_id="18356675194960").verify(
        signed.headers, BODY, now=sent.replace(year=2030)
    )
    windowed = PaykkaV12Verifier(
        rsa_key.public_key(), merchant_id="18356675194960", window=dt.timedelta(minutes=5)
    )
    windowed.verify(signed.headers, BODY, now=sent + dt.timedelta(minutes=5))
    with pytest.raises(TimestampOutOfWindowError) as info:
        windowed.verify(signed.headers, BODY, now=sent + dt.timedelta(minutes=5, seconds=1))
    assert info.value.code == "timestamp_out_of_window"


json_scalars = st.one_of(st.integers(-(2**40), 2**40), st.text(max_size=20), st.booleans())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    extra=st.dictionaries(st.text(min_size=1, max_size=8), json_scalars, max_size=5),
    timestamp=st.integers(0, 10**13),
    data=st.data(),
)
def test_property_round_trip_and_any_byte_change_rejected(
    rsa_key: rsa.RSAPrivateKey, extra: dict[str, Any], timestamp: int, data: st.DataObject
) -> None:
    body = {**extra, "merchant_id": "M1", "timestamp": timestamp}
    signed = PaykkaV12Signer(rsa_key).sign(body)
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M1")
    assert verifier.verify(signed.headers, signed.body).timestamp == timestamp
    position = data.draw(st.integers(0, len(signed.body) - 1))
    delta = data.draw(st.integers(1, 255))
    tampered = bytearray(signed.body)
    tampered[position] = (tampered[position] + delta) % 256
    # Whatever the change does to the JSON, it must never verify.
    with pytest.raises((SignatureInvalidError, MalformedBodyError)):
        verifier.verify(signed.headers, bytes(tampered))
