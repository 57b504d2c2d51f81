"""The key seams (issue #12): a merchant key is a holder of the private-key operation, its
publicKeyHash and its merchant id. Holders other than an in-process key decrypt exactly the
same, their failures have their own code, and the keyring may be backed by a lookup."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applepay_crypto import (
    ConfigurationError,
    KeyNotFoundError,
    MalformedTokenError,
    MerchantKey,
    TokenDecryptor,
    TrustStore,
    read_token,
)
from applepay_crypto.errors import KeyOperationError
from applepay_crypto.keys import (
    KeyAgreement,
    Keyring,
    KeyUnwrapper,
    load_certificate,
    load_private_key,
)
from applepay_crypto.rsa_v1 import OAEP_PADDING
from applepay_crypto.testing import mint, sample_payload, test_pan

from support import load_real_vector, pans_decrypted_in_threads, real_vector_names

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)


class CountingAgreement:
    """A holder of the user's own, the way docs/hsm.md writes one: a few lines."""

    kind = "EC P-256 (test holder)"

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._key = private_key
        self.calls = 0
        self.lock = threading.Lock()

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        with self.lock:
            self.calls += 1
        return self._key.exchange(ec.ECDH(), ephemeral_public_key)


class OwnUnwrapper:
    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._key = private_key
        self.key_size = private_key.key_size

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes:
        return self._key.decrypt(wrapped_key, OAEP_PADDING)


class FailingAgreement:
    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise RuntimeError("KMS said: key material 0xdeadbeef secret-pin-1234")


class ShortAgreement:
    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        return bytes(31)


def _own_key(merchant: Any, holder: Any, **options: Any) -> MerchantKey:
    return MerchantKey.from_holder(holder, certificate=merchant.certificate, **options)


def _token(authority: Any, merchant: Any, version: str = "EC_v1") -> dict[str, Any]:
    return mint(
        sample_payload(pan=test_pan()),
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=NOW,
    )


def test_protocols_are_what_in_process_keys_implement(ec_merchant, rsa_merchant) -> None:
    assert isinstance(ec_merchant.merchant_key.holder, KeyAgreement)
    assert isinstance(rsa_merchant.merchant_key.holder, KeyUnwrapper)
    assert ec_merchant.merchant_key.in_process and ec_merchant.merchant_key.version == "EC_v1"
    assert rsa_merchant.merchant_key.version == "RSA_v1"


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
def test_own_holder_decrypts_exactly_like_the_in_process_key(
    authority, ec_merchant, rsa_merchant, version
) -> None:
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    private = merchant.merchant_key.private_key
    holder = CountingAgreement(private) if version == "EC_v1" else OwnUnwrapper(private)
    own = _own_key(merchant, holder)
    assert own.public_key_hash == merchant.merchant_key.public_key_hash
    assert own.merchant_id_hash == merchant.merchant_key.merchant_id_hash
    assert not own.in_process
    token = _token(authority, merchant, version)
    trust = authority.trust_store()
    expected = TokenDecryptor(merchant.merchant_key, trust=trust).decrypt(token, now=NOW)
    result = TokenDecryptor(own, trust=trust).decrypt(token, now=NOW)
    assert result.payment_data.to_dict() == expected.payment_data.to_dict()
    assert result.transaction_id == expected.transaction_id


@pytest.mark.parametrize("name", real_vector_names())
def test_real_tokens_decrypt_through_an_own_holder(name: str, apple_root_path) -> None:
    vector = load_real_vector(name)
    if not vector.decryptable:
        pytest.skip(f"{name}: no merchant key is public; signature-only vector")
    private = load_private_key(vector.path / "merchant_key.pem")
    holder: Any = (
        CountingAgreement(private)
        if isinstance(private, ec.EllipticCurvePrivateKey)
        else OwnUnwrapper(private)
    )
    key = MerchantKey.from_holder(holder, certificate=vector.path / "merchant_cert.pem")
    result = TokenDecryptor(key, trust=TrustStore.apple_root(apple_root_path)).decrypt(
        read_token(vector.path / "token.json"), now=vector.signing_time
    )
    assert result.payment_data.to_dict() == vector.expected()


def test_private_key_of_an_outside_key_cannot_be_read(ec_merchant) -> None:
    own = _own_key(ec_merchant, CountingAgreement(ec_merchant.merchant_key.private_key))
    with pytest.raises(ConfigurationError, match="held outside this process"):
        _ = own.private_key
    assert "test holder" in repr(own)


def test_a_holder_of_another_key_is_refused_at_configuration(ec_merchant) -> None:
    other = CountingAgreement(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ConfigurationError, match="does not hold the private half"):
        _own_key(ec_merchant, other)


def test_holder_needs_a_public_key_and_the_right_kind(ec_merchant, rsa_merchant) -> None:
    holder = CountingAgreement(ec_merchant.merchant_key.private_key)
    with pytest.raises(ConfigurationError, match="needs its public key"):
        MerchantKey.from_holder(holder, merchant_id="merchant.com.example")
    with pytest.raises(ConfigurationError, match="does not fit"):
        MerchantKey.from_holder(holder, certificate=rsa_merchant.certificate, check=False)
    with pytest.raises(ConfigurationError, match="neither a private key nor a key holder"):
        MerchantKey(object(), bytes(32), bytes(32))  # type: ignore[arg-type]


def test_a_failing_holder_is_key_operation_failed_without_its_text(authority, ec_merchant) -> None:
    key = _own_key(ec_merchant, FailingAgreement(), check=False)
    decryptor = TokenDecryptor(key, trust=authority.trust_store())
    with pytest.raises(KeyOperationError) as caught:
        decryptor.decrypt(_token(authority, ec_merchant), now=NOW)
    assert caught.value.code == "key_operation_failed"
    assert "RuntimeError" in caught.value.message
    assert "deadbeef" not in caught.value.message and "1234" not in caught.value.message
    short_key = _own_key(ec_merchant, ShortAgreement(), check=False)
    short = TokenDecryptor(short_key, trust=authority.trust_store())
    with pytest.raises(KeyOperationError, match="31-byte"):
        short.decrypt(_token(authority, ec_merchant), now=NOW)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(point=st.binary(min_size=64, max_size=64))
def test_no_holder_ever_sees_a_point_off_the_curve(authority, ec_merchant, point: bytes) -> None:
    """The ephemeral key is checked before the holder is asked: an HSM or a KMS is never
    handed an invalid-curve point (issue #12)."""
    import base64

    holder = CountingAgreement(ec_merchant.merchant_key.private_key)
    key = _own_key(ec_merchant, holder, check=False)
    token = _token(authority, ec_merchant)
    der = base64.b64decode(token["header"]["ephemeralPublicKey"])
    token["header"]["ephemeralPublicKey"] = base64.b64encode(der[:27] + point).decode()
    decryptor = TokenDecryptor(key, verify_signature=False)
    try:
        decryptor.decrypt(token)
    except MalformedTokenError:
        assert holder.calls == 0
    except Exception:
        assert holder.calls == 1


class DictLookup:
    def __init__(self, *keys: MerchantKey) -> None:
        self.keys = {k.public_key_hash: k for k in keys}
        self.asked: list[bytes] = []

    def find(self, public_key_hash: bytes) -> MerchantKey | None:
        self.asked.append(public_key_hash)
        return self.keys.get(public_key_hash)


def test_keyring_backed_by_a_lookup(authority, ec_merchant, rsa_merchant) -> None:
    lookup = DictLookup(ec_merchant.merchant_key)
    decryptor = TokenDecryptor(Keyring(lookup=lookup), trust=authority.trust_store())
    token = _token(authority, ec_merchant)
    assert decryptor.decrypt(token, now=NOW).payment_data.pan.startswith("411111")
    assert lookup.asked == [ec_merchant.merchant_key.public_key_hash]
    with pytest.raises(KeyNotFoundError, match="the key lookup has none") as caught:
        decryptor.decrypt(_token(authority, rsa_merchant, "RSA_v1"), now=NOW)
    assert caught.value.code == "key_not_found"


def test_held_keys_come_before_the_lookup(authority, ec_merchant) -> None:
    lookup = DictLookup()
    keyring = Keyring([ec_merchant.merchant_key], lookup=lookup)
    TokenDecryptor(keyring, trust=authority.trust_store()).decrypt(
        _token(authority, ec_merchant), now=NOW
    )
    assert lookup.asked == []


def test_a_lookup_answering_with_another_key_is_a_configuration_error(
    authority, ec_merchant, rsa_merchant
) -> None:
    class Wrong:
        def find(self, public_key_hash: bytes) -> MerchantKey:
            return rsa_merchant.merchant_key

    decryptor = TokenDecryptor(Keyring(lookup=Wrong()), trust=authority.trust_store())
    with pytest.raises(ConfigurationError, match="the key lookup answered"):
        decryptor.decrypt(_token(authority, ec_merchant), now=NOW)


def test_an_empty_keyring_without_lookup_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least one merchant key or a key lookup"):
        Keyring([])


def test_certificate_of_another_key_is_refused(ec_merchant, authority) -> None:
    from applepay_crypto.testing import TestMerchant

    other = TestMerchant.create(authority)
    with pytest.raises(ConfigurationError, match="does not belong"):
        MerchantKey.from_holder(
            CountingAgreement(ec_merchant.merchant_key.private_key),
            public_key=ec_merchant.certificate.public_key(),
            certificate=load_certificate(other.certificate),
        )


@pytest.mark.parametrize("own_holder", [False, True])
def test_threads_share_one_decryptor(authority, ec_merchant, own_holder: bool) -> None:
    """Issue #12, part 6: one TokenDecryptor, several threads, every result exact."""
    holder = CountingAgreement(ec_merchant.merchant_key.private_key)
    key = _own_key(ec_merchant, holder) if own_holder else ec_merchant.merchant_key
    decryptor = TokenDecryptor(key, trust=authority.trust_store())
    pans = [test_pan(length=16 + i % 4) for i in range(24)]
    tokens = [
        mint(sample_payload(pan=pan), recipient=ec_merchant, authority=authority, signing_time=NOW)
        for pan in pans
    ]
    assert pans_decrypted_in_threads(decryptor, tokens, threads=6, now=NOW) == pans
    if own_holder:
        assert holder.calls == len(tokens) + 1  # + the pair check of from_holder


class KmsKeyAgreement:
    """docs/hsm.md's AWS KMS recipe, verbatim: run here against a stand-in client (KMS
    itself is not reachable from the test machine)."""

    kind = "EC P-256 in AWS KMS"

    def __init__(self, kms_client: Any, key_id: str) -> None:
        self.kms, self.key_id = kms_client, key_id

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        spki = ephemeral_public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        answer = self.kms.derive_shared_secret(
            KeyId=self.key_id, KeyAgreementAlgorithm="ECDH", PublicKey=spki
        )
        return answer["SharedSecret"]


class StandInKms:
    """What DeriveSharedSecret and GetPublicKey take and give, per AWS's API reference."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._key = private_key

    def get_public_key(self, *, KeyId: str) -> dict[str, Any]:
        return {
            "PublicKey": self._key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        }

    def derive_shared_secret(
        self, *, KeyId: str, KeyAgreementAlgorithm: str, PublicKey: bytes
    ) -> dict[str, Any]:
        assert KeyAgreementAlgorithm == "ECDH"
        peer = serialization.load_der_public_key(PublicKey)
        return {"KeyId": KeyId, "SharedSecret": self._key.exchange(ec.ECDH(), peer)}


def test_the_kms_recipe_decrypts(authority, ec_merchant) -> None:
    kms = StandInKms(ec_merchant.merchant_key.private_key)
    key_id = "alias/apple-pay-2026"
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    key = MerchantKey.from_holder(
        KmsKeyAgreement(kms, key_id), public_key=public, merchant_id=ec_merchant.merchant_id
    )
    assert repr(key).startswith("MerchantKey(EC P-256 in AWS KMS")
    token = _token(authority, ec_merchant)
    result = TokenDecryptor(key, trust=authority.trust_store()).decrypt(token, now=NOW)
    expected = TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())
    assert result.payment_data.to_dict() == expected.decrypt(token, now=NOW).payment_data.to_dict()
