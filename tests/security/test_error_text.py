"""Review (#11), class 8, for applepay_crypto: an error that wraps another exception's text
must not carry a secret through it. Each place that once did is generated here as a class:
a password anywhere in a Redis URL, a key file or payload whose bytes a decoder would quote.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto import ApplePayError
from applepay_crypto.cli import main
from applepay_crypto.keys import load_private_key
from applepay_crypto.replay_redis import RedisReplayGuard
from applepay_crypto.testing import TestAuthority, TestMerchant

passwords = st.text(
    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=24
)
templates = st.sampled_from(
    [
        "redis://:{p}",  # no host: redis reads the password as a port
        "redis://u:{p}@h:{p}/0",
        "redis://u:{p}@h:1/x?socket_timeout={p}",
        "redis://u:{p}@h:1/x?db={p}",
        "rediss://:{p}@h:port{p}/0",
        "mysql://admin:{p}@db/0",
        "redis://{p}:{p}@[::1/0",
        "redis://u:{p}\ud800@h/0",
    ]
)


@fuzz_settings(60)
@given(password=passwords, template=templates)
def test_a_redis_url_password_never_reaches_the_message(password: str, template: str) -> None:
    url = template.format(p=password)
    try:
        RedisReplayGuard.from_url(url)
    except ApplePayError as exc:
        assert password not in exc.message and password not in str(exc)
        assert exc.__cause__ is None and exc.__suppress_context__
        assert exc.code == "invalid_configuration"


@fuzz_settings(40)
@given(
    secret=st.binary(min_size=8, max_size=64),
    prefix=st.sampled_from([b"", b"0", b"\x30\x82", b"-----BEGIN PRIVATE KEY-----\n"]),
)
def test_an_unreadable_key_file_is_not_quoted(secret: bytes, prefix: bytes) -> None:
    """cryptography's parse errors name the file's tags and bytes: none of it is repeated."""
    with pytest.raises(ApplePayError) as caught:
        load_private_key(prefix + secret)
    message = caught.value.message
    assert message.startswith("not a readable private key")
    assert "Tag" not in message and "ParseError" not in message and "0x" not in message


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("mint-ca")
    assert CliRunner().invoke(main, ["test-ca", "new", str(base / "ca")]).exit_code == 0
    merchant = TestMerchant.create(TestAuthority.load(base / "ca"), merchant_id="merchant.x")
    return base / "ca", Path(merchant.save(base / "m")["certificate"])


@fuzz_settings(20)
@given(secret=st.binary(min_size=1, max_size=16))
def test_a_payload_that_is_not_utf8_is_not_quoted(ca: tuple[Path, Path], secret: bytes) -> None:
    """json's decoder names the byte and its position: mint's error must not repeat it."""
    payload = ca[0].parent / "payload.json"
    payload.write_bytes(b'{"cardholderName":"' + b"\xff" + secret + b'"}')
    result = CliRunner().invoke(
        main, ["mint", "--ca", str(ca[0]), "--cert", str(ca[1]), "--payload", str(payload)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "0xff" not in result.output and "position" not in result.output
