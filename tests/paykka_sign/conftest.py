"""Fixtures for paykka_sign: RSA keys made once per session, OpenSSL as the independent
checker, and the vectors in vectors/psp."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "psp"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    # RSA generation is the slow part of this suite: once per session.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory: pytest.TempPathFactory, rsa_key: rsa.RSAPrivateKey) -> Path:
    """``key.pem`` (PKCS#8) and ``pub.pem`` (SPKI) of ``rsa_key``."""
    directory = tmp_path_factory.mktemp("psp-keys")
    (directory / "key.pem").write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "pub.pem").write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return directory


def _openssl_path() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not on PATH: the independent signature check cannot run")
    return path


OpensslVerify = Callable[[bytes, bytes, Path], bool]


@pytest.fixture
def openssl_verify(tmp_path: Path) -> OpensslVerify:
    """``openssl dgst -sha256 -verify pub.pem -signature sig.bin msg.txt``: True when valid."""
    openssl = _openssl_path()

    def verify(message: bytes, signature: bytes, public_pem: Path) -> bool:
        (tmp_path / "msg.txt").write_bytes(message)
        (tmp_path / "sig.bin").write_bytes(signature)
        result = subprocess.run(
            [
                openssl,
                "dgst",
                "-sha256",
                "-verify",
                str(public_pem),
                "-signature",
                str(tmp_path / "sig.bin"),
                str(tmp_path / "msg.txt"),
            ],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0 and b"Verified OK" in result.stdout

    return verify


@pytest.fixture
def openssl_hmac(tmp_path: Path) -> Callable[[bytes, bytes], str]:
    """``openssl dgst -sha256 -hmac KEY`` over a message: the lowercase hex digest."""
    openssl = _openssl_path()

    def digest(key: bytes, message: bytes) -> str:
        (tmp_path / "msg.txt").write_bytes(message)
        result = subprocess.run(
            [
                openssl,
                "dgst",
                "-sha256",
                "-hmac",
                key.decode("ascii"),
                "-r",
                str(tmp_path / "msg.txt"),
            ],
            capture_output=True,
            check=True,
        )
        return result.stdout.split()[0].decode("ascii")

    return digest


@pytest.fixture(scope="session")
def paykka_vectors() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (VECTORS / "paykka-signature-vectors.json").read_text(encoding="utf-8")
    )
    return document


@pytest.fixture(scope="session")
def yabandpay_doc_example() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (VECTORS / "yabandpay-applepay-doc-example.json").read_text(encoding="utf-8")
    )
    return document


@pytest.fixture(scope="session")
def psp_authority() -> Any:
    testing = pytest.importorskip(
        "applepay_crypto.testing", reason="applepay_crypto.testing (token minting) is not there"
    )
    return testing.TestAuthority.create()


@pytest.fixture(scope="session")
def psp_merchant(psp_authority: Any) -> Any:
    from applepay_crypto.testing import TestMerchant

    return TestMerchant.create(psp_authority, merchant_id="merchant.com.example.psp", key_type="ec")
