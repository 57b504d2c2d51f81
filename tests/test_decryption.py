"""Decryption: exact round trips for EC_v1 and RSA_v1, key selection, every decryption error."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applepay_crypto import (
    ApplePayError,
    ConfigurationError,
    MalformedTokenError,
    MerchantKey,
    TokenDecryptor,
    decrypt_token,
    parse_token,
)
from applepay_crypto.ec_v1 import P256_SPKI_PREFIX, load_ephemeral_public_key, shared_secret
from applepay_crypto.testing import (
    TestMerchant,
    emv_payload,
    ephemeral_key_with_leading_zero,
    mint,
    sample_payload,
    test_pan,
)

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)


def decrypt(authority, merchant, token, **options) -> Any:
    return TokenDecryptor(merchant.merchant_key, trust=authority.trust_store(), **options).decrypt(
        token, now=NOW
    )


def code_of(call) -> str:
    try:
        call()
    except ApplePayError as exc:
        return exc.code
    return "ok"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    base = sample_payload(
        pan=test_pan(
            prefix=draw(st.sampled_from(["411111", "520000", "371449"])),
            length=draw(st.integers(15, 19)),
        ),
        expiration=draw(st.sampled_from(["251231", "290228", "300630"])),
        currency_code=draw(st.sampled_from(["978", "840", "392", "156"])),
        amount=draw(st.integers(0, 10**9)),
        cardholder_name=draw(st.none() | st.text(min_size=1, max_size=30)),
        eci=draw(st.none() | st.sampled_from(["5", "6", "7"])),
    )
    if draw(st.booleans()):
        base = emv_payload(pan=base["applicationPrimaryAccountNumber"])
    extra = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda k: k not in base),
            json_values,
            max_size=3,
        )
    )
    return {**base, **extra}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=payloads(),
    version=st.sampled_from(["EC_v1", "RSA_v1"]),
    application_data=st.none() | st.binary(min_size=32, max_size=32),
)
def test_round_trip(
    authority, ec_merchant, rsa_merchant, payload, version, application_data
) -> None:
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    token = mint(
        payload,
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=NOW,
        application_data=application_data,
    )
    result = decrypt(authority, merchant, token)
    assert result.payment_data.to_dict() == payload
    assert result.version == version
    assert result.application_data == application_data
    assert result.transaction_id == token["header"]["transactionId"]
    assert result.public_key_hash_b64 == token["header"]["publicKeyHash"]
    assert result.verified and result.signing_time == NOW
    data = result.payment_data
    assert data.pan == payload["applicationPrimaryAccountNumber"]
    assert data.transaction_amount == payload["transactionAmount"]
    assert data.cardholder_name == payload.get("cardholderName")


def test_exact_plaintext_bytes_are_kept(authority, ec_merchant) -> None:
    raw = (
        b'{"applicationPrimaryAccountNumber":"4111111111111111","applicationExpirationDate":"291231",'
        b'"currencyCode":"978","transactionAmount":1000,"paymentDataType":"3DSecure",'
        b'"paymentData":{"onlinePaymentCryptogram":"AAAA","eciIndicator":"7"},  "future":{"a":[1,2]}}'
    )
    result = decrypt(
        authority,
        ec_merchant,
        mint(raw, recipient=ec_merchant, authority=authority, signing_time=NOW),
    )
    assert result.payment_data.raw_json == raw
    assert result.payment_data.to_dict()["future"] == {"a": [1, 2]}


def test_shared_secret_with_leading_zero_byte(authority, ec_merchant) -> None:
    ephemeral = ephemeral_key_with_leading_zero(ec_merchant.certificate.public_key())
    payload = sample_payload()
    token = mint(
        payload,
        recipient=ec_merchant,
        authority=authority,
        signing_time=NOW,
        ephemeral_key=ephemeral,
    )
    secret = shared_secret(ec_merchant.private_key, parse_token(token).ephemeral_public_key)
    assert len(secret) == 32 and secret[0] == 0
    assert decrypt(authority, ec_merchant, token).payment_data.to_dict() == payload


def test_keyring_picks_the_key_by_public_key_hash(authority, ec_merchant, rsa_merchant) -> None:
    renewed = TestMerchant.create(authority, merchant_id=ec_merchant.merchant_id)
    decryptor = TokenDecryptor(
        [ec_merchant.merchant_key, renewed.merchant_key, rsa_merchant.merchant_key],
        trust=authority.trust_store(),
    )
    for merchant, version in ((ec_merchant, "EC_v1"), (renewed, "EC_v1"), (rsa_merchant, "RSA_v1")):
        payload = sample_payload(pan=test_pan())
        token = mint(
            payload, recipient=merchant, authority=authority, version=version, signing_time=NOW
        )
        assert decryptor.decrypt(token, now=NOW).payment_data.to_dict() == payload


def test_unknown_public_key_hash_is_named(authority, ec_merchant) -> None:
    stranger = TestMerchant.create(authority)
    token = mint(sample_payload(), recipient=stranger, authority=authority, signing_time=NOW)
    with pytest.raises(ApplePayError) as caught:
        decrypt(authority, ec_merchant, token)
    assert caught.value.code == "key_not_found"
    assert token["header"]["publicKeyHash"] in caught.value.message
    assert ec_merchant.merchant_key.public_key_hash_b64 in caught.value.message


def test_wrong_merchant_id_fails_the_tag(authority, ec_merchant) -> None:
    token = mint(
        sample_payload(),
        recipient=ec_merchant,
        authority=authority,
        merchant_id="merchant.com.other",
        signing_time=NOW,
    )
    with pytest.raises(ApplePayError) as caught:
        decrypt(authority, ec_merchant, token)
    assert caught.value.code == "decryption_failed"
    assert "merchant id" in caught.value.message


def test_wrong_key_behind_a_matching_hash(authority, ec_merchant, rsa_merchant) -> None:
    other = TestMerchant.create(authority, merchant_id=ec_merchant.merchant_id)
    token = mint(sample_payload(), recipient=other, authority=authority, signing_time=NOW)
    token["header"]["publicKeyHash"] = (
        ec_merchant.merchant_key.public_key_hash_b64
    )  # not signed by Apple
    assert code_of(lambda: decrypt(authority, ec_merchant, token)) == "decryption_failed"
    rsa_token = mint(
        sample_payload(),
        recipient=TestMerchant.create(authority, key_type="rsa"),
        authority=authority,
        version="RSA_v1",
        signing_time=NOW,
    )
    rsa_token["header"]["publicKeyHash"] = rsa_merchant.merchant_key.public_key_hash_b64
    assert code_of(lambda: decrypt(authority, rsa_merchant, rsa_token)) == "decryption_failed"


def test_version_and_key_type_must_agree(authority, ec_merchant, rsa_merchant) -> None:
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW)
    token["header"]["publicKeyHash"] = rsa_merchant.merchant_key.public_key_hash_b64
    decryptor = TokenDecryptor(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key], trust=authority.trust_store()
    )
    with pytest.raises(ApplePayError, match="cannot decrypt a EC_v1 token") as caught:
        decryptor.decrypt(token, now=NOW)
    assert caught.value.code == "key_not_found"


def test_verification_happens_before_decryption(authority, ec_merchant) -> None:
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW)
    assert code_of(lambda: decrypt(authority, ec_merchant, token) and None) == "ok"
    late = NOW + dt.timedelta(hours=1)
    assert (
        code_of(
            lambda: TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store()).decrypt(
                token, now=late
            )
        )
        == "signing_time_out_of_window"
    )


def test_no_verify_skips_step_one(authority, ec_merchant) -> None:
    other_authority_token = mint(
        sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW
    )
    decryptor = TokenDecryptor(ec_merchant.merchant_key, verify_signature=False)
    result = decryptor.decrypt(other_authority_token)
    assert result.verified is False and result.signing_time is None
    with pytest.raises(ConfigurationError):
        decryptor.verify(other_authority_token)


def test_one_shot_helper(authority, ec_merchant) -> None:
    payload = sample_payload()
    token = mint(payload, recipient=ec_merchant, authority=authority, signing_time=NOW)
    result = decrypt_token(
        json.dumps(token), key=ec_merchant.merchant_key, root=authority.trust_store(), now=NOW
    )
    assert result.payment_data.to_dict() == payload


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1]",
        json.dumps({**sample_payload(), "applicationPrimaryAccountNumber": "4111-1111"}).encode(),
        json.dumps({**sample_payload(), "applicationExpirationDate": "291332"}).encode(),
        json.dumps({**sample_payload(), "transactionAmount": "100"}).encode(),
        json.dumps({**sample_payload(), "currencyCode": "EUR"}).encode(),
        json.dumps({**sample_payload(), "paymentDataType": "Other"}).encode(),
        json.dumps({**sample_payload(), "paymentData": {}}).encode(),
    ],
)
def test_payload_shape_is_checked(authority, ec_merchant, payload) -> None:
    token = mint(payload, recipient=ec_merchant, authority=authority, signing_time=NOW)
    with pytest.raises(ApplePayError) as caught:
        decrypt(authority, ec_merchant, token)
    assert caught.value.code == "malformed_token"
    assert "4111" not in caught.value.message


class TestMerchantKeyConfiguration:
    def test_certificate_of_another_key(self, ec_merchant, authority) -> None:
        other = TestMerchant.create(authority)
        with pytest.raises(ConfigurationError, match="does not belong to this private key"):
            MerchantKey.load(ec_merchant.private_key, certificate=other.certificate)

    def test_merchant_id_disagreeing_with_certificate(self, ec_merchant) -> None:
        with pytest.raises(ConfigurationError, match="differs from the one in the certificate"):
            MerchantKey.load(
                ec_merchant.private_key,
                certificate=ec_merchant.certificate,
                merchant_id="merchant.x",
            )

    def test_ec_key_needs_a_merchant_id(self, ec_merchant, rsa_merchant) -> None:
        with pytest.raises(ConfigurationError, match="needs the merchant identifier"):
            MerchantKey.load(ec_merchant.private_key)
        assert MerchantKey.load(rsa_merchant.private_key).version == "RSA_v1"

    def test_p384_is_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="P-256 only"):
            MerchantKey.load(ec.generate_private_key(ec.SECP384R1()), merchant_id="merchant.x")

    def test_duplicate_keys(self, ec_merchant) -> None:
        with pytest.raises(ConfigurationError, match="given twice"):
            TokenDecryptor(
                [ec_merchant.merchant_key, ec_merchant.merchant_key], verify_signature=False
            )

    def test_unreadable_key(self, tmp_path) -> None:
        path = tmp_path / "key.pem"
        path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        with pytest.raises(ConfigurationError, match="not a readable private key"):
            MerchantKey.load(path, merchant_id="merchant.x")

    def test_key_repr_has_no_key_material(self, ec_merchant) -> None:
        text = repr(ec_merchant.merchant_key)
        assert "EC secp256r1" in text and ec_merchant.merchant_id in text
        pem_body = base64.b64encode(
            ec_merchant.private_key.private_numbers().private_value.to_bytes(32, "big")
        ).decode()
        assert pem_body not in text


class _SetGuard:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dt.datetime]] = []

    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        known = any(t == transaction_id for t, _ in self.calls)
        self.calls.append((transaction_id, signing_time))
        return known


def test_replay_guard_hook(authority, ec_merchant) -> None:
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW)
    guard = _SetGuard()
    decryptor = TokenDecryptor(
        ec_merchant.merchant_key, trust=authority.trust_store(), replay_guard=guard
    )
    decryptor.decrypt(token, now=NOW)
    with pytest.raises(ApplePayError) as caught:
        decryptor.decrypt(token, now=NOW)
    assert caught.value.code == "replayed_transaction"
    assert guard.calls[0] == (token["header"]["transactionId"], NOW)
    other = _SetGuard()
    assert TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store()).decrypt(
        token, now=NOW, replay_guard=other
    )
    with pytest.raises(ConfigurationError):
        TokenDecryptor(ec_merchant.merchant_key, verify_signature=False, replay_guard=guard)


def test_replay_guard_records_only_tokens_that_decrypt(authority, ec_merchant) -> None:
    stranger = TestMerchant.create(authority)
    token = mint(sample_payload(), recipient=stranger, authority=authority, signing_time=NOW)
    guard = _SetGuard()
    with pytest.raises(ApplePayError):
        TokenDecryptor(
            ec_merchant.merchant_key, trust=authority.trust_store(), replay_guard=guard
        ).decrypt(token, now=NOW)
    assert guard.calls == []


class TestEphemeralKey:
    """header.ephemeralPublicKey: Apple's SPKI shape is read as its point, the rest by the
    general reader; either way only a P-256 point on the curve is accepted."""

    @staticmethod
    def spki(key: ec.EllipticCurvePublicKey, point: PublicFormat = PublicFormat.UncompressedPoint):
        if point is PublicFormat.CompressedPoint:
            # SubjectPublicKeyInfo with a compressed point, built by hand: cryptography
            # only writes the uncompressed form.
            raw = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
            body = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107") + (
                b"\x03" + bytes((len(raw) + 1,)) + b"\x00" + raw
            )
            return b"\x30" + bytes((len(body),)) + body
        return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    def test_apple_shape_gives_the_secret_and_the_compressed_form_is_refused(
        self, ec_merchant
    ) -> None:
        peer = ec.generate_private_key(ec.SECP256R1())
        expected = peer.exchange(ec.ECDH(), ec_merchant.private_key.public_key())
        apple = self.spki(peer.public_key())
        assert apple.startswith(P256_SPKI_PREFIX) and len(apple) == 91
        assert shared_secret(ec_merchant.private_key, apple) == expected
        # Review (#11): one fixed shape, so the key's end cannot move under the digest.
        compressed = self.spki(peer.public_key(), PublicFormat.CompressedPoint)
        with pytest.raises(MalformedTokenError, match="in Apple's form"):
            shared_secret(ec_merchant.private_key, compressed)

    def test_point_off_the_curve_is_refused(self, ec_merchant) -> None:
        apple = bytearray(self.spki(ec.generate_private_key(ec.SECP256R1()).public_key()))
        apple[-1] ^= 0x01  # y changes: the point leaves the curve
        with pytest.raises(MalformedTokenError, match="not a point on P-256"):
            load_ephemeral_public_key(bytes(apple))

    @pytest.mark.parametrize(
        "der",
        [
            P256_SPKI_PREFIX + b"\x00" * 65,  # not a point encoding
            P256_SPKI_PREFIX + b"\x04" + b"\xff" * 64,  # coordinates beyond the field
            P256_SPKI_PREFIX[:-1],
            b"",
        ],
        ids=["zero-byte-point", "out-of-field", "truncated", "empty"],
    )
    def test_malformed_apple_shape(self, der: bytes) -> None:
        with pytest.raises(MalformedTokenError, match=r"in Apple's form|not a point on P-256"):
            load_ephemeral_public_key(der)

    def test_other_curve_is_refused(self) -> None:
        p384 = self.spki(ec.generate_private_key(ec.SECP384R1()).public_key())
        with pytest.raises(MalformedTokenError, match="in Apple's form"):
            load_ephemeral_public_key(p384)

    def test_refused_end_to_end_with_its_code(self, authority, ec_merchant) -> None:
        token = mint(sample_payload(), recipient=ec_merchant, authority=authority)
        apple = bytearray(base64.b64decode(token["header"]["ephemeralPublicKey"]))
        apple[-1] ^= 0x01
        token["header"]["ephemeralPublicKey"] = base64.b64encode(bytes(apple)).decode()
        with pytest.raises(MalformedTokenError) as caught:
            decrypt(authority, ec_merchant, token, verify_signature=False)
        assert caught.value.code == "malformed_token"
