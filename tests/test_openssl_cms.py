"""Minted signatures judged by an independent implementation: `openssl cms -verify`."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from applepay_crypto import parse_token, read_token
from applepay_crypto.keys import load_certificate
from applepay_crypto.testing import mint, sample_payload

from support import load_real_vector, real_vector_names

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is not on PATH")
SIGNED = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.timezone.utc)


def openssl_verify(
    tmp_path: Path, signature: bytes, content: bytes, root_pem: bytes, at: dt.datetime
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "content.bin").write_bytes(content)
    (tmp_path / "root.pem").write_bytes(root_pem)
    return subprocess.run(
        [
            OPENSSL,
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            str(tmp_path / "sig.der"),
            "-binary",
            "-content",
            str(tmp_path / "content.bin"),
            "-CAfile",
            str(tmp_path / "root.pem"),
            "-attime",
            str(int(at.timestamp())),
            "-out",
            str(tmp_path / "out.bin"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
@pytest.mark.parametrize("application_data", [None, bytes(range(32))])
def test_openssl_accepts_minted_tokens(
    tmp_path, authority, ec_merchant, rsa_merchant, version, application_data
) -> None:
    merchant = ec_merchant if version == "EC_v1" else rsa_merchant
    token = parse_token(
        mint(
            sample_payload(),
            recipient=merchant,
            authority=authority,
            version=version,
            signing_time=SIGNED,
            application_data=application_data,
        )
    )
    root = authority.root.certificate.public_bytes(Encoding.PEM)
    result = openssl_verify(tmp_path, token.signature, token.signed_content(), root, SIGNED)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr
    assert (tmp_path / "out.bin").read_bytes() == token.signed_content()


def test_openssl_rejects_altered_content_and_other_roots(tmp_path, authority, ec_merchant) -> None:
    from applepay_crypto.testing import TestAuthority

    token = parse_token(
        mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    )
    root = authority.root.certificate.public_bytes(Encoding.PEM)
    altered = bytearray(token.signed_content())
    altered[-1] ^= 1
    assert openssl_verify(tmp_path, token.signature, bytes(altered), root, SIGNED).returncode != 0
    other_root = TestAuthority.create().root.certificate.public_bytes(Encoding.PEM)
    assert (
        openssl_verify(
            tmp_path, token.signature, token.signed_content(), other_root, SIGNED
        ).returncode
        != 0
    )


@pytest.mark.parametrize("name", real_vector_names())
def test_openssl_agrees_on_real_tokens(tmp_path, apple_root_path, name) -> None:
    vector = load_real_vector(name)
    token = read_token(vector.path / "token.json")
    root = load_certificate(apple_root_path).public_bytes(Encoding.PEM)
    result = openssl_verify(
        tmp_path, token.signature, token.signed_content(), root, vector.signing_time
    )
    assert result.returncode == 0, result.stderr
