"""cert convert: .cer to PEM, key + certificate to .p12, .p12 to PEM; 0600 keys; openssl agrees."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from certs_support import REAL_WITH_KEYS, run, run_openssl
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from applepay_crypto.errors import ConfigurationError
from applepay_crypto.keys import load_certificate, load_private_key, public_key_hash
from applepay_crypto.merchant.certfiles import (
    convert_certificate,
    export_pkcs12,
    load_pkcs12,
    read_certificate_file,
    split_pkcs12,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def merchant_files(tmp_path, ec_merchant) -> dict[str, Path]:
    return ec_merchant.save(tmp_path / "merchant")


@pytest.mark.parametrize("vector", REAL_WITH_KEYS, indirect=True)
def test_real_cer_to_pem_matches_openssl(tmp_path, vector) -> None:
    cert = load_certificate(vector.path / "merchant_cert.pem")
    cer = tmp_path / "apple_pay.cer"  # what Apple's portal hands out: DER
    cer.write_bytes(cert.public_bytes(serialization.Encoding.DER))
    pem = convert_certificate(cer, tmp_path / "merchant.pem")
    assert load_certificate(pem) == cert
    expected = run_openssl("x509", "-inform", "der", "-in", cer, "-outform", "pem").stdout
    assert pem.read_bytes() == expected


@pytest.mark.parametrize(
    "vector", ["basistheory-ec-new-2023", "basistheory-rsa-2024"], indirect=True
)
def test_real_key_and_certificate_to_p12_read_by_openssl(tmp_path, vector) -> None:
    p12 = export_pkcs12(
        vector.path / "merchant_key.pem",
        vector.path / "merchant_cert.pem",
        tmp_path / "merchant.p12",
        password=b"correct horse",
        name="Apple Pay Payment Processing",
    )
    assert mode(p12) == 0o600
    out = run_openssl("pkcs12", "-in", p12, "-passin", "pass:correct horse", "-nodes").stdout
    cert_pem = out[out.index(b"-----BEGIN CERTIFICATE-----") :]
    key_pem = out[
        out.index(b"-----BEGIN PRIVATE KEY-----") : out.index(b"-----END PRIVATE KEY-----") + 25
    ]
    assert x509.load_pem_x509_certificate(cert_pem) == load_certificate(
        vector.path / "merchant_cert.pem"
    )
    assert public_key_hash(load_private_key(key_pem)) == public_key_hash(
        load_private_key(vector.path / "merchant_key.pem")
    )


def test_legacy_p12_is_read_by_openssl(tmp_path, merchant_files) -> None:
    p12 = export_pkcs12(
        merchant_files["key"],
        merchant_files["certificate"],
        tmp_path / "legacy.p12",
        password=b"pw",
        legacy=True,
    )
    info = run_openssl("pkcs12", "-in", p12, "-passin", "pass:pw", "-info", "-noout").stderr
    assert b"pbeWithSHA1And3-KeyTripleDES-CBC" in info
    assert load_pkcs12(p12.read_bytes(), password=b"pw").private_key is not None


def test_openssl_made_p12_splits_into_pem_files(tmp_path, merchant_files, ec_merchant) -> None:
    p12 = tmp_path / "from-openssl.p12"
    run_openssl(
        "pkcs12",
        "-export",
        "-inkey",
        merchant_files["key"],
        "-in",
        merchant_files["certificate"],
        "-passout",
        "pass:s3cret",
        "-out",
        p12,
    )
    written = split_pkcs12(
        p12, password=b"s3cret", certificate_out=tmp_path / "c.pem", key_out=tmp_path / "k.pem"
    )
    assert mode(written["key"]) == 0o600
    assert load_certificate(written["certificate"]) == ec_merchant.certificate
    assert public_key_hash(load_private_key(written["key"])) == public_key_hash(
        ec_merchant.private_key
    )


def test_p12_without_password_and_with_the_wrong_one(tmp_path, merchant_files) -> None:
    empty = tmp_path / "empty.p12"  # what Keychain writes when the password is left blank
    run_openssl(
        "pkcs12",
        "-export",
        "-inkey",
        merchant_files["key"],
        "-in",
        merchant_files["certificate"],
        "-passout",
        "pass:",
        "-out",
        empty,
    )
    assert read_certificate_file(empty).private_key is not None
    protected = export_pkcs12(
        merchant_files["key"], merchant_files["certificate"], tmp_path / "p.p12", password=b"right"
    )
    with pytest.raises(ConfigurationError, match="cannot open the PKCS#12 file: give its password"):
        read_certificate_file(protected)
    with pytest.raises(ConfigurationError, match="is the password right"):
        read_certificate_file(protected, password=b"wrong")


def test_p12_refuses_a_key_of_another_certificate(tmp_path, merchant_files, rsa_merchant) -> None:
    with pytest.raises(ConfigurationError, match="does not belong to the certificate"):
        export_pkcs12(
            merchant_files["key"], rsa_merchant.certificate, tmp_path / "x.p12", password=b"pw"
        )
    assert not (tmp_path / "x.p12").exists()


def test_never_overwrites_unless_asked(tmp_path, merchant_files) -> None:
    target = tmp_path / "existing.pem"
    target.write_text("keep me")
    with pytest.raises(ConfigurationError, match="refusing to overwrite"):
        convert_certificate(merchant_files["certificate"], target)
    assert target.read_text() == "keep me"
    convert_certificate(merchant_files["certificate"], target, overwrite=True)
    assert target.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_cli_round_trip(tmp_path, merchant_files, ec_merchant) -> None:
    cer = tmp_path / "apple_pay.cer"
    assert run("cert", "convert", merchant_files["certificate"], "--out", cer).exit_code == 0
    assert cer.read_bytes() == ec_merchant.certificate.public_bytes(serialization.Encoding.DER)

    pem = tmp_path / "from-cer.pem"
    result = run("cert", "convert", cer, "--out", pem)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {pem} (certificate, PEM)\n"

    p12 = tmp_path / "bundle.p12"
    result = run(
        "cert", "convert", pem, "--key", merchant_files["key"], "--out", p12, "--password", "pw"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {p12} (PKCS#12 with the private key, mode 0600)\n"
    assert mode(p12) == 0o600

    key_out, cert_out = tmp_path / "split.key", tmp_path / "split.pem"
    result = run(
        "cert",
        "convert",
        p12,
        "--out",
        cert_out,
        "--key-out",
        key_out,
        "--password",
        "pw",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "written": [
            {"path": str(cert_out), "what": "certificate, PEM"},
            {"path": str(key_out), "what": "EC P-256 private key, PKCS#8 PEM, mode 0600"},
        ]
    }
    assert mode(key_out) == 0o600
    assert load_certificate(cert_out) == ec_merchant.certificate
    assert public_key_hash(load_private_key(key_out)) == public_key_hash(ec_merchant.private_key)


def test_cli_p12_password_prompt_and_env(tmp_path, merchant_files, monkeypatch) -> None:
    p12 = tmp_path / "prompted.p12"
    result = run(
        "cert",
        "convert",
        merchant_files["certificate"],
        "--key",
        merchant_files["key"],
        "--out",
        p12,
        input="typed\ntyped\n",
    )
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("APPLEPAY_P12_PASSWORD", "typed")
    assert run("cert", "inspect", p12, "--json").exit_code == 0


def test_cli_usage_errors(tmp_path, merchant_files) -> None:
    unknown = run("cert", "convert", merchant_files["certificate"], "--out", tmp_path / "x.bin")
    assert unknown.exit_code == 2
    assert "add --to pem|der|p12" in unknown.output
    no_key = run(
        "cert",
        "convert",
        merchant_files["certificate"],
        "--out",
        tmp_path / "x.p12",
        "--password",
        "pw",
    )
    assert no_key.exit_code == 2
    assert "a .p12 needs the private key: add --key KEY" in no_key.output
    exists = run(
        "cert",
        "convert",
        merchant_files["certificate"],
        "--to",
        "pem",
        "--out",
        merchant_files["csr"],
    )
    assert exists.exit_code == 2 and "refusing to overwrite" in exists.output
    forced = run(
        "cert",
        "convert",
        merchant_files["certificate"],
        "--to",
        "pem",
        "--out",
        merchant_files["csr"],
        "--force",
    )
    assert forced.exit_code == 0
