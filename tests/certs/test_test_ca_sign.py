"""Issue #14, item 5: `test-ca sign` issues a certificate from a CSR as Apple's portal does,
so the documented flow keys new -> CSR -> .cer -> cert convert -> PEM/.p12 -> mint ->
decrypt runs offline, end to end; openssl reads what is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from certs_support import run, run_openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from applepay_crypto import ConfigurationError
from applepay_crypto.keys.identity import merchant_id_hash_from_certificate
from applepay_crypto.merchant.certs import classify_certificate
from applepay_crypto.testing import TestAuthority, issue_from_csr, read_csr

MERCHANT = "merchant.com.example.shop"


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    assert run("test-ca", "new", tmp_path / "ca").exit_code == 0
    for key_type in ("ec", "rsa"):
        made = run(
            "keys", "new", "--type", key_type, "--merchant-id", MERCHANT, "--out", tmp_path / "m"
        )
        assert made.exit_code == 0, made.output
    return tmp_path


def test_csr_to_cer_to_pem_and_p12_then_a_token_decrypts(flow: Path) -> None:
    ca, m = flow / "ca", flow / "m"
    signed = run("test-ca", "sign", m / "merchant.csr", "--ca", ca, "--out", flow / "apple_pay.cer")
    assert signed.exit_code == 0, signed.output
    assert signed.stdout == (
        f"wrote {flow / 'apple_pay.cer'} (payment processing certificate, DER, "
        f"signed by the test CA in {ca})\n"
    )
    der = (flow / "apple_pay.cer").read_bytes()
    assert der[:1] == b"\x30"  # DER, as Apple's .cer downloads, not PEM
    # openssl, independently: a DER certificate that chains to the test root.
    text = run_openssl(
        "x509", "-inform", "der", "-in", flow / "apple_pay.cer", "-noout", "-subject"
    )
    assert f"CN = Apple Pay Payment Processing:{MERCHANT}" in text.stdout.decode()
    converted = run(
        "cert", "convert", flow / "apple_pay.cer", "--out", m / "merchant.pem", "--force"
    )
    assert converted.exit_code == 0, converted.output
    run_openssl("verify", "-CAfile", ca / "root.pem", m / "merchant.pem")
    p12 = run(
        "cert",
        "convert",
        m / "merchant.pem",
        "--key",
        m / "merchant.key",
        "--out",
        flow / "merchant.p12",
        "--password",
        "pw",
    )
    assert p12.exit_code == 0, p12.output
    certificate = x509.load_der_x509_certificate(der)
    assert classify_certificate(certificate).kind == "payment_processing"
    public = serialization.load_pem_private_key((m / "merchant.key").read_bytes(), None)
    assert certificate.public_key() == public.public_key()
    minted = run("mint", "--ca", ca, "--cert", m / "merchant.pem")
    assert minted.exit_code == 0, minted.output
    (flow / "token.json").write_text(minted.stdout)
    for credentials in (
        ["--key", m / "merchant.key", "--cert", m / "merchant.pem"],
        ["--key", m / "merchant.key", "--cert", flow / "apple_pay.cer"],
    ):
        decrypted = run(
            "decrypt", flow / "token.json", *credentials, "--root", ca / "root.pem", "--json"
        )
        assert decrypted.exit_code == 0, decrypted.output
        assert json.loads(decrypted.stdout)["verified"] is True
    inspected = run("cert", "inspect", flow / "merchant.p12", "--password", "pw", "--json")
    assert inspected.exit_code == 0, inspected.output
    assert json.loads(inspected.stdout)["key_matches"] is True


def test_the_identity_certificate_is_a_tls_client_certificate(
    flow: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(flow)  # the default name is written in the working directory
    signed = run("test-ca", "sign", flow / "m" / "identity.csr", "--ca", flow / "ca", "--json")
    document = json.loads(signed.stdout)
    assert signed.exit_code == 0 and document["purpose"] == "identity"
    assert document["written"] == "merchant_id.cer"  # as Apple's portal names the download
    certificate = x509.load_der_x509_certificate((flow / "merchant_id.cer").read_bytes())
    assert document["merchant_id"] == MERCHANT
    assert document["not_after"].endswith("Z")
    assert classify_certificate(certificate).kind == "merchant_identity"
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    names = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
    assert [n.value for n in names] == [MERCHANT]
    assert (
        merchant_id_hash_from_certificate(certificate) == hashlib.sha256(MERCHANT.encode()).digest()
    )


def _csr(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: str
) -> x509.CertificateSigningRequest:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def test_apples_rules_on_the_key_and_the_merchant_id(authority: TestAuthority) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ConfigurationError, match="RSA-2048 keys only"):
        issue_from_csr(_csr(ec_key, MERCHANT), authority=authority, purpose="identity")
    with pytest.raises(ConfigurationError, match="EC P-256"):
        issue_from_csr(_csr(ec.generate_private_key(ec.SECP384R1()), MERCHANT), authority=authority)
    with pytest.raises(ConfigurationError, match="give --merchant-id"):
        issue_from_csr(_csr(ec_key, "Example Shop"), authority=authority)
    issued = issue_from_csr(_csr(ec_key, "Example Shop"), authority=authority, merchant_id=MERCHANT)
    assert classify_certificate(issued).kind == "payment_processing"
    with pytest.raises(ConfigurationError, match="not a readable certificate signing request"):
        read_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")


def test_refusals_are_setup_errors(flow: Path) -> None:
    out = flow / "apple_pay.cer"
    out.write_bytes(b"")
    again = run("test-ca", "sign", flow / "m" / "merchant.csr", "--ca", flow / "ca", "--out", out)
    assert again.exit_code == 2 and "file_exists" in again.output and "--force" in again.output
    garbage = run("test-ca", "sign", flow / "ca" / "root.pem", "--ca", flow / "ca", "--json")
    assert garbage.exit_code == 2
    assert json.loads(garbage.stdout)["error"]["code"] == "invalid_configuration"
