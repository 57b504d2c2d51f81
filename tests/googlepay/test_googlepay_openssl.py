"""Google Pay's cryptography judged by an independent implementation, the openssl command:
the signed strings the library builds verify under ``openssl dgst -verify`` with Google's
keys (Google's documentation sample token, a real TEST-environment token), and ECDH, HKDF,
HMAC and AES-CTR of the KDF vector give the same bytes as ``openssl pkeyutl -derive``,
``openssl kdf HKDF``, ``openssl dgst -mac HMAC`` and ``openssl enc``."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import GOOGLEPAY_VECTORS, load_vector

from googlepay_crypto.decryption import KEY_SIZES, derive_keys
from googlepay_crypto.signatures import intermediate_signed_bytes, message_signed_bytes

from support import require_shared

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is not on PATH")


def _run(*args: str, data: bytes | None = None) -> bytes:
    assert OPENSSL is not None
    done = subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=True)
    return done.stdout


def _pem(spki_base64: str, path: Path) -> Path:
    key = serialization.load_der_public_key(base64.b64decode(spki_base64))
    path.write_bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def _openssl_verifies(tmp_path: Path, spki: str, signature: str, data: bytes) -> bool:
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "sig.der").write_bytes(base64.b64decode(signature))
    assert OPENSSL is not None
    done = subprocess.run(
        [
            OPENSSL,
            "dgst",
            "-sha256",
            "-verify",
            str(_pem(spki, tmp_path / "key.pem")),
            "-signature",
            str(tmp_path / "sig.der"),
            str(tmp_path / "data.bin"),
        ],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "Verified OK" in done.stdout


@pytest.mark.parametrize(
    "name",
    [
        "external/google-dotnet/ecv2-docs-sample-token.json",
        "external/moov/ecv2-test-environment-token.json",
        "generated/ecv2signingonly/valid-utf8-message.json",
    ],
)
def test_signed_strings_verify_under_openssl(tmp_path: Path, name: str) -> None:
    vector = load_vector(name)
    token = json.loads(vector["token"])
    version, sender = vector["protocol_version"], vector["sender_id"]
    intermediate = token["intermediateSigningKey"]
    roots = [
        k["keyValue"]
        for k in json.loads(vector["root_keys_json"])["keys"]
        if k["protocolVersion"] == version
    ]
    signed_key_bytes = intermediate_signed_bytes(sender, version, intermediate["signedKey"])
    assert any(
        _openssl_verifies(tmp_path, root, signature, signed_key_bytes)
        for root in roots
        for signature in intermediate["signatures"]
    )
    key_value = json.loads(intermediate["signedKey"])["keyValue"]
    message_bytes = message_signed_bytes(
        sender, vector["recipient_id"], version, token["signedMessage"]
    )
    assert _openssl_verifies(tmp_path, key_value, token["signature"], message_bytes)
    # One byte of the recipient id changed: openssl refuses it too.
    other = message_signed_bytes(
        sender, vector["recipient_id"] + "x", version, token["signedMessage"]
    )
    assert not _openssl_verifies(tmp_path, key_value, token["signature"], other)


def test_kdf_vector_under_openssl(tmp_path: Path) -> None:
    vector = json.loads(
        require_shared(GOOGLEPAY_VECTORS / "external/google-dotnet/kdf-ecv1.json").read_text()
    )
    (tmp_path / "merchant.pem").write_text(vector["recipient_private_key_pem"])
    point = base64.b64decode(vector["ephemeral_public_key"])
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    (tmp_path / "peer.pem").write_bytes(
        peer.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    shared = _run(
        "pkeyutl",
        "-derive",
        "-inkey",
        str(tmp_path / "merchant.pem"),
        "-peerkey",
        str(tmp_path / "peer.pem"),
    )
    okm = _run(
        "kdf",
        "-keylen",
        "32",
        "-kdfopt",
        "digest:SHA256",
        "-kdfopt",
        f"hexkey:{(point + shared).hex()}",
        "-kdfopt",
        "info:Google",
        "-binary",
        "HKDF",
    )
    aes_key, mac_key = derive_keys(point, shared, KEY_SIZES["ECv1"])
    assert (aes_key, mac_key) == (okm[:16], okm[16:])
    assert aes_key.hex().upper() == vector["expected"]["aes_key_hex"]
    ciphertext = base64.b64decode(vector["encrypted_message"])
    tag = _run(
        "dgst",
        "-sha256",
        "-mac",
        "HMAC",
        "-macopt",
        f"hexkey:{mac_key.hex()}",
        "-binary",
        data=ciphertext,
    )
    assert base64.b64encode(tag).decode() == vector["expected"]["tag"]
    plaintext = _run(
        "enc", "-d", "-aes-128-ctr", "-K", aes_key.hex(), "-iv", "00" * 16, data=ciphertext
    )
    assert plaintext.decode() == vector["expected"]["plaintext"]
