"""test-ca new, mint, then decrypt: the whole test-token flow through the command line."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from applepay_crypto.cli import main
from applepay_crypto.testing import TestAuthority, TestMerchant


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("mint")
    result = run("test-ca", "new", base / "ca")
    assert result.exit_code == 0, result.output
    authority = TestAuthority.load(base / "ca")
    merchants = {
        kind: TestMerchant.create(
            authority, merchant_id=f"merchant.com.example.{kind}", key_type=kind
        ).save(base / kind)
        for kind in ("ec", "rsa")
    }
    return base, merchants


def test_ca_files_and_modes(setup) -> None:
    base, _ = setup
    for stem in ("root", "intermediate", "leaf-ec", "leaf-rsa"):
        assert (base / "ca" / f"{stem}.pem").is_file()
        assert stat.S_IMODE(os.stat(base / "ca" / f"{stem}.key").st_mode) == 0o600
    again = run("test-ca", "new", base / "ca")
    assert again.exit_code == 2 and "already holds" in again.output


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_mint_then_decrypt(setup, kind) -> None:
    base, merchants = setup
    paths = merchants[kind]
    payload = base / "payload.json"
    payload.write_text(
        json.dumps(
            {
                "applicationPrimaryAccountNumber": "5555555555554444",
                "applicationExpirationDate": "300131",
                "currencyCode": "826",
                "transactionAmount": 4599,
                "cardholderName": "J Doe",
                "paymentDataType": "3DSecure",
                "paymentData": {"onlinePaymentCryptogram": "AAAAAA==", "eciIndicator": "7"},
                "custom": [1, 2],
            }
        )
    )
    minted = run(
        "mint",
        "--ca",
        base / "ca",
        "--cert",
        paths["certificate"],
        "--payload",
        payload,
        "--at",
        "2026-05-05T05:05:05Z",
        "--application-data",
        "ab" * 32,
        "--transaction-id",
        "C0FFEE" * 10 + "0000",
    )
    assert minted.exit_code == 0, minted.output
    token = json.loads(minted.stdout)
    assert token["version"] == ("EC_v1" if kind == "ec" else "RSA_v1")
    assert (
        token["header"]["transactionId"] == "C0FFEE" * 10 + "0000"
        and token["header"]["applicationData"] == "ab" * 32
    )
    decrypted = run(
        "decrypt",
        "-",
        "--key",
        paths["key"],
        "--cert",
        paths["certificate"],
        "--root",
        base / "ca" / "root.pem",
        "--at",
        "2026-05-05T05:06:00Z",
        "--json",
        "--reveal",
        input=minted.stdout,
    )
    assert decrypted.exit_code == 0, decrypted.output
    document = json.loads(decrypted.stdout)
    assert document["payment_data"] == json.loads(payload.read_text())
    assert document["signing_time"] == "2026-05-05T05:05:05Z"
    assert document["transaction_id"] == ("C0FFEE" * 10 + "0000").lower()  # review (#11)


@pytest.mark.parametrize("wrap", ["pkpaymenttoken", "applepay-js", "base64"])
def test_wrapped_shapes_decrypt(setup, wrap) -> None:
    base, merchants = setup
    paths = merchants["ec"]
    minted = run("mint", "--ca", base / "ca", "--cert", paths["certificate"], "--wrap", wrap)
    assert minted.exit_code == 0, minted.output
    decrypted = run(
        "decrypt",
        "-",
        "--key",
        paths["key"],
        "--cert",
        paths["certificate"],
        "--root",
        base / "ca" / "root.pem",
        "--json",
        input=minted.stdout,
    )
    assert decrypted.exit_code == 0, decrypted.output
    assert (
        json.loads(decrypted.stdout)["payment_data"]["applicationPrimaryAccountNumber"]
        == "411111******1111"
    )


def test_wrong_merchant_id_mints_an_undecryptable_token(setup) -> None:
    base, merchants = setup
    paths = merchants["ec"]
    minted = run(
        "mint",
        "--ca",
        base / "ca",
        "--cert",
        paths["certificate"],
        "--merchant-id",
        "merchant.com.other",
    )
    decrypted = run(
        "decrypt",
        "-",
        "--key",
        paths["key"],
        "--cert",
        paths["certificate"],
        "--root",
        base / "ca" / "root.pem",
        "--json",
        input=minted.stdout,
    )
    assert decrypted.exit_code == 1
    assert json.loads(decrypted.stdout)["error"]["code"] == "decryption_failed"


def test_bad_options(setup) -> None:
    base, merchants = setup
    cert = merchants["ec"]["certificate"]
    assert (
        run("mint", "--ca", base / "ca", "--cert", cert, "--application-data", "xyz").exit_code == 2
    )
    assert run("mint", "--ca", base / "ca", "--cert", cert, "--version", "RSA_v1").exit_code == 2
