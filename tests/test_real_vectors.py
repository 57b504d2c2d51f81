"""Real Apple tokens published by other projects: verify at signing time, decrypt exactly."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import (
    MerchantKey,
    SigningTimeOutOfWindowError,
    TokenDecryptor,
    TrustStore,
    read_token,
    verify_token,
)
from applepay_crypto.keys import load_certificate, merchant_id_from_certificate

from support import load_real_vector, real_vector_names

NAMES = real_vector_names()


@pytest.fixture(scope="module")
def apple_trust(apple_root_path) -> TrustStore:
    return TrustStore.apple_root(apple_root_path)


@pytest.mark.parametrize("name", NAMES)
def test_verifies_at_its_signing_time(name: str, apple_trust: TrustStore) -> None:
    vector = load_real_vector(name)
    verified = verify_token(
        read_token(vector.path / "token.json"), root=apple_trust, now=vector.signing_time
    )
    assert verified.signing_time == vector.signing_time
    assert verified.environment == vector.meta["environment"]
    assert verified.chain[-1].subject.rfc4514_string().endswith("CN=Apple Root CA - G3")


@pytest.mark.parametrize("name", NAMES)
def test_is_rejected_at_the_current_time(name: str, apple_trust: TrustStore) -> None:
    vector = load_real_vector(name)
    with pytest.raises(SigningTimeOutOfWindowError) as caught:
        verify_token(read_token(vector.path / "token.json"), root=apple_trust)
    assert caught.value.code == "signing_time_out_of_window"


@pytest.mark.parametrize("name", NAMES)
def test_window_edges_around_signing_time(name: str, apple_trust: TrustStore) -> None:
    vector = load_real_vector(name)
    token = read_token(vector.path / "token.json")
    five_minutes = dt.timedelta(minutes=5)
    for now in (vector.signing_time - five_minutes, vector.signing_time + five_minutes):
        verify_token(token, root=apple_trust, now=now)
    for now in (
        vector.signing_time - five_minutes - dt.timedelta(seconds=1),
        vector.signing_time + five_minutes + dt.timedelta(seconds=1),
    ):
        with pytest.raises(SigningTimeOutOfWindowError):
            verify_token(token, root=apple_trust, now=now)


@pytest.mark.parametrize("name", NAMES)
def test_decrypts_to_exactly_the_expected_payload(name: str, apple_trust: TrustStore) -> None:
    vector = load_real_vector(name)
    if not vector.decryptable:
        pytest.skip(f"{name}: no merchant key is public; signature-only vector")
    key = MerchantKey.load(
        vector.path / "merchant_key.pem", certificate=vector.path / "merchant_cert.pem"
    )
    result = TokenDecryptor(key, trust=apple_trust).decrypt(
        (vector.path / "token.json").read_bytes(), now=vector.signing_time
    )
    assert result.verified is True
    assert result.version == vector.meta["version"]
    assert result.signing_time == vector.signing_time
    assert result.payment_data.to_dict() == vector.expected()
    assert result.payment_data.pan == vector.expected()["applicationPrimaryAccountNumber"]


@pytest.mark.parametrize("name", NAMES)
def test_merchant_id_string_works_like_the_certificate(name: str, apple_trust: TrustStore) -> None:
    vector = load_real_vector(name)
    if not vector.decryptable:
        pytest.skip(f"{name}: signature-only vector")
    merchant_id = merchant_id_from_certificate(load_certificate(vector.path / "merchant_cert.pem"))
    assert merchant_id is not None
    key = MerchantKey.load(vector.path / "merchant_key.pem", merchant_id=merchant_id)
    result = TokenDecryptor(key, trust=apple_trust).decrypt(
        read_token(vector.path / "token.json"), now=vector.signing_time
    )
    assert result.payment_data.to_dict() == vector.expected()


def test_basis_theory_key_rotation_through_one_keyring(apple_trust: TrustStore) -> None:
    old = load_real_vector("basistheory-ec-old-2023")
    new = load_real_vector("basistheory-ec-new-2023")
    keys = [
        MerchantKey.load(v.path / "merchant_key.pem", certificate=v.path / "merchant_cert.pem")
        for v in (old, new)
    ]
    assert keys[0].public_key_hash != keys[1].public_key_hash
    decryptor = TokenDecryptor(keys, trust=apple_trust)
    for vector in (old, new):
        result = decryptor.decrypt(read_token(vector.path / "token.json"), now=vector.signing_time)
        assert result.payment_data.to_dict() == vector.expected()


def test_rsa_v1_vector_is_rsa(apple_trust: TrustStore) -> None:
    vector = load_real_vector("basistheory-rsa-2024")
    token = read_token(vector.path / "token.json")
    assert token.version == "RSA_v1" and token.wrapped_key is not None
    verified = verify_token(token, root=apple_trust, now=vector.signing_time)
    assert isinstance(verified.leaf.public_key(), rsa.RSAPublicKey)
