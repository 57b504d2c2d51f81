"""cert inspect: kind, merchant id, key, validity, publicKeyHash, key match; real and made-up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from certs_support import (
    NOW,
    REAL_WITH_KEYS,
    header_hash,
    make_certificate,
    merchant_id_extension,
    merchant_name,
    real,
    run,
)
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from applepay_crypto.keys import load_certificate
from applepay_crypto.merchant.certfiles import pkcs12_bytes
from applepay_crypto.merchant.certinfo import inspect_certificate, inspect_file
from applepay_crypto.merchant.certs import classify_certificate
from applepay_crypto.testing import TestMerchant


@pytest.mark.parametrize("vector", REAL_WITH_KEYS, indirect=True)
def test_real_certificates(vector) -> None:
    report = inspect_file(
        vector.path / "merchant_cert.pem",
        key=vector.path / "merchant_key.pem",
        now=vector.signing_time,
    )
    cert = load_certificate(vector.path / "merchant_cert.pem")
    uid = cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value
    assert report.kind == "payment_processing"
    assert report.merchant_id == uid
    assert report.merchant_id_agrees is True
    assert report.public_key_hash == header_hash(vector)
    assert report.key_matches is True
    assert report.key == ("RSA-2048" if vector.meta["version"] == "RSA_v1" else "EC P-256")
    assert report.days_left == (cert.not_valid_after_utc - vector.signing_time).days
    assert not report.expired
    assert report.file_format == "pem"


def test_real_certificate_names() -> None:
    new = inspect_file(real("basistheory-ec-new-2023").path / "merchant_cert.pem", now=NOW)
    assert (new.kind_certain, new.kind_basis) == (
        True,
        'its common name starts with "Apple Pay Payment Processing:"',
    )
    assert (
        new.merchant_id_hash == "774D916D4C83F5F32B528D0D23576B18D6795BE8250BAD7E5998B5F1414740A1"
    )
    # 2014 certificates used "Merchant ID: ..." for both kinds: the key usage decides.
    old = inspect_file(real("seatgeek-prod-2014").path / "merchant_cert.pem", now=NOW)
    assert (old.kind, old.kind_certain) == ("payment_processing", False)
    assert old.kind_basis == "it is a merchant certificate whose key may only encrypt or agree keys"
    assert old.warnings == (
        "expired 3383 days ago (2016-11-24T12:10:10Z): create a new certificate in Apple's "
        "developer portal",
    )
    rsa = inspect_file(real("basistheory-rsa-2024").path / "merchant_cert.pem", now=NOW)
    assert rsa.warnings == (
        "expired 22 days ago (2026-02-06T17:42:29Z): create a new certificate in Apple's "
        "developer portal",
        "an RSA payment processing certificate decrypts RSA_v1 tokens (China) only",
    )


def test_apple_root(apple_root_path) -> None:
    report = inspect_file(apple_root_path, now=NOW)
    assert (report.kind, report.label, report.kind_certain) == (
        "apple_ca",
        "Apple CA: Apple Root CA - G3",
        True,
    )
    assert report.sha256 == "63343ABFB89A6A03EBB57E9B3F5FA7BE7C4F5C756F3017B3A8C488C3653E9179"
    assert report.file_format == "der"
    assert report.key == "EC P-384"


def test_test_authority_certificates(authority) -> None:
    assert classify_certificate(authority.intermediate.certificate).kind == "apple_ca"
    assert classify_certificate(authority.ec_leaf.certificate).kind == "apple_token_signing"
    assert classify_certificate(authority.root.certificate).label == "a CA certificate"


def test_identity_certificate(identity) -> None:
    now = identity.certificate.not_valid_before_utc + dt.timedelta(days=2)
    report = inspect_certificate(identity.certificate, private_key=identity.key, now=now)
    assert (report.kind, report.kind_certain) == ("merchant_identity", True)
    assert report.merchant_id == identity.merchant_id and report.merchant_id_agrees is True
    assert report.key_matches is True
    assert report.warnings == (
        "a merchant identity certificate is the TLS client certificate for merchant sessions; "
        "tokens are never encrypted to it, so it cannot decrypt them",
    )


@pytest.mark.parametrize(
    ("key_fixture", "extra", "kind", "basis"),
    [
        (
            "rsa_key",
            (),
            "merchant_identity",
            "it is a merchant certificate with an RSA key; RSA payment processing certificates "
            "exist too (RSA_v1, China)",
        ),
        (
            "ec_key",
            (),
            "payment_processing",
            "it is a merchant certificate with an EC key (identity certificates are RSA)",
        ),
        (
            "ec_key",
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),),
            "merchant_identity",
            "it is a merchant certificate allowed for TLS client authentication",
        ),
    ],
)
def test_legacy_names_are_told_apart_by_key(request, key_fixture, extra, kind, basis) -> None:
    key = request.getfixturevalue(key_fixture)
    cert = make_certificate(
        key,
        merchant_name("merchant.com.example", "Merchant ID: merchant.com.example"),
        issuer=None,
        extra=(*extra, merchant_id_extension("merchant.com.example")),
    )
    result = classify_certificate(cert)
    assert (result.kind, result.basis, result.certain) == (kind, basis, False)


def test_merchant_id_extension_disagreeing_with_uid(ec_key) -> None:
    cert = make_certificate(
        ec_key,
        merchant_name("merchant.com.typo", "Apple Pay Payment Processing:merchant.com.typo"),
        issuer=None,
        extra=(merchant_id_extension("merchant.com.example"),),
    )
    report = inspect_certificate(cert, now=NOW)
    assert report.merchant_id_agrees is False
    assert report.warnings == (
        "the merchant id extension is not the SHA-256 of the subject UID 'merchant.com.typo': "
        "the certificate was not issued for that merchant identifier",
    )


def test_validity_warnings(ec_merchant) -> None:
    cert = ec_merchant.certificate
    end = cert.not_valid_after_utc
    soon = inspect_certificate(cert, now=end - dt.timedelta(days=10, hours=1))
    stamp = end.isoformat().replace("+00:00", "Z")
    assert soon.days_left == 10
    assert soon.warnings == (
        f"expires in 10 days ({stamp}): renew it now; keep the old key until no token carries "
        "its publicKeyHash",
    )
    assert inspect_certificate(cert, now=end - dt.timedelta(days=31)).warnings == ()
    late = inspect_certificate(cert, now=end + dt.timedelta(days=3, hours=1))
    assert late.expired and late.days_left == -3  # issue #14: "expired 3 days ago"
    assert late.warnings[0].startswith("expired 3 days ago ")
    early = inspect_certificate(cert, now=cert.not_valid_before_utc - dt.timedelta(days=1))
    assert early.warnings[0].startswith("not valid yet: valid from ")


def test_key_of_another_certificate(ec_merchant, authority) -> None:
    other = TestMerchant.create(authority, merchant_id="merchant.com.example.other")
    report = inspect_certificate(ec_merchant.certificate, private_key=other.private_key, now=NOW)
    assert report.key_matches is False
    assert report.warnings[-1].startswith("the private key does not belong to this certificate")


def test_files_der_pem_and_p12(tmp_path, ec_merchant) -> None:
    der = tmp_path / "apple_pay.cer"
    der.write_bytes(ec_merchant.certificate.public_bytes(serialization.Encoding.DER))
    p12 = tmp_path / "merchant.p12"
    p12.write_bytes(
        pkcs12_bytes(ec_merchant.private_key, ec_merchant.certificate, password=b"secret")
    )
    assert inspect_file(der, now=NOW).file_format == "der"
    from_p12 = inspect_file(p12, password=b"secret", now=NOW)
    assert (from_p12.file_format, from_p12.key_matches) == ("pkcs12", True)
    assert from_p12.public_key_hash == ec_merchant.merchant_key.public_key_hash_b64


def test_cli_text() -> None:
    vector = real("basistheory-ec-new-2023")
    result = run(
        "cert",
        "inspect",
        vector.path / "merchant_cert.pem",
        "--key",
        vector.path / "merchant_key.pem",
        "--at",
        "2023-09-13T13:49:38Z",
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if "  " in line)
    assert (
        result.stdout.splitlines()[0]
        == "kind              Apple Pay payment processing certificate"
    )
    assert lines["publicKeyHash"].strip() == (
        "cA7n/gpsa5yxOZ/wECCXUqU+hrre+Sjq4RxEwAIqWGM= (tokens encrypted to this certificate carry it)"
    )
    assert "private key       belongs to this certificate" in result.stdout
    assert "(759 days left)" in result.stdout


def test_cli_json_and_exit_status(ec_merchant, authority, tmp_path) -> None:
    paths = ec_merchant.save(tmp_path)
    other = TestMerchant.create(authority, merchant_id="merchant.com.example.other").save(
        tmp_path / "other"
    )
    ok = run("cert", "inspect", paths["certificate"], "--key", paths["key"], "--json")
    assert ok.exit_code == 0
    document = json.loads(ok.stdout)
    assert document["kind"] == "payment_processing"
    assert document["key_matches"] is True
    assert document["merchant_id"] == "merchant.com.example.ec"
    mismatch = run("cert", "inspect", paths["certificate"], "--key", other["key"])
    assert mismatch.exit_code == 1
    assert "does NOT belong to this certificate" in mismatch.stdout
    expired = run("cert", "inspect", paths["certificate"], "--at", "2099-01-01T00:00:00Z")
    assert (
        expired.exit_code == 1 and "(EXPIRED " in expired.stdout and " days ago)" in expired.stdout
    )
    unreadable = tmp_path / "junk.cer"
    unreadable.write_bytes(b"not a certificate")
    bad = run("cert", "inspect", unreadable, "--json")
    assert bad.exit_code == 2
    assert json.loads(bad.stdout)["error"]["code"] == "invalid_configuration"
