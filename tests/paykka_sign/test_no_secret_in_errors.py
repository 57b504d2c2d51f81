"""review (#11), class 8: no secret in an error.

A YabandPay secret-key file that is not UTF-8 used to print the decoder's text, which names
a byte of the secret and its position ("can't decode byte 0xe9 in position 7"). Every error
of paykka_sign that wrapped an exception's text now says what is wrong in its own words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign import InvalidKeyError, YabandPaySigner, load_private_key
from paykka_sign.cli import main

#: What decoder and codec messages look like: a byte value, a position, a quoted string.
_LEAKS = re.compile(r"0x[0-9a-f]{2}|position|\\x[0-9a-f]{2}|codec|can't (de|en)code", re.I)


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(secret=st.binary(min_size=1, max_size=40).filter(_not_utf8), as_json=st.booleans())
def test_property_a_secret_file_that_is_not_utf8_is_not_quoted(
    tmp_path: Path, secret: bytes, as_json: bool
) -> None:
    path = tmp_path / "secret.bin"
    path.write_bytes(secret)
    args = ["yabandpay", "verify", "--secret-key-file", str(path)]
    result = CliRunner().invoke(
        main, [*args, "--json"] if as_json else args, input=b"{}", catch_exceptions=False
    )
    assert result.exit_code == 2
    text = result.stdout + result.stderr
    assert not _LEAKS.search(text), text
    if as_json:
        assert json.loads(result.stdout)["error"]["code"] == "invalid_key"
    else:
        assert "error [invalid_key]" in result.stderr


def test_secret_given_as_text_with_a_lone_surrogate() -> None:
    with pytest.raises(InvalidKeyError) as info:
        YabandPaySigner("top-secret-\ud800")
    assert "top-secret" not in info.value.message
    assert not _LEAKS.search(info.value.message)


def test_password_errors_name_no_exception_text(rsa_key: rsa.RSAPrivateKey) -> None:
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    plain = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for data, password in ((encrypted, None), (encrypted, b"wrong")):
        with pytest.raises(InvalidKeyError) as info:
            load_private_key(data, password=password)
        assert "pw" not in info.value.message
        assert not _LEAKS.search(info.value.message)
    # Issue #14, item 4: a password given for a plain key is moot, not an error (one
    # APPLEPAY_KEY_PASSWORD may be set for a command that reads a plain and an encrypted key).
    assert load_private_key(plain, password=b"pw").private_numbers() == rsa_key.private_numbers()


def test_headers_file_that_is_not_utf8_is_not_quoted(tmp_path: Path) -> None:
    pub = tmp_path / "pub.pem"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    headers = tmp_path / "headers.json"
    headers.write_bytes(b'{"signature": "\xe9\xff"}')
    result = CliRunner().invoke(
        main,
        ["verify", "--public-key", str(pub), "--merchant-id", "M", "--headers-file", str(headers)],
        input=b"{}",
    )
    assert result.exit_code == 2
    assert not _LEAKS.search(result.stdout + result.stderr)
