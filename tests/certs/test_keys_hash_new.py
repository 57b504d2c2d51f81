"""keys hash and keys new: the publicKeyHash tokens carry; key + CSR + stand-in certificate."""

from __future__ import annotations

import json
import os
import stat

import pytest
from certs_support import REAL_WITH_KEYS, header_hash, run, run_openssl
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from applepay_crypto.errors import ConfigurationError
from applepay_crypto.keys import (
    load_certificate,
    load_private_key,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
)
from applepay_crypto.merchant.certs import certificate_public_key_hash
from applepay_crypto.merchant.keygen import create_merchant_key
from applepay_crypto.testing import TestAuthority

MERCHANT = "merchant.com.example.shop"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("vector", REAL_WITH_KEYS, indirect=True)
def test_hash_of_real_certificate_and_key_is_the_tokens(vector) -> None:
    by_cert = run("keys", "hash", "--cert", vector.path / "merchant_cert.pem")
    by_key = run("keys", "hash", "--key", vector.path / "merchant_key.pem")
    assert by_cert.exit_code == 0 and by_key.exit_code == 0
    assert by_cert.stdout == by_key.stdout == header_hash(vector) + "\n"


def test_hash_json_and_usage(ec_merchant, tmp_path) -> None:
    paths = ec_merchant.save(tmp_path)
    result = run("keys", "hash", "--cert", paths["certificate"], "--json")
    document = json.loads(result.stdout)
    assert document == {
        "public_key_hash": ec_merchant.merchant_key.public_key_hash_b64,
        "hex": ec_merchant.merchant_key.public_key_hash.hex(),
        "source": "certificate",
        "key": "EC P-256",
    }
    for args in ((), ("--cert", paths["certificate"], "--key", paths["key"])):
        wrong = run("keys", "hash", *args)
        assert wrong.exit_code == 2
        assert "give exactly one of --cert FILE or --key FILE" in wrong.output


def test_new_processing_key_self_signed(tmp_path) -> None:
    result = run("keys", "new", "--type", "ec", "--merchant-id", MERCHANT, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    key = load_private_key(tmp_path / "merchant.key")
    cert = load_certificate(tmp_path / "merchant.pem")
    csr = x509.load_pem_x509_csr((tmp_path / "merchant.csr").read_bytes())
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert mode(tmp_path / "merchant.key") == 0o600
    assert csr.is_signature_valid and csr.public_key() == key.public_key()
    assert cert.public_key() == key.public_key() and cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)
    assert merchant_id_from_certificate(cert) == MERCHANT
    assert merchant_id_hash_from_certificate(cert) == merchant_id_hash(MERCHANT)
    assert result.stdout.splitlines() == [
        f"wrote {tmp_path / 'merchant.key'} (EC P-256 private key, mode 0600: keep it secret, "
        "back it up)",
        f"wrote {tmp_path / 'merchant.csr'} (upload it in Apple's portal: Merchant IDs > "
        f"{MERCHANT} > Apple Pay Payment Processing Certificate)",
        f"wrote {tmp_path / 'merchant.pem'} (stand-in payment processing certificate, self-signed)",
        "once Apple has issued the certificate: applepay-crypto cert convert apple_pay.cer "
        f"--out {tmp_path / 'merchant.pem'} --force",
        f"publicKeyHash {certificate_public_key_hash(cert)} (tokens encrypted to this key carry it)",
    ]
    run_openssl("req", "-in", tmp_path / "merchant.csr", "-verify", "-noout")


def test_new_identity_key_is_rsa_2048_with_a_csr_only(tmp_path) -> None:
    result = run(
        "keys",
        "new",
        "--type",
        "rsa",
        "--merchant-id",
        MERCHANT,
        "--out",
        tmp_path,
        "--organization",
        "Example Shop",
        "--country",
        "NL",
        "--json",
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document == {
        "purpose": "identity",
        "key": "RSA-2048",
        "merchant_id": MERCHANT,
        "files": {"key": str(tmp_path / "identity.key"), "csr": str(tmp_path / "identity.csr")},
        "public_key_hash": None,
        "certificate_signer": None,
    }
    key = load_private_key(tmp_path / "identity.key")
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert mode(tmp_path / "identity.key") == 0o600
    csr = x509.load_pem_x509_csr((tmp_path / "identity.csr").read_bytes())
    assert csr.subject.rfc4514_string() == f"C=NL,O=Example Shop,CN={MERCHANT}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["identity.csr", "identity.key"]


def test_rsa_processing_key_flow_with_test_ca(tmp_path) -> None:
    """Issue #3's flow: test-ca new, keys new --ca, mint, decrypt (RSA_v1, China)."""
    assert run("test-ca", "new", tmp_path / "ca").exit_code == 0
    made = run(
        "keys",
        "new",
        "--type",
        "rsa",
        "--purpose",
        "processing",
        "--merchant-id",
        MERCHANT,
        "--out",
        tmp_path / "m",
        "--ca",
        tmp_path / "ca",
    )
    assert made.exit_code == 0, made.output
    assert f"certificate, signed by the test CA in {tmp_path / 'ca'})" in made.stdout
    cert = load_certificate(tmp_path / "m" / "merchant.pem")
    cert.verify_directly_issued_by(TestAuthority.load(tmp_path / "ca").root.certificate)
    minted = run("mint", "--ca", tmp_path / "ca", "--cert", tmp_path / "m" / "merchant.pem")
    assert minted.exit_code == 0, minted.output
    token = tmp_path / "token.json"
    token.write_text(minted.stdout)
    assert json.loads(minted.stdout)["version"] == "RSA_v1"
    decrypted = run(
        "decrypt",
        token,
        "--key",
        tmp_path / "m" / "merchant.key",
        "--cert",
        tmp_path / "m" / "merchant.pem",
        "--root",
        tmp_path / "ca" / "root.pem",
        "--json",
    )
    assert decrypted.exit_code == 0, decrypted.output
    assert json.loads(decrypted.stdout)["public_key_hash"] == certificate_public_key_hash(cert)


def test_refuses_to_overwrite_a_key(tmp_path) -> None:
    assert run("keys", "new", "--merchant-id", MERCHANT, "--out", tmp_path).exit_code == 0
    before = (tmp_path / "merchant.key").read_bytes()
    again = run("keys", "new", "--merchant-id", MERCHANT, "--out", tmp_path)
    assert again.exit_code == 2
    assert "refusing to overwrite" in again.output
    assert (tmp_path / "merchant.key").read_bytes() == before
    forced = run("keys", "new", "--merchant-id", MERCHANT, "--out", tmp_path, "--force")
    assert forced.exit_code == 0
    assert (tmp_path / "merchant.key").read_bytes() != before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--type", "ec", "--purpose", "identity"), "RSA-2048 keys only: use --type rsa"),
        (("--type", "rsa", "--ca", "."), "--ca signs the stand-in payment processing"),
    ],
)
def test_usage_errors(tmp_path, args, message) -> None:
    result = run("keys", "new", "--merchant-id", MERCHANT, "--out", tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.output


def test_merchant_id_shape() -> None:
    with pytest.raises(ConfigurationError, match=r"Apple's look like merchant\.com\.example"):
        create_merchant_key(".", merchant_id="com.example.shop")
