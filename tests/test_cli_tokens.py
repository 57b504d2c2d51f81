"""The applepay-crypto command line: decrypt, verify, inspect, trust; exit codes and JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import Encoding

from applepay_crypto.cli import main
from applepay_crypto.testing import mint, sample_payload

from support import load_real_vector

SIGNED = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.timezone.utc)
AT = "2026-02-02T10:01:00Z"


@pytest.fixture(scope="module")
def files(tmp_path_factory, authority, ec_merchant, rsa_merchant) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("cli")
    authority.save(base / "ca")
    ec_paths = ec_merchant.save(base / "ec")
    rsa_paths = rsa_merchant.save(base / "rsa")
    payload = sample_payload(
        pan="4111111111111111", cryptogram="Q1JZUFRPR1JBTQ==", cardholder_name="Jane"
    )
    ec_token = base / "ec.json"
    ec_token.write_text(
        json.dumps(mint(payload, recipient=ec_merchant, authority=authority, signing_time=SIGNED))
    )
    rsa_token = base / "rsa.json"
    rsa_token.write_text(
        json.dumps(
            {
                "paymentData": mint(
                    payload,
                    recipient=rsa_merchant,
                    authority=authority,
                    version="RSA_v1",
                    signing_time=SIGNED,
                )
            }
        )
    )
    return {
        "root": base / "ca" / "root.pem",
        "ec_key": ec_paths["key"],
        "ec_cert": ec_paths["certificate"],
        "rsa_key": rsa_paths["key"],
        "rsa_cert": rsa_paths["certificate"],
        "ec_token": ec_token,
        "rsa_token": rsa_token,
    }


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_decrypt_masked_by_default(files) -> None:
    result = run(
        "decrypt",
        files["ec_token"],
        "--key",
        files["ec_key"],
        "--cert",
        files["ec_cert"],
        "--root",
        files["root"],
        "--at",
        AT,
    )
    assert result.exit_code == 0, result.output
    assert "411111******1111" in result.output
    assert "4111111111111111" not in result.output and "Q1JZUFRPR1JBTQ==" not in result.output
    assert "not Apple Root CA - G3" in result.output  # the test-root warning (stderr is mixed in)


def test_decrypt_json_shape(files) -> None:
    result = run(
        "decrypt",
        files["rsa_token"],
        "--key",
        files["rsa_key"],
        "--root",
        files["root"],
        "--at",
        AT,
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {
        "verified",
        "version",
        "transaction_id",
        "signing_time",
        "public_key_hash",
        "payment_data",
    }
    assert document["verified"] is True and document["version"] == "RSA_v1"
    assert document["signing_time"] == "2026-02-02T10:00:00Z"
    assert document["payment_data"]["applicationPrimaryAccountNumber"] == "411111******1111"
    assert document["payment_data"]["paymentData"]["onlinePaymentCryptogram"] == "<redacted>"


def test_reveal(files) -> None:
    result = run(
        "decrypt",
        files["ec_token"],
        "--key",
        files["ec_key"],
        "--merchant-id",
        "merchant.com.example.ec",
        "--root",
        files["root"],
        "--at",
        AT,
        "--json",
        "--reveal",
    )
    document = json.loads(result.stdout)
    assert document["payment_data"]["applicationPrimaryAccountNumber"] == "4111111111111111"
    assert document["payment_data"]["paymentData"]["onlinePaymentCryptogram"] == "Q1JZUFRPR1JBTQ=="


def test_keys_pair_with_certs_in_order_for_rotation(files) -> None:
    for token in ("ec_token", "rsa_token"):
        result = run(
            "decrypt",
            files[token],
            "--key",
            files["rsa_key"],
            "--key",
            files["ec_key"],
            "--cert",
            files["rsa_cert"],
            "--cert",
            files["ec_cert"],
            "--root",
            files["root"],
            "--at",
            AT,
            "--json",
        )
        assert result.exit_code == 0, result.output


def test_stdin(files) -> None:
    result = run(
        "decrypt",
        "-",
        "--key",
        files["ec_key"],
        "--cert",
        files["ec_cert"],
        "--root",
        files["root"],
        "--at",
        AT,
        "--json",
        input=files["ec_token"].read_bytes(),
    )
    assert result.exit_code == 0, result.output


def test_rejected_token_exits_1_with_json_error(files) -> None:
    result = run(
        "decrypt",
        files["ec_token"],
        "--key",
        files["ec_key"],
        "--cert",
        files["ec_cert"],
        "--root",
        files["root"],
        "--json",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "signing_time_out_of_window"
    result = run(
        "decrypt",
        files["ec_token"],
        "--key",
        files["rsa_key"],
        "--root",
        files["root"],
        "--at",
        AT,
        "--json",
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "key_not_found"


def test_usage_errors_exit_2(files) -> None:
    assert run("decrypt", files["ec_token"]).exit_code == 2  # --key missing
    assert (
        run("decrypt", files["ec_token"], "--key", files["ec_key"], "--at", "yesterday").exit_code
        == 2
    )
    result = run(
        "decrypt", files["ec_token"], "--key", files["ec_key"], "--json"
    )  # EC key without merchant id
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "invalid_configuration"
    result = run("verify", files["ec_token"], "--json")  # no root installed
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "trust_root_missing"


def test_no_verify_warns_loudly(files, authority) -> None:
    result = run(
        "decrypt",
        files["ec_token"],
        "--key",
        files["ec_key"],
        "--cert",
        files["ec_cert"],
        "--no-verify",
        "--json",
    )
    assert result.exit_code == 0
    assert "NOT checked" in result.stderr
    assert json.loads(result.stdout)["verified"] is False


def test_verify(files) -> None:
    result = run("verify", files["ec_token"], "--root", files["root"], "--at", AT, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["verified"] is True and "payment_data" not in document
    result = run(
        "verify",
        files["ec_token"],
        "--root",
        files["root"],
        "--at",
        "2026-02-02T10:06:00Z",
        "--max-age",
        "10m",
    )
    assert result.exit_code == 0
    result = run(
        "verify",
        files["ec_token"],
        "--root",
        files["root"],
        "--at",
        "2026-02-02T10:06:00Z",
        "--max-age",
        "300",
    )
    assert result.exit_code == 1


def test_inspect(files) -> None:
    result = run("inspect", files["rsa_token"], "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["version"] == "RSA_v1" and info["signing_time"] == "2026-02-02T10:00:00Z"
    assert info["environment"] == "test"
    assert info["signer"]["subject"].endswith("CN=rsa-smp-broker-sign_UC4-TEST")
    assert len(info["certificates"]) == 2


def test_real_token_through_the_cli(apple_root_path) -> None:
    vector = load_real_vector("basistheory-rsa-2024")
    at = vector.meta["signing_time"]
    result = run(
        "decrypt",
        vector.path / "token.json",
        "--key",
        vector.path / "merchant_key.pem",
        "--cert",
        vector.path / "merchant_cert.pem",
        "--root",
        apple_root_path,
        "--at",
        at,
        "--json",
        "--reveal",
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # Apple's root: no test-root warning
    assert json.loads(result.stdout)["payment_data"] == vector.expected()
    info = json.loads(run("inspect", vector.path / "token.json", "--json").stdout)
    assert info["environment"] == "production"


def test_trust_install_and_show(apple_root_path, authority, tmp_path) -> None:
    result = run("trust", "install", "--from", apple_root_path)
    assert result.exit_code == 0, result.output
    result = run("trust", "show", "--json")
    assert (
        json.loads(result.stdout)["sha256"]
        == "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179"
    )
    fake = tmp_path / "fake.cer"
    fake.write_bytes(authority.root.certificate.public_bytes(Encoding.DER))
    result = run("trust", "install", "--from", fake, "--to", tmp_path / "x.cer", "--json")
    assert result.exit_code == 2  # issue #14: a wrong file to install is a setup error
    assert json.loads(result.stdout)["error"]["code"] == "untrusted_root"
