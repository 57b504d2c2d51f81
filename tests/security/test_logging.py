"""Issue #14, item 10: what the packages log, and that it is never card data.

Every vector in vectors/ and ../shared/vectors/real is run with every record of the
``applepay_crypto`` and ``paykka_sign`` loggers captured (DEBUG and up): no record holds a
card number, cryptogram, EMV data, PIN data or cardholder name of the vector; a rejection
is logged once, as its code; a decryption names the key by publicKeyHash. Replay
decisions and key-file warnings are logged too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

import paykka_sign
from applepay_crypto import (
    ApplePayError,
    MemoryReplayGuard,
    MerchantKey,
    ReplayedTransactionError,
    TokenDecryptor,
    TrustStore,
    load_apple_root,
)
from applepay_crypto.keys import load_private_key
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from applepay_crypto.testing.vectors import load_vector, run_vector, vector_files
from paykka_sign import PaykkaV12Signer, PaykkaV12Verifier
from paykka_sign.applepay_requests import paykka_decrypted_payment

from support import APPLE_ROOT_PATH, REPO, load_real_vector, real_vector_names, require_shared

LOGGERS = ("applepay_crypto", "paykka_sign")
#: The payload fields that are card data (Apple's names), at any depth.
CARD_FIELDS = {
    "applicationPrimaryAccountNumber",
    "onlinePaymentCryptogram",
    "emvData",
    "encryptedPINData",
    "cardholderName",
}
VECTOR_FILES = vector_files(REPO / "vectors")


class Captured:
    """The records of the test's call phase (caplog's list changes between phases)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog

    def __iter__(self) -> Any:
        return iter(self.caplog.records)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Any:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return Captured(caplog)


def _texts(records: Any) -> list[str]:
    return [
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''} {r.stack_info or ''}"
        for r in records
        if r.name.split(".")[0] in LOGGERS
    ]


def _card_values(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CARD_FIELDS and isinstance(item, str) and len(item) >= 4:
                found.add(item)
            found |= _card_values(item)
    elif isinstance(value, list):
        for item in value:
            found |= _card_values(item)
    return found


def _assert_no_card_data(records: Any, secrets: set[str]) -> None:
    for text in _texts(records):
        for secret in secrets:
            assert secret not in text, f"card data in a log record: {text[:200]}"


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_vectors_log_codes_and_key_hashes_never_card_data(path: Path, records: Any) -> None:
    vector = load_vector(path)
    apple_root = None
    if vector["trust"].get("apple"):
        apple_root = load_apple_root(require_shared(APPLE_ROOT_PATH))
    outcome = run_vector(vector, apple_root=apple_root)
    assert outcome == vector["expected"]
    secrets = _card_values(vector["expected"].get("payment_data", {}))
    secrets |= _card_values(vector.get("payload", {}))
    _assert_no_card_data(records, secrets)
    texts = _texts(records)
    if "error" in outcome:
        rejected = [t for t in texts if " rejected: " in t]
        assert len(rejected) == 1, texts
        assert f"token rejected: {outcome['error']}" in rejected[0]
    elif vector["keys"]:
        assert any("publicKeyHash" in t for t in texts), texts


@pytest.mark.parametrize("name", real_vector_names())
def test_real_vectors_log_no_card_data(name: str, records: Any) -> None:
    vector = load_real_vector(name)
    if not vector.decryptable:
        pytest.skip(f"{name}: no merchant key is public; signature-only vector")
    key = MerchantKey.load(
        vector.path / "merchant_key.pem", certificate=vector.path / "merchant_cert.pem"
    )
    trust = TrustStore.apple_root(require_shared(APPLE_ROOT_PATH))
    token = json.loads((vector.path / "token.json").read_text())
    decryptor = TokenDecryptor(key, trust=trust, replay_guard=MemoryReplayGuard(
        clock=lambda: vector.signing_time))  # fmt: skip
    result = decryptor.decrypt(token, now=vector.signing_time)
    with pytest.raises(ReplayedTransactionError):
        decryptor.decrypt(token, now=vector.signing_time)
    with pytest.raises(ApplePayError):  # a recorded token verified now: out of its window
        TokenDecryptor(key, trust=trust).decrypt(token)
    secrets = _card_values(vector.expected()) | _card_values(result.payment_data.to_dict())
    assert secrets, "the vector has card data to look for"
    _assert_no_card_data(records, secrets)
    texts = _texts(records)
    assert any(result.public_key_hash_b64 in t for t in texts)
    assert any("replay refused" in t for t in texts)
    assert any("replay guard: transactionId" in t for t in texts)
    assert sum(" rejected: " in t for t in texts) == 2  # the replay, the window


def test_replay_decisions_and_charging_are_logged(records: Any) -> None:
    authority = TestAuthority.create()
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.logs")
    now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
    pan, cryptogram = "4111111111111111", "AgAAAAAABk4DWZ4C28yUQAAAAAA="
    payload = sample_payload(pan=pan, cryptogram=cryptogram, amount=1000, currency_code="978")
    token = mint(payload, recipient=merchant, authority=authority, signing_time=now)
    trust = TrustStore.for_test_roots(authority.root.certificate)
    decrypted = TokenDecryptor(merchant.merchant_key, trust=trust).decrypt(token, now=now)
    guard = MemoryReplayGuard(clock=lambda: now)
    paykka_decrypted_payment(decrypted, amount=1000, currency="EUR", replay_guard=guard)
    with pytest.raises(ReplayedTransactionError):
        paykka_decrypted_payment(decrypted, amount=1000, currency="EUR", replay_guard=guard)
    _assert_no_card_data(records, {pan, cryptogram})
    by_logger = {(r.name, r.levelname, r.getMessage()) for r in records}
    assert any(
        n == "paykka_sign.applepay_requests" and lvl == "WARNING" and "replayed_transaction" in m
        for n, lvl, m in by_logger
    )
    assert any(
        n == "paykka_sign.applepay_requests" and "first time" in m for n, lvl, m in by_logger
    )
    assert any(n == "applepay_crypto.replay" and "replay refused" in m for n, lvl, m in by_logger)


def test_paykka_rejections_are_logged_by_code(rsa_key: Any, records: Any) -> None:
    body = b'{"merchant_id":"M","timestamp":1700805506000,"card_no":"4111111111111111"}'
    signed = PaykkaV12Signer(rsa_key).sign(body)
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M")
    with pytest.raises(paykka_sign.SignatureInvalidError):
        verifier.verify(signed.headers, body.replace(b"M", b"N", 1))
    with pytest.raises(paykka_sign.RecipientMismatchError):
        PaykkaV12Verifier(rsa_key.public_key(), merchant_id="X").verify(signed.headers, body)
    messages = [r.getMessage() for r in records if r.name == "paykka_sign.paykka_v12"]
    assert messages == [
        "message rejected: signature_invalid",
        "message rejected: recipient_mismatch",
    ]
    _assert_no_card_data(records, {"4111111111111111"})


def test_key_file_warnings_are_logged(tmp_path: Path, rsa_key: Any, records: Any) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o644)
    with pytest.warns(UserWarning):
        load_private_key(path)
    paykka_sign.read_private_key(path)
    names = [
        (r.name, r.levelname) for r in records if "accessible to other users" in r.getMessage()
    ]
    assert names == [("applepay_crypto.keys.files", "WARNING"), ("paykka_sign.keys", "WARNING")]
    for text in _texts(records):
        assert "PRIVATE KEY" not in text


@pytest.fixture(scope="module")
def rsa_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_the_packages_add_a_null_handler_only() -> None:
    for name in LOGGERS:
        handlers = logging.getLogger(name).handlers
        assert [type(h) for h in handlers] == [logging.NullHandler]
