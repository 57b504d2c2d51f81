"""doctor: every failure becomes a finding with a code, in plain words; never the card number."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from certs_support import REAL_WITH_KEYS, real, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applepay_crypto.doctor import Diagnosis, diagnose
from applepay_crypto.keys import load_private_key
from applepay_crypto.testing import (
    TestMerchant,
    mint,
    payment_processing_certificate,
    sample_payload,
)

# Inside the validity of the stand-in certificates the session fixtures create today.
SIGNED = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).replace(
    minute=0, second=0, microsecond=0
)
SIGNED_ISO = SIGNED.isoformat().replace("+00:00", "Z")
AT_ISO = (SIGNED + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
AT = SIGNED + dt.timedelta(minutes=1)
PAN = "4111111111111111"


def steps(result: Diagnosis) -> list[tuple[str, str, str]]:
    return [(f.step, f.status, f.code) for f in result.findings]


def problem(result: Diagnosis, step: str):
    (found,) = [f for f in result.findings if f.step == step and f.status == "problem"]
    return found


@pytest.fixture(scope="module")
def ec_token(authority, ec_merchant) -> dict:
    return mint(
        sample_payload(pan=PAN), recipient=ec_merchant, authority=authority, signing_time=SIGNED
    )


@pytest.fixture(scope="module")
def rsa_token(authority, rsa_merchant) -> dict:
    return mint(
        sample_payload(pan=PAN),
        recipient=rsa_merchant,
        authority=authority,
        version="RSA_v1",
        signing_time=SIGNED,
    )


ALL_GOOD = [
    ("token", "ok", "ok"),
    ("1 CMS", "ok", "ok"),
    ("1.a OIDs", "ok", "ok"),
    ("1.b root", "ok", "ok"),
    ("1.c chain", "ok", "ok"),
    ("1.d signature", "ok", "ok"),
    ("1.e signing time", "ok", "ok"),
]


@pytest.mark.parametrize("vector", REAL_WITH_KEYS, indirect=True)
def test_real_tokens_verify_and_decrypt(vector, apple_root_path) -> None:
    key = vector.path / "merchant_key.pem"
    result = diagnose(
        vector.path / "token.json",
        keys=[key],
        certificates=[vector.path / "merchant_cert.pem"],
        root=apple_root_path,
        now=vector.signing_time,
    )
    assert result.ok and result.verified and result.decrypted
    assert steps(result) == [
        *ALL_GOOD,
        (f"key 1 ({key})", "ok", "ok"),
        ("publicKeyHash", "ok", "ok"),
        ("decryption", "ok", "ok"),
    ]
    pan = vector.expected()["applicationPrimaryAccountNumber"]
    assert pan not in json.dumps(result.to_json_dict())
    (chain,) = [f.message for f in result.findings if f.step == "1.c chain"]
    assert chain == (
        "the chain leads to the trusted root and was valid at the signing time "
        + vector.meta["signing_time"]
    )


def test_real_token_years_later(apple_root_path) -> None:
    vector = real("gala-prod-2021")
    result = diagnose(
        vector.path / "token.json",
        keys=[vector.path / "merchant_key.pem"],
        certificates=[vector.path / "merchant_cert.pem"],
        root=apple_root_path,
        now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    )
    assert result.decrypted and not result.verified
    (chain,) = [f for f in result.findings if f.step == "1.c chain"]
    assert chain.status == "ok"
    assert chain.message.endswith(
        "which is normal for a recorded token: the chain is checked at the signing time"
    )
    late = problem(result, "1.e signing time")
    assert "1582.2 d before the verification time" in late.message


def test_real_token_without_root_and_hours_late(tmp_path) -> None:
    vector = real("basistheory-ec-new-2023")
    result = diagnose(
        vector.path / "token.json",
        keys=[vector.path / "merchant_key.pem"],
        merchant_id="merchant.basistheory.sales",
        now=vector.signing_time + dt.timedelta(hours=3),
    )
    assert not result.verified and result.decrypted
    root = problem(result, "1.b root")
    assert root.code == "trust_root_missing"
    assert "applepay-crypto trust install" in root.message
    assert ("1.c chain", "skipped", "skipped") in steps(result)
    late = problem(result, "1.e signing time")
    assert late.code == "signing_time_out_of_window"
    assert "3 h before the verification time" in late.message
    assert late.fix.endswith("--at 2023-09-13T13:49:38Z (in code: now=).")


def test_identity_certificate_instead_of_processing(ec_token, identity) -> None:
    result = diagnose(ec_token, keys=[identity.key], certificates=[identity.certificate], now=AT)
    key = problem(result, "key 1")
    assert key.code == "invalid_configuration"
    assert key.message.startswith("the certificate is a merchant identity certificate")
    assert "Apple never encrypts tokens to it" in key.message
    missing = problem(result, "publicKeyHash")
    assert missing.code == "key_not_found"
    assert "This is an EC_v1 token: it needs an EC P-256 payment processing key" in missing.message
    assert ("decryption", "skipped", "skipped") in steps(result)
    assert not result.ok


def test_merchant_id_differs_from_the_certificate(ec_token, ec_merchant, authority) -> None:
    result = diagnose(
        ec_token,
        keys=[ec_merchant.private_key],
        certificates=[ec_merchant.certificate],
        merchant_id="merchant.com.typo",
        root=authority.trust_store(),
        now=AT,
    )
    assert result.verified and not result.decrypted
    assert problem(result, "key 1").message == (
        "the merchant id given ('merchant.com.typo') differs from the certificate's "
        "('merchant.com.example.ec')"
    )
    assert problem(result, "decryption").message == (
        "the token decrypts with the certificate's merchant id extension, not with the merchant "
        "id given ('merchant.com.typo')"
    )


def test_wrong_merchant_id_without_certificate(ec_token, ec_merchant, authority) -> None:
    result = diagnose(
        ec_token,
        keys=[ec_merchant.private_key],
        merchant_id="merchant.com.typo",
        root=authority.trust_store(),
        now=AT,
    )
    failed = problem(result, "decryption")
    assert failed.code == "decryption_failed"
    assert failed.message == (
        "the key is the right one (its publicKeyHash matches) but AES-GCM rejected the data with "
        "the merchant id given ('merchant.com.typo'): EC_v1 derives the key from the SHA-256 of "
        "the merchant identifier, so the identifier is not the one the token was made for"
    )
    no_id = diagnose(ec_token, keys=[ec_merchant.private_key], root=authority.trust_store(), now=AT)
    assert problem(no_id, "decryption").code == "invalid_configuration"


def test_renewed_certificate_key_not_found(ec_token, ec_merchant, authority) -> None:
    renewed = TestMerchant.create(authority, merchant_id="merchant.com.example.ec")
    result = diagnose(
        ec_token,
        keys=[renewed.private_key],
        certificates=[ec_merchant.certificate],
        root=authority.trust_store(),
        now=AT,
    )
    missing = problem(result, "publicKeyHash")
    wanted = ec_token["header"]["publicKeyHash"]
    assert missing.message.startswith(
        f"the token was encrypted to the key with publicKeyHash {wanted}; key 1: "
        f"{renewed.merchant_key.public_key_hash_b64} (EC P-256)"
    )
    assert missing.message.endswith(
        "The certificate given with key 1 has it: find the private key that belongs to that "
        "certificate"
    )
    assert problem(result, "key 1").message == "the certificate does not belong to this private key"


def test_rsa_token_with_ec_keys(rsa_token, ec_merchant, authority) -> None:
    result = diagnose(
        rsa_token, keys=[ec_merchant.private_key], root=authority.trust_store(), now=AT
    )
    assert "This is an RSA_v1 token (China): it needs the RSA-2048 payment processing key" in (
        problem(result, "publicKeyHash").message
    )
    no_keys = diagnose(rsa_token, now=AT)
    assert problem(no_keys, "publicKeyHash").message.endswith("no usable key was given")


def test_leaf_expired_at_signing_time(authority, ec_merchant) -> None:
    expired = authority.with_leaves(
        not_before=SIGNED - dt.timedelta(days=400), not_after=SIGNED - dt.timedelta(days=10)
    )
    token = mint(sample_payload(), recipient=ec_merchant, authority=expired, signing_time=SIGNED)
    result = diagnose(
        token,
        keys=[ec_merchant.private_key],
        certificates=[ec_merchant.certificate],
        root=authority.trust_store(),
        now=AT,
    )
    chain = problem(result, "1.c chain")
    assert chain.code == "certificate_invalid"
    assert chain.message.startswith(
        "Apple's signing (leaf) certificate (ecc-smp-broker-sign_UC4-TEST) had expired when the "
        "token was signed: it expired at "
    )
    assert f", 10 days before the signing time {SIGNED_ISO}" in chain.message
    assert result.decrypted and not result.verified


def test_altered_token(ec_token, ec_merchant, authority) -> None:
    data = bytearray(base64.b64decode(ec_token["data"]))
    data[0] ^= 1
    altered = {**ec_token, "data": base64.b64encode(bytes(data)).decode()}
    result = diagnose(
        altered,
        keys=[ec_merchant.private_key],
        certificates=[ec_merchant.certificate],
        root=authority.trust_store(),
        now=AT,
    )
    assert problem(result, "1.d signature").code == "signature_invalid"
    failed = problem(result, "decryption")
    assert failed.code == "decryption_failed"
    assert failed.message.endswith("(or the token was altered: see step 1.d)")


def test_test_token_against_apple_root(ec_token, ec_merchant, apple_root_path) -> None:
    result = diagnose(
        ec_token,
        keys=[ec_merchant.private_key],
        certificates=[ec_merchant.certificate],
        root=apple_root_path,
        now=AT,
    )
    assert problem(result, "1.c chain").code == "untrusted_root"
    assert result.decrypted and not result.verified


def test_bad_inputs_become_findings(tmp_path, ec_token) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    result = diagnose(ec_token, keys=[junk], now=AT)
    assert problem(result, f"key 1 ({junk})").code == "invalid_configuration"
    malformed = diagnose(b'{"version": "EC_v1"}', keys=[junk])
    assert steps(malformed) == [("token", "problem", "malformed_token")]
    assert not malformed.ok and malformed.version is None
    missing = diagnose(tmp_path / "absent.json")
    assert steps(missing) == [("token", "problem", "malformed_token")]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_never_raises(garbage) -> None:
    assert not diagnose(garbage).ok


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, authority, ec_merchant, ec_token) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("doctor")
    authority.save(base / "ca")
    files = ec_merchant.save(base / "merchant")
    token = base / "token.json"
    token.write_text(json.dumps(ec_token))
    return {"token": token, "root": base / "ca" / "root.pem", **files}


def test_cli_ok_and_json(cli_files) -> None:
    args = [
        "doctor",
        cli_files["token"],
        "--key",
        cli_files["key"],
        "--cert",
        cli_files["certificate"],
        "--root",
        cli_files["root"],
        "--at",
        AT_ISO,
    ]
    result = run(*args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"EC_v1 token for publicKeyHash {cli_files_hash(cli_files)}, signed {SIGNED_ISO}"
    )
    assert lines[-1] == "result: the token verifies and decrypts"
    assert PAN not in result.output
    document = json.loads(run(*args, "--json").stdout)
    assert document["ok"] is True
    assert [f["status"] for f in document["findings"]].count("ok") == 9
    assert [f["step"] for f in document["findings"] if f["status"] == "warning"] == ["1.b root"]


def cli_files_hash(files: dict[str, Path]) -> str:
    return json.loads(files["token"].read_text())["header"]["publicKeyHash"]


def test_cli_problems_exit_1(cli_files, identity, tmp_path) -> None:
    result = run(
        "doctor",
        cli_files["token"],
        "--key",
        cli_files["key"],
        "--merchant-id",
        "merchant.com.typo",
        "--at",
        AT_ISO,
    )
    assert result.exit_code == 1
    assert "PROBLEM  1.b root" in result.stdout
    assert "[decryption_failed]" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "result: the token does NOT verify and does NOT decrypt (problems: 1.b root, decryption)"
    )
    too_many = run("doctor", cli_files["token"], "--cert", cli_files["certificate"])
    assert too_many.exit_code == 2


def test_certificate_not_valid_at_signing_time_is_a_warning(apple_root_path) -> None:
    vector = real("basistheory-ec-new-2023")
    key = load_private_key(vector.path / "merchant_key.pem")
    today = payment_processing_certificate(
        key, merchant_id="merchant.basistheory.sales", authority=None
    )
    result = diagnose(
        vector.path / "token.json",
        keys=[key],
        certificates=[today],
        root=apple_root_path,
        now=vector.signing_time,
    )
    assert result.ok
    (warning,) = [f for f in result.findings if f.status == "warning"]
    assert (warning.step, warning.code) == ("key 1", "certificate_invalid")
    assert warning.message.startswith("the certificate was not valid when the token was signed")
