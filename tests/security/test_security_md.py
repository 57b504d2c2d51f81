"""SECURITY.md names real code: every function it points at exists."""

from __future__ import annotations

import importlib

import pytest

from support import REPO

# (name as written in SECURITY.md, module, attribute path)
REFERENCES = [
    ("signature.check_certificate_oids", "applepay_crypto.signature", "check_certificate_oids"),
    ("trust.check_apple_root", "applepay_crypto.trust", "check_apple_root"),
    ("TrustStore.apple_root", "applepay_crypto.trust", "TrustStore.apple_root"),
    ("TrustStore.validate_chain", "applepay_crypto.trust", "TrustStore.validate_chain"),
    ("trust.check_apple_path", "applepay_crypto.trust", "check_apple_path"),
    ("signature.check_message_digest", "applepay_crypto.signature", "check_message_digest"),
    ("signature.check_signer_signature", "applepay_crypto.signature", "check_signer_signature"),
    ("signature.check_signing_time", "applepay_crypto.signature", "check_signing_time"),
    ("TokenVerifier.verify", "applepay_crypto.signature", "TokenVerifier.verify"),
    ("TokenDecryptor.decrypt", "applepay_crypto.decryptor", "TokenDecryptor.decrypt"),
    ("ber.check_ber", "applepay_crypto.ber", "check_ber"),
    ("token.MAX_TOKEN_BYTES", "applepay_crypto.token", "MAX_TOKEN_BYTES"),
    ("keys.InsecureKeyFileWarning", "applepay_crypto.keys", "InsecureKeyFileWarning"),
    ("MemoryReplayGuard", "applepay_crypto.replay", "MemoryReplayGuard"),
    ("SQLiteReplayGuard(path)", "applepay_crypto.replay", "SQLiteReplayGuard"),
    (
        "replay_redis.RedisReplayGuard.from_url",
        "applepay_crypto.replay_redis",
        "RedisReplayGuard.from_url",
    ),
    ("save_private_key", "applepay_crypto.keys", "save_private_key"),
    ("masking.PAYMENT_DATA", "applepay_crypto.masking", "PAYMENT_DATA"),
    ("PaymentData.from_json", "applepay_crypto.payment_data", "PaymentData.from_json"),
    ("payment_data.MAX_PAYLOAD_DEPTH", "applepay_crypto.payment_data", "MAX_PAYLOAD_DEPTH"),
    (
        "applepay_requests.PAYKKA_REQUEST",
        "paykka_sign.applepay_requests",
        "PAYKKA_REQUEST",
    ),
    (
        "applepay_requests.YABANDPAY_REQUEST",
        "paykka_sign.applepay_requests",
        "YABANDPAY_REQUEST",
    ),
    ("PaykkaV3Verifier.verify", "paykka_sign.paykka_v3", "PaykkaV3Verifier.verify"),
    ("PaykkaV12Verifier", "paykka_sign.paykka_v12", "PaykkaV12Verifier"),
    (
        "YabandPaySigner.verify_notification",
        "paykka_sign.yabandpay",
        "YabandPaySigner.verify_notification",
    ),
    ("InMemoryNonceStore", "paykka_sign.replay", "InMemoryNonceStore"),
    ("NonceStore", "paykka_sign.replay", "NonceStore"),
    ("paykka_sign.keys.write_private_key", "paykka_sign.keys", "write_private_key"),
]


@pytest.mark.parametrize(("written", "module", "path"), REFERENCES, ids=[r[0] for r in REFERENCES])
def test_security_md_references_exist(written: str, module: str, path: str) -> None:
    assert f"`{written}" in (REPO / "SECURITY.md").read_text()
    target: object = importlib.import_module(module)
    for part in path.split("."):
        target = getattr(target, part)
