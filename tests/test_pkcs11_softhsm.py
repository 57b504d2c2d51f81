"""Merchant keys inside a real SoftHSM2 token (issue #12, part 2): decryption through
CKM_ECDH1_DERIVE gives exactly the payload the PEM key gives; keys the toolkit puts in the
token are sensitive and not extractable; each failure has its own code; threads share one
decryptor. The token is created here, in a temporary directory, as the Redis tests start
their own server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto import MerchantKey, TokenDecryptor, TrustStore, read_token
from applepay_crypto.errors import (
    HsmKeyNotFoundError,
    HsmKeyUsageError,
    HsmMechanismUnsupportedError,
    HsmModuleError,
    HsmPinError,
    HsmTokenNotFoundError,
)
from applepay_crypto.keys import load_private_key
from applepay_crypto.testing import (
    TestMerchant,
    ephemeral_key_with_leading_zero,
    mint,
    sample_payload,
    test_pan,
)

from support import SOFTHSM_PIN, load_real_vector, pans_decrypted_in_threads, real_vector_names

p11lib = pytest.importorskip(
    "pkcs11", reason="python-pkcs11 is not installed (pip install '.[test]' or '.[pkcs11]')"
)

from pkcs11 import Attribute  # noqa: E402

from applepay_crypto.keys.pkcs11 import (  # noqa: E402
    Pkcs11KeyUnwrapper,
    Pkcs11Token,
    generate_private_key,
    import_private_key,
)

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)
PIN = SOFTHSM_PIN


@pytest.fixture(scope="module")
def softhsm(softhsm_store: dict[str, Any]) -> dict[str, Any]:
    """The session's SoftHSM2 store (conftest), with a read-write token object on
    "merchant" for the tests that import and generate keys."""
    token = Pkcs11Token(
        softhsm_store["module"], token_label="merchant", pin_file=softhsm_store["pin_file"], rw=True
    )
    return {**softhsm_store, "token": token}


def _token_for(authority, recipient, **options) -> dict[str, Any]:
    return mint(
        sample_payload(pan=test_pan()),
        recipient=recipient,
        authority=authority,
        signing_time=NOW,
        **options,
    )


def _attributes(token: Pkcs11Token, key_id: bytes) -> dict[str, Any]:
    with token.session() as session:
        key = token.private_key_handle(session, key_id, None)
        names = ("SENSITIVE", "EXTRACTABLE", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE", "DERIVE")
        return {name: key[getattr(Attribute, name)] for name in names}


@pytest.fixture(scope="module")
def imported(softhsm, authority) -> tuple[TestMerchant, MerchantKey]:
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.hsm")
    key_id = import_private_key(softhsm["token"], merchant.merchant_key.private_key, label="ec")
    assert key_id == merchant.merchant_key.public_key_hash
    return merchant, softhsm["token"].merchant_key(key_id=key_id, merchant_id=merchant.merchant_id)


@pytest.mark.parametrize("name", real_vector_names())
def test_real_ec_tokens_decrypt_in_softhsm_to_the_pem_payload(softhsm, name, apple_root_path):
    vector = load_real_vector(name)
    if not vector.decryptable or vector.meta["version"] != "EC_v1":
        pytest.skip(f"{name}: not a decryptable EC_v1 vector")
    private = load_private_key(vector.path / "merchant_key.pem")
    token = softhsm["token"]
    key_id = import_private_key(token, private, label=f"real-{name}")
    hsm_key = token.merchant_key(key_id=key_id, certificate=vector.path / "merchant_cert.pem")
    pem_key = MerchantKey.load(private, certificate=vector.path / "merchant_cert.pem")
    assert hsm_key.public_key_hash == pem_key.public_key_hash
    trust = TrustStore.apple_root(apple_root_path)
    raw = read_token(vector.path / "token.json")
    via_hsm = TokenDecryptor(hsm_key, trust=trust).decrypt(raw, now=vector.signing_time)
    via_pem = TokenDecryptor(pem_key, trust=trust).decrypt(raw, now=vector.signing_time)
    assert via_hsm.payment_data.to_dict() == via_pem.payment_data.to_dict() == vector.expected()


def test_minted_tokens_decrypt_with_the_imported_key(softhsm, authority, imported) -> None:
    merchant, hsm_key = imported
    trust = authority.trust_store()
    zero = ephemeral_key_with_leading_zero(merchant.certificate.public_key())
    for options in ({}, {"ephemeral_key": zero}):  # Z with a leading zero byte is kept
        token = _token_for(authority, merchant, **options)
        via_hsm = TokenDecryptor(hsm_key, trust=trust).decrypt(token, now=NOW)
        via_pem = TokenDecryptor(merchant.merchant_key, trust=trust).decrypt(token, now=NOW)
        assert via_hsm.payment_data.to_dict() == via_pem.payment_data.to_dict()
        assert via_hsm.transaction_id == via_pem.transaction_id


def test_key_born_in_the_token_decrypts_tokens_minted_to_it(softhsm, authority) -> None:
    token = softhsm["token"]
    key_id = generate_private_key(token, label="born-here")
    public = token.public_key(key_id)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    key = token.merchant_key(key_id=key_id, merchant_id="merchant.com.example.born")
    assert key.public_key_hash == key_id
    payload = sample_payload(pan=test_pan())
    minted = mint(
        payload,
        recipient=public,
        merchant_id="merchant.com.example.born",
        authority=authority,
        signing_time=NOW,
    )
    result = TokenDecryptor(key, trust=authority.trust_store()).decrypt(minted, now=NOW)
    assert result.payment_data.to_dict() == payload
    attrs = _attributes(token, key_id)
    assert attrs["SENSITIVE"] is True and attrs["EXTRACTABLE"] is False
    assert attrs["ALWAYS_SENSITIVE"] is True and attrs["NEVER_EXTRACTABLE"] is True


def test_imported_keys_are_sensitive_and_not_extractable(softhsm, imported) -> None:
    merchant, _ = imported
    attrs = _attributes(softhsm["token"], merchant.merchant_key.public_key_hash)
    assert attrs["SENSITIVE"] is True and attrs["EXTRACTABLE"] is False
    assert attrs["DERIVE"] is True
    with softhsm["token"].session() as session:
        key = softhsm["token"].private_key_handle(
            session, merchant.merchant_key.public_key_hash, None
        )
        with pytest.raises(p11lib.exceptions.AttributeSensitive):
            key[Attribute.VALUE]


def test_wrong_pin_is_hsm_pin_incorrect_and_never_shown(softhsm, tmp_path) -> None:
    wrong = tmp_path / "pin"
    wrong.write_text("999999-wrong")
    with pytest.raises(HsmPinError) as caught:
        Pkcs11Token(softhsm["module"], token_label="spare", pin_file=wrong)
    assert caught.value.code == "hsm_pin_incorrect"
    assert "999999" not in str(caught.value) and PIN not in str(caught.value)
    os.environ["H5_TEST_PIN"] = PIN
    try:
        spare = Pkcs11Token(softhsm["module"], token_label="spare", pin_env="H5_TEST_PIN")
    finally:
        del os.environ["H5_TEST_PIN"]
    assert PIN not in repr(spare) and PIN not in repr(vars(spare))


def test_missing_object_is_hsm_key_not_found(softhsm) -> None:
    with pytest.raises(HsmKeyNotFoundError) as caught:
        softhsm["token"].merchant_key(key_id=bytes(32), merchant_id="merchant.com.example")
    assert caught.value.code == "hsm_key_not_found"
    with pytest.raises(HsmKeyNotFoundError):
        softhsm["token"].merchant_key(label="no-such-label", merchant_id="merchant.com.example")


def test_key_without_derive_is_hsm_key_usage_not_permitted(softhsm) -> None:
    token = softhsm["token"]
    private = ec.generate_private_key(ec.SECP256R1())
    key_id = import_private_key(token, private, label="no-derive")
    with token.session() as session:
        token.private_key_handle(session, key_id, None)[Attribute.DERIVE] = False
    with pytest.raises(HsmKeyUsageError) as caught:
        token.merchant_key(key_id=key_id, merchant_id="merchant.com.example")
    assert caught.value.code == "hsm_key_usage_not_permitted"
    assert "CKA_DERIVE" in caught.value.message


def test_module_that_cannot_be_loaded_is_hsm_module_unavailable(softhsm, tmp_path) -> None:
    not_a_library = tmp_path / "libnot.so"
    not_a_library.write_bytes(b"\x7fELF not really")
    for module in (tmp_path / "absent.so", not_a_library):
        with pytest.raises(HsmModuleError) as caught:
            Pkcs11Token(module, token_label="merchant", pin_file=softhsm["pin_file"])
        assert caught.value.code == "hsm_module_unavailable"


def test_missing_token_is_hsm_token_not_found(softhsm) -> None:
    with pytest.raises(HsmTokenNotFoundError) as caught:
        Pkcs11Token(softhsm["module"], token_label="absent", pin_file=softhsm["pin_file"])
    assert caught.value.code == "hsm_token_not_found"


def test_softhsm_lacks_oaep_sha256_hsm_mechanism_unsupported(softhsm, apple_root_path) -> None:
    """SoftHSM2 2.6 does CKM_RSA_PKCS_OAEP with SHA-1 only; RSA_v1 needs SHA-256. Refused at
    configuration (the pair check) and, unchecked, on the token."""
    vector = load_real_vector("basistheory-rsa-2024")
    private = load_private_key(vector.path / "merchant_key.pem")
    token = softhsm["token"]
    key_id = import_private_key(token, private, label="rsa")
    cert = vector.path / "merchant_cert.pem"
    with pytest.raises(HsmMechanismUnsupportedError) as caught:
        token.merchant_key(key_id=key_id, certificate=cert)
    assert caught.value.code == "hsm_mechanism_unsupported"
    assert "SHA-256" in caught.value.message
    unchecked = MerchantKey.from_holder(
        Pkcs11KeyUnwrapper(token, key_id, None, private.key_size), certificate=cert, check=False
    )
    decryptor = TokenDecryptor(unchecked, trust=TrustStore.apple_root(apple_root_path))
    with pytest.raises(HsmMechanismUnsupportedError):
        decryptor.decrypt(read_token(vector.path / "token.json"), now=vector.signing_time)


def test_threads_share_one_decryptor_with_the_softhsm_key(softhsm, authority, imported) -> None:
    """Issue #12, part 6: more threads than pooled sessions on one TokenDecryptor."""
    merchant, _ = imported
    token = Pkcs11Token(
        softhsm["module"], token_label="merchant", pin_file=softhsm["pin_file"], max_sessions=3
    )
    key = token.merchant_key(
        key_id=merchant.merchant_key.public_key_hash, merchant_id=merchant.merchant_id
    )
    decryptor = TokenDecryptor(key, trust=authority.trust_store())
    pans = [test_pan() for _ in range(40)]
    tokens = [
        mint(sample_payload(pan=pan), recipient=merchant, authority=authority, signing_time=NOW)
        for pan in pans
    ]
    assert pans_decrypted_in_threads(decryptor, tokens, threads=8, now=NOW) == pans
    assert token._opened <= 3


def test_symmetric_key_derived_with_the_softhsm_key(softhsm, authority, imported) -> None:
    """Part 5 with the key in the token: the key holder derives, a PSP decrypts."""
    from applepay_crypto.decryptor import decrypt_with_symmetric_key

    merchant, hsm_key = imported
    token = _token_for(authority, merchant)
    holder = TokenDecryptor(hsm_key, trust=authority.trust_store())
    symmetric = holder.derive_symmetric_key(token, now=NOW)
    result = decrypt_with_symmetric_key(token, symmetric, root=authority.trust_store(), now=NOW)
    expected = TokenDecryptor(merchant.merchant_key, trust=authority.trust_store()).decrypt(
        token, now=NOW
    )
    assert result.payment_data.to_dict() == expected.payment_data.to_dict()


def test_importing_a_key_twice_is_refused(softhsm, imported) -> None:
    from applepay_crypto import ConfigurationError

    merchant, _ = imported
    with pytest.raises(ConfigurationError, match="already holds this key"):
        import_private_key(softhsm["token"], merchant.merchant_key.private_key, label="again")


def test_key_born_in_the_token_gets_a_csr_openssl_verifies_and_its_certificate_stored(
    softhsm, authority, tmp_path
) -> None:
    """Issue #12, part 4 in the library: the CSR is signed inside the token; the
    certificate Apple returns is stored beside the key and names the merchant id."""
    import types

    from cryptography.hazmat.primitives import serialization

    from applepay_crypto import ConfigurationError
    from applepay_crypto.keys import public_key_hash
    from applepay_crypto.keys.pkcs11 import certificate_signing_request, store_certificate
    from applepay_crypto.testing.merchant import payment_processing_certificate

    token = softhsm["token"]
    key_id = generate_private_key(token, label="csr-born")
    csr = certificate_signing_request(token, key_id=key_id, merchant_id="merchant.com.example.hsm2")
    assert csr.is_signature_valid
    assert public_key_hash(csr.public_key()) == key_id  # type: ignore[arg-type]
    path = tmp_path / "request.csr"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    if shutil.which("openssl"):
        checked = subprocess.run(
            ["openssl", "req", "-verify", "-noout", "-in", str(path)],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        assert "verif" in (checked.stdout + checked.stderr).lower()
    public = csr.public_key()
    issued = payment_processing_certificate(
        types.SimpleNamespace(public_key=lambda: public),  # type: ignore[arg-type]
        merchant_id="merchant.com.example.hsm2",
        authority=authority,
    )
    assert store_certificate(token, issued, label="csr-born") == key_id
    with pytest.raises(ConfigurationError, match="already holds a certificate"):
        store_certificate(token, issued, label="csr-born")
    key = token.merchant_key(key_id=key_id)  # merchant id from the stored certificate
    assert key.merchant_id == "merchant.com.example.hsm2"
    payload = sample_payload(pan=test_pan())
    minted = mint(payload, recipient=issued, authority=authority, signing_time=NOW)
    result = TokenDecryptor(key, trust=authority.trust_store()).decrypt(minted, now=NOW)
    assert result.payment_data.to_dict() == payload


def test_certificate_of_a_key_the_token_lacks_is_refused(softhsm, authority) -> None:
    from applepay_crypto.keys.pkcs11 import store_certificate

    stranger = TestMerchant.create(authority, merchant_id="merchant.com.example.stranger")
    with pytest.raises(HsmKeyNotFoundError):
        store_certificate(softhsm["token"], stranger.certificate, label="stranger")


def test_a_pkcs11_uri_names_the_key(softhsm, authority, imported, monkeypatch) -> None:
    """Issue #12, part 3 in the library: RFC 7512 URIs, the PIN from a pin-source file."""
    from urllib.parse import quote

    from applepay_crypto.keys.pkcs11 import merchant_key_from_uri

    merchant, _ = imported
    monkeypatch.setenv("PKCS11_MODULE", softhsm["module"])
    pin = softhsm["pin_file"]
    by_label = f"pkcs11:token=merchant;object=ec?pin-source=file:{pin}"
    by_id = (
        "pkcs11:token=merchant;id="
        + quote(merchant.merchant_key.public_key_hash, safe="")
        + f";pin-source=file://{pin}"
    )
    token = _token_for(authority, merchant)
    for uri in (by_label, by_id):
        key = merchant_key_from_uri(uri, merchant_id=merchant.merchant_id)
        assert key.public_key_hash == merchant.merchant_key.public_key_hash
        result = TokenDecryptor(key, trust=authority.trust_store()).decrypt(token, now=NOW)
        assert result.payment_data.pan.startswith("411111")
