"""Export of the symmetric key (issue #12, part 5): derived only after full verification,
decrypts to exactly what decrypt gives, bound to its token, and masked everywhere."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applepay_crypto import (
    ConfigurationError,
    MemoryReplayGuard,
    ReplayedTransactionError,
    SignatureInvalidError,
    TokenDecryptor,
    TrustStore,
    read_token,
)
from applepay_crypto.decryptor import SymmetricKey, decrypt_with_symmetric_key
from applepay_crypto.errors import DecryptionFailedError
from applepay_crypto.testing import mint, sample_payload, test_pan

from support import load_real_vector, real_vector_names

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)


def _mint(authority, merchant, version="EC_v1"):
    return mint(
        sample_payload(pan=test_pan()),
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=NOW,
    )


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
def test_split_decrypts_exactly_like_decrypt(authority, ec_merchant, rsa_merchant, version):
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    holder = TokenDecryptor(merchant.merchant_key, trust=authority.trust_store())
    token = _mint(authority, merchant, version)
    key = holder.derive_symmetric_key(token, now=NOW)
    assert key.version == version and len(key.key) == (32 if version == "EC_v1" else 16)
    expected = holder.decrypt(token, now=NOW)
    # The PSP holds no merchant key: only the trust store and the symmetric key.
    result = decrypt_with_symmetric_key(token, key, root=authority.trust_store(), now=NOW)
    assert result.payment_data.to_dict() == expected.payment_data.to_dict()
    assert result.transaction_id == expected.transaction_id and result.verified
    raw = holder.decrypt_with_symmetric_key(token, bytes(key), now=NOW)
    assert raw.payment_data.to_dict() == expected.payment_data.to_dict()


@pytest.mark.parametrize("name", real_vector_names())
def test_real_tokens_split(name, apple_root_path) -> None:
    from applepay_crypto import MerchantKey

    vector = load_real_vector(name)
    if not vector.decryptable:
        pytest.skip(f"{name}: signature-only vector")
    key = MerchantKey.load(
        vector.path / "merchant_key.pem", certificate=vector.path / "merchant_cert.pem"
    )
    trust = TrustStore.apple_root(apple_root_path)
    token = read_token(vector.path / "token.json")
    symmetric = TokenDecryptor(key, trust=trust).derive_symmetric_key(
        token, now=vector.signing_time
    )
    result = decrypt_with_symmetric_key(token, symmetric, root=trust, now=vector.signing_time)
    assert result.payment_data.to_dict() == vector.expected()


def test_only_verified_tokens_give_a_key(authority, ec_merchant) -> None:
    token = _mint(authority, ec_merchant)
    unverified = TokenDecryptor(ec_merchant.merchant_key, verify_signature=False)
    with pytest.raises(ConfigurationError, match="verified tokens only"):
        unverified.derive_symmetric_key(token)
    data = bytearray(base64.b64decode(token["data"]))
    data[0] ^= 1  # altered data: the messageDigest no longer matches
    token["data"] = base64.b64encode(bytes(data)).decode()
    holder = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())
    with pytest.raises(SignatureInvalidError):
        holder.derive_symmetric_key(token, now=NOW)


def test_key_is_bound_to_its_token(authority, ec_merchant, rsa_merchant) -> None:
    holder = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())
    first, second = _mint(authority, ec_merchant), _mint(authority, ec_merchant)
    key = holder.derive_symmetric_key(first, now=NOW)
    with pytest.raises(DecryptionFailedError, match="derived for another token") as caught:
        holder.decrypt_with_symmetric_key(second, key, now=NOW)
    assert caught.value.code == "decryption_failed"
    with pytest.raises(DecryptionFailedError, match="tag mismatch") as caught:
        holder.decrypt_with_symmetric_key(second, key.key, now=NOW)
    with pytest.raises(DecryptionFailedError, match="32 bytes, not 16"):
        holder.decrypt_with_symmetric_key(second, bytes(16), now=NOW)
    assert caught.value.code == "decryption_failed"


def test_replay_guard_applies_to_the_split(authority, ec_merchant) -> None:
    holder = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())
    token = _mint(authority, ec_merchant)
    key = holder.derive_symmetric_key(token, now=NOW)
    guard = MemoryReplayGuard(clock=lambda: NOW)
    trust = authority.trust_store()
    decrypt_with_symmetric_key(token, key, root=trust, now=NOW, replay_guard=guard)
    with pytest.raises(ReplayedTransactionError):
        decrypt_with_symmetric_key(token, key, root=trust, now=NOW, replay_guard=guard)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(secret=st.binary(min_size=16, max_size=32))
def test_the_key_is_masked_on_every_surface(secret: bytes, caplog) -> None:
    key = SymmetricKey("EC_v1", "ab" * 32, bytes(32), secret)
    spellings = [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        repr(secret),
    ]
    logging.getLogger("h5").warning("key %s %r", key, key)
    shown = [repr(key), str(key), f"{key}", f"{key!r}", f"{key:>10}", caplog.text, repr([key])]
    for text in shown:
        assert "secret AES-" in text or text == caplog.text
        for spelling in spellings:
            assert spelling not in text
    assert pickle.loads(pickle.dumps(key)).key == secret  # still usable where it is sent
