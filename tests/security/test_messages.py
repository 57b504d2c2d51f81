"""Issue #14, item 7: messages that say what is wrong.

* a base64 refusal names what was found (wrapped base64, base64url, hex, missing padding,
  a non-JSON line in a batch, valid base64 that is not a token), for the token and for
  each base64 field;
* a window error suggests ``--at SIGNING_TIME`` for recorded tokens (library and CLI);
* with several ``--key``/``--cert`` pairs, a mismatch names the pair (both CLIs);
* doctor on a test token against Apple's root gives a ``fix:`` line;
* a tag mismatch speaks of a key *derived* wrongly.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from applepay_crypto import (
    MalformedTokenError,
    MerchantKey,
    SigningTimeOutOfWindowError,
    TokenDecryptor,
    parse_token,
)
from applepay_crypto.batch import BatchConfig, run_batch
from applepay_crypto.cli import main as applepay_main
from applepay_crypto.errors import TagMismatchError
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from paykka_sign.cli import main as paykka_main

from support import APPLE_ROOT_PATH, require_shared

SIGNED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
AT = "2026-03-01T12:00:00Z"

AUTHORITY = TestAuthority.create()
MERCHANT = TestMerchant.create(AUTHORITY, merchant_id="merchant.com.example.messages")
OTHER = TestMerchant.create(AUTHORITY, merchant_id="merchant.com.example.other")
TOKEN: dict[str, Any] = mint(
    sample_payload(), recipient=MERCHANT, authority=AUTHORITY, signing_time=SIGNED
)
TOKEN_JSON = json.dumps(TOKEN).encode()


def _refusal(token: Any) -> str:
    with pytest.raises(MalformedTokenError) as info:
        parse_token(token)
    return info.value.message


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (base64.encodebytes(TOKEN_JSON).decode(), "wrapped over several lines"),
        (TOKEN_JSON.hex(), "hexadecimal text"),
        (base64.b64encode(b"\x00\x01 not json at all").decode(), "valid base64, but of"),
        (base64.b64encode(b"[1, 2, 3]").decode(), "not JSON text"),
        ("hello", "far too short"),
        ("[1, 2]", "JSON array"),
        ("42", "not an object"),
    ],
    ids=["wrapped", "hex", "base64-not-json", "base64-array", "short-text", "array", "number"],
)
def test_a_token_that_is_not_one_is_named(token: str, words: str) -> None:
    assert words in _refusal(token)


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda v: v.replace("+", "-").replace("/", "_"), "base64url"),
        (lambda v: v[:76] + "\n" + v[76:], "wrapped over several lines"),
        (lambda v: v.rstrip("=")[:-1], "padding"),
        (lambda v: v[:10] + "*" + v[11:], "character 11 is not a base64 character"),
    ],
    ids=["base64url", "wrapped", "padding", "stray-character"],
)
def test_a_base64_field_that_is_not_base64_is_named(mangle: Any, words: str) -> None:
    for field in ("data", "signature"):
        value = TOKEN[field]
        if field == "data" and "+" not in value and "/" not in value and words == "base64url":
            continue
        changed = mangle(value)
        if changed == value:
            continue
        message = _refusal({**TOKEN, field: changed})
        assert f"paymentData.{field} is not well-formed base64: " in message
        assert words in message, message
        assert changed[:20] not in message  # named, never quoted


def test_a_non_json_line_in_a_batch_is_named() -> None:
    config = BatchConfig.from_objects([MERCHANT.merchant_key], trust=AUTHORITY.trust_store(),
                                      now=SIGNED)  # fmt: skip
    lines = b"this is not json\n" + base64.b64encode(b"nope").replace(b"=", b"") + b"\n"
    sink = io.BytesIO()
    run_batch(io.BytesIO(lines), sink, config)
    results = [json.loads(line) for line in sink.getvalue().splitlines()]
    messages = [r["error"]["message"] for r in results]
    assert "far too short" in messages[0] and "characters of text" in messages[0]
    assert "far too short" in messages[1]


def test_the_window_error_suggests_the_signing_time() -> None:
    decryptor = TokenDecryptor(MERCHANT.merchant_key, trust=AUTHORITY.trust_store())
    with pytest.raises(SigningTimeOutOfWindowError) as info:
        decryptor.decrypt(TOKEN, now=SIGNED + dt.timedelta(days=3))
    assert f"--at {AT}" in info.value.message


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("messages")
    one = MERCHANT.save(directory, stem="one")
    two = OTHER.save(directory, stem="two")
    root = directory / "root.pem"
    root.write_bytes(AUTHORITY.root.certificate.public_bytes(serialization.Encoding.PEM))
    token = directory / "token.json"
    token.write_text(json.dumps(TOKEN))
    return {
        "key1": one["key"], "cert1": one["certificate"], "key2": two["key"],
        "cert2": two["certificate"], "root": root, "token": token,
    }  # fmt: skip


def test_cli_window_error_suggests_at(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        applepay_main,
        ["decrypt", str(files["token"]), "--key", str(files["key1"]), "--cert",
         str(files["cert1"]), "--root", str(files["root"]), "--json"],
    )  # fmt: skip
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "signing_time_out_of_window"
    assert f"--at {AT}" in error["message"]


def test_both_clis_name_the_mismatched_pair(files: dict[str, Path]) -> None:
    pairs = ["--key", str(files["key1"]), "--cert", str(files["cert1"]),
             "--key", str(files["key2"]), "--cert", str(files["cert1"])]  # fmt: skip
    common = [str(files["token"]), *pairs, "--root", str(files["root"]), "--at", AT, "--json"]
    runs = {
        "decrypt": CliRunner().invoke(applepay_main, ["decrypt", *common]),
        "applepay-request": CliRunner().invoke(
            paykka_main,
            [
                "applepay-request",
                *common,
                "--provider",
                "yabandpay",
                "--amount",
                "1",
                "--currency",
                "EUR",
                "--order-id",
                "o",
                "--description",
                "d",
                "--notify-url",
                "https://example.com/n",
                "--secret-key-file",
                str(files["root"]),
            ],
        ),
    }
    for name, result in runs.items():
        assert result.exit_code == 2, (name, result.output)
        message = json.loads(result.stdout)["error"]["message"]
        assert message.startswith(f"pair 2 (--key {files['key2']}, --cert {files['cert1']}):")
        assert "does not belong to this private key" in message
        assert MERCHANT.merchant_key.public_key_hash_b64 in message  # the certificate's


def test_doctor_on_a_test_token_against_apples_root_says_what_to_do(
    files: dict[str, Path],
) -> None:
    apple = require_shared(APPLE_ROOT_PATH)
    result = CliRunner().invoke(
        applepay_main,
        ["doctor", str(files["token"]), "--key", str(files["key1"]), "--cert",
         str(files["cert1"]), "--root", str(apple), "--at", AT, "--json"],
    )  # fmt: skip
    findings = {f["step"]: f for f in json.loads(result.stdout)["findings"]}
    chain = findings["1.c chain"]
    assert chain["code"] == "untrusted_root"
    assert "test token" in chain["fix"] and "--root" in chain["fix"]


def test_a_tag_mismatch_speaks_of_a_derived_key() -> None:
    wrong_id = MerchantKey.load(MERCHANT.private_key, merchant_id="merchant.com.example.wrong")
    with pytest.raises(TagMismatchError) as info:
        TokenDecryptor(wrong_id, trust=AUTHORITY.trust_store()).decrypt(TOKEN, now=SIGNED)
    assert "derived wrongly" in info.value.message and "restored" not in info.value.message
