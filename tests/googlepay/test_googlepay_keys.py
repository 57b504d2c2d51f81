"""Merchant key files: the forms Google's page and openssl give, and refusals."""

from __future__ import annotations

import base64
import os
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto.keys import InsecureKeyFileWarning
from googlepay_crypto import ConfigurationError, load_merchant_key, read_merchant_key

KEY = ec.generate_private_key(ec.SECP256R1())
PKCS8_DER = KEY.private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


@pytest.mark.parametrize(
    "data",
    [
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        PKCS8_DER,
        base64.b64encode(PKCS8_DER),  # as Google's page prints it
        base64.b64encode(PKCS8_DER).decode() + "\n",
    ],
)
def test_forms(data: bytes | str) -> None:
    assert load_merchant_key(data).private_numbers() == KEY.private_numbers()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a key",
        "é",
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        ),
    ],
)
def test_refused(data: bytes | str) -> None:
    with pytest.raises(ConfigurationError):
        load_merchant_key(data)


def test_a_file_others_can_read_warns(tmp_path: Path) -> None:
    path = tmp_path / "merchant.pem"
    path.write_bytes(base64.b64encode(PKCS8_DER))
    os.chmod(path, 0o600)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_merchant_key(path)
    assert caught == []
    os.chmod(path, 0o644)
    with pytest.warns(InsecureKeyFileWarning):
        read_merchant_key(path)
    with pytest.raises(ConfigurationError):
        read_merchant_key(tmp_path / "absent.pem")
