"""``googlepay-crypto decrypt|verify|inspect``: every shared vector through the command line,
masking and --reveal, key rotation, the root key sources, and hostile TOKEN input.

Google's key server is stood in for by a local HTTP server on 127.0.0.1 that the tests start
themselves, serving keys.json as Google documents it (a JSON body with Cache-Control
max-age). Nothing here reaches the network.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import (
    GOOGLEPAY_VECTORS,
    KeyServer,
    Sealer,
    load_vector,
    payment_message,
    recipient_for,
    serve_keys,
    vector_ids,
    vector_now,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from test_googlepay_vectors import CAUSES, ERROR_CODES

import googlepay_crypto.cli._common as cli_common
from googlepay_crypto import GooglePayError, RootKeyFetcher
from googlepay_crypto.cli import main

from support import require_shared

AT = "2026-01-01T00:00:00Z"
SETUP_CODES = {
    "invalid_configuration",
    "invalid_root_keys",
    "root_keys_unavailable",
    "no_root_keys",
    "key_operation_failed",
    "internal_error",
    "usage_error",
}
#: Codes a token may still get after its signatures verified: verify passes such tokens.
AFTER_SIGNATURES = {
    "tag_mismatch",
    "invalid_ephemeral_key",
    "malformed_encrypted_message",
    "decryption_failed",
    "message_expired",
    "malformed_token",  # a messageExpiration that is not a number, inside the message
}


def invoke(argv: list[str], stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, argv, input=stdin, catch_exceptions=False)


def pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_key(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(0o600)
    return path


def one_error(result: Result) -> dict[str, str]:
    """The one JSON error object of a refused run (exit 1 for the token, 2 for the setup)."""
    assert result.exit_code in (1, 2), (result.exit_code, result.output[-400:])
    document = json.loads(result.stdout)
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
    error: dict[str, str] = document["error"]
    assert result.exit_code == (2 if error["code"] in SETUP_CODES else 1), error
    return error


# --- every shared vector -------------------------------------------------------------------


def vector_argv(name: str, base: Path, command: str) -> tuple[dict[str, Any], list[str]]:
    """The vector's files in ``base``, and the command line that checks its token."""
    vector = load_vector(name)
    base.mkdir(parents=True, exist_ok=True)
    token = base / "token.json"
    token.write_text(vector["token"], encoding="utf-8")
    keys = base / "keys.json"
    keys.write_text(vector["root_keys_json"], encoding="utf-8")
    argv = [command, str(token), "--recipient-id", vector["recipient_id"]]
    argv += ["--root-keys", str(keys), "--at", vector["now_iso"]]
    argv += ["--protocol-version", vector["protocol_version"], "--sender-id", vector["sender_id"]]
    pems = vector["recipient_private_key_pem"]
    pems = [] if pems is None else [pems] if isinstance(pems, str) else pems
    if command == "decrypt":
        for index, text in enumerate(pems):
            argv += ["--key", str(write_key(base / f"key{index}.pem", text))]
    return vector, [*argv, "--json"]


def expected_code(name: str, vector: dict[str, Any]) -> str:
    return CAUSES.get(name, ERROR_CODES[vector["expected"]["error"]])


def test_every_vector_is_found() -> None:
    require_shared(GOOGLEPAY_VECTORS)
    assert len(vector_ids()) == 141


@pytest.mark.parametrize("name", vector_ids())
def test_vector_through_decrypt(name: str, tmp_path: Path) -> None:
    vector, argv = vector_argv(name, tmp_path, "decrypt")
    expected = vector["expected"]
    if "error" in expected:
        assert one_error(invoke(argv))["code"] == expected_code(name, vector)
        assert one_error(invoke([*argv, "--reveal"]))["code"] == expected_code(name, vector)
        return
    revealed = invoke([*argv, "--reveal"])
    assert revealed.exit_code == 0, revealed.output[-400:]
    document = json.loads(revealed.stdout)
    assert document["plaintext"] == expected["plaintext"]
    assert document["verified"] is True
    assert document["protocol_version"] == vector["protocol_version"]
    masked = invoke(argv)
    assert masked.exit_code == 0
    assert "plaintext" not in json.loads(masked.stdout)


@pytest.mark.parametrize("name", vector_ids())
def test_vector_through_verify(name: str, tmp_path: Path) -> None:
    """verify gives decrypt's refusal for every check before decryption; a token refused
    only by decryption or by its encrypted messageExpiration verifies. ECv2SigningOnly has
    nothing encrypted: verify gives exactly decrypt's outcome, the message included."""
    vector, argv = vector_argv(name, tmp_path, "verify")
    expected = vector["expected"]
    signing_only = vector["protocol_version"] == "ECv2SigningOnly"
    try:
        recipient_for(vector).verify(vector["token"], now=vector_now(vector))
        library_code = None
    except GooglePayError as exc:
        library_code = exc.code
    result = invoke([*argv, "--reveal"])
    if "error" in expected:
        code = expected_code(name, vector)
        if library_code is None:
            assert not signing_only and code in AFTER_SIGNATURES, code
        else:
            assert library_code == code
            assert one_error(result)["code"] == code
            return
    assert result.exit_code == 0, result.output[-400:]
    document = json.loads(result.stdout)
    assert document["verified"] is True and document["encrypted"] is not signing_only
    if signing_only:
        assert document["plaintext"] == expected["plaintext"]
    else:
        assert "plaintext" not in document and "message" not in document
        assert document["message_expiration_checked"] is False


@pytest.mark.parametrize("name", vector_ids())
def test_vector_through_inspect(name: str, tmp_path: Path) -> None:
    """inspect needs no key and shows no message; what it refuses is the token's shape."""
    vector, _ = vector_argv(name, tmp_path, "inspect")
    result = invoke(["inspect", str(tmp_path / "token.json"), "--json"])
    if result.exit_code != 0:
        assert one_error(result)["code"] in {
            "invalid_json",
            "malformed_token",
            "unsupported_protocol_version",
            "malformed_encrypted_message",
        }
        return
    document = json.loads(result.stdout)
    assert document["verified"] is False
    plaintext = vector["expected"].get("plaintext")
    details = vector["expected"].get("plaintext_json", {})
    if isinstance(details, dict) and isinstance(details.get("paymentMethodDetails"), dict):
        assert details["paymentMethodDetails"]["pan"] not in result.stdout
    if plaintext and len(plaintext) > 8:
        assert plaintext not in result.stdout
    text = invoke(["inspect", str(tmp_path / "token.json")])
    assert text.exit_code == 0 and text.stdout.startswith("NOT VERIFIED")


# --- masking and --reveal, key rotation -----------------------------------------------------


@dataclass
class Minted:
    base: Path
    sealer: Sealer
    merchant: ec.EllipticCurvePrivateKey
    keys_json: Path
    key: Path

    def token(self, message: str, merchant: ec.EllipticCurvePrivateKey | None = None) -> Path:
        path = self.base / f"token-{abs(hash(message))}.json"
        path.write_text(self.sealer.seal(message, (merchant or self.merchant).public_key()))
        return path

    def argv(self, command: str, token: Path, *extra: str) -> list[str]:
        argv = [command, str(token), "--recipient-id", self.sealer.recipient_id]
        argv += ["--root-keys", str(self.keys_json), "--at", AT]
        return argv + (["--key", str(self.key)] if command == "decrypt" else []) + list(extra)


@pytest.fixture
def minted(tmp_path: Path) -> Minted:
    """Tokens sealed by tests/googlepay_support.py's independent sealer."""
    sealer = Sealer.generated()
    merchant = ec.generate_private_key(ec.SECP256R1())
    keys_json = tmp_path / "keys.json"
    keys_json.write_text(sealer.root_keys_json())
    return Minted(
        tmp_path, sealer, merchant, keys_json, write_key(tmp_path / "m.pem", pem(merchant))
    )


@pytest.mark.parametrize("network_token", [False, True], ids=["PAN_ONLY", "CRYPTOGRAM_3DS"])
def test_masked_without_reveal_exact_with_it(minted: Minted, network_token: bool) -> None:
    message = payment_message(network_token=network_token)
    token = minted.token(message)
    details = json.loads(message)["paymentMethodDetails"]
    for extra in (["--json"], []):
        masked = invoke(minted.argv("decrypt", token, *extra))
        assert masked.exit_code == 0, masked.output
        assert "4111111111111111" not in masked.output and "411111******1111" in masked.output
        assert "AAAAAA+test+cryptogram=" not in masked.output
    document = json.loads(invoke(minted.argv("decrypt", token, "--json")).stdout)
    assert document["message_type"] == "payment"
    assert document["message"]["paymentMethodDetails"]["pan"] == "411111******1111"
    if network_token:
        assert document["message"]["paymentMethodDetails"]["cryptogram"] == "<redacted>"
        text = invoke(minted.argv("decrypt", token)).stdout
        assert "cryptogram        <redacted> (--reveal shows it)" in text
    revealed = json.loads(invoke(minted.argv("decrypt", token, "--json", "--reveal")).stdout)
    assert revealed["plaintext"] == message
    assert revealed["message"] == json.loads(message)
    assert revealed["message"]["paymentMethodDetails"] == details
    text = invoke(minted.argv("decrypt", token, "--reveal")).stdout
    assert "card number       4111111111111111" in text
    if network_token:
        assert "cryptogram        AAAAAA+test+cryptogram=" in text


def test_a_message_that_is_not_a_payment_is_masked_whole(minted: Minted) -> None:
    message = json.dumps({"messageExpiration": "1767229200000", "secret": "4111111111111111"})
    token = minted.token(message)
    document = json.loads(invoke(minted.argv("decrypt", token, "--json")).stdout)
    assert document["message_type"] == "json"
    assert document["message"] == {"messageExpiration": "1767229200000", "secret": "<redacted>"}
    text_token = minted.token("plain text 4111111111111111")
    masked = invoke(minted.argv("decrypt", text_token, "--json"))
    assert json.loads(masked.stdout)["message"] == "<redacted>"
    assert "4111111111111111" not in masked.output


def test_key_rotation_with_two_keys(minted: Minted) -> None:
    old = ec.generate_private_key(ec.SECP256R1())
    old_key = write_key(minted.base / "old.pem", pem(old))
    message = payment_message()
    for_old, for_new = minted.token(message, old), minted.token(message + " ")
    for token in (for_old, for_new):
        for order in ([minted.key, old_key], [old_key, minted.key]):
            argv = minted.argv("decrypt", token, "--json", "--reveal")[:-4]  # without --key
            argv += [arg for key in order for arg in ("--key", str(key))]
            argv += ["--json", "--reveal"]
            result = invoke(argv)
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["plaintext"].strip() == message
    alone = invoke(minted.argv("decrypt", for_old, "--json"))
    assert one_error(alone)["code"] == "tag_mismatch"


def test_verify_and_inspect_need_no_key(minted: Minted) -> None:
    token = minted.token(payment_message())
    verified = json.loads(invoke(minted.argv("verify", token, "--json")).stdout)
    assert verified == {
        "verified": True,
        "protocol_version": "ECv2",
        "intermediate_key_expiration": "2026-01-02T00:00:00Z",
        "encrypted": True,
        "message_expiration": None,
        "message_expiration_checked": False,
    }
    described = json.loads(invoke(["inspect", str(token), "--json"]).stdout)
    assert described["intermediate_signing_key"]["key_expiration"] == "2026-01-02T00:00:00Z"
    assert described["signed_message"]["tag_bytes"] == 32
    assert described["message_expiration_readable"] is False
    no_key = invoke([*minted.argv("decrypt", token, "--json")[:-3], "--json"])
    assert one_error(no_key)["code"] == "invalid_configuration"


def test_signing_only_verify_reads_the_message(tmp_path: Path) -> None:
    sealer = Sealer.generated(protocol_version="ECv2SigningOnly")
    keys = tmp_path / "keys.json"
    keys.write_text(sealer.root_keys_json())
    token = tmp_path / "token.json"
    message = json.dumps({"messageExpiration": "1767229200000", "eventType": "save"})
    token.write_text(sealer.seal(message))
    argv = ["verify", str(token), "--recipient-id", sealer.recipient_id, "--root-keys", str(keys)]
    argv += ["--at", AT, "--protocol-version", "ECv2SigningOnly", "--json"]
    document = json.loads(invoke(argv).stdout)
    assert document["message_expiration"] == "2026-01-01T01:00:00Z"
    assert document["message_expiration_checked"] is True
    assert document["message"] == {"messageExpiration": "1767229200000", "eventType": "<redacted>"}
    late = invoke([*argv[:-3], "--at", "2026-01-01T01:00:00Z", *argv[-3:]])
    assert one_error(late)["code"] == "message_expired"
    opened = invoke(["decrypt", *argv[1:-1]])  # no --key: nothing is encrypted
    assert opened.exit_code == 0, opened.output
    assert opened.stdout.startswith("verified (signed, not encrypted): ECv2SigningOnly token")
    assert "message type      json" in opened.stdout and "save" not in opened.stdout
    inspected = json.loads(invoke(["inspect", str(token), "--json"]).stdout)
    assert inspected["message_expiration"] == "2026-01-01T01:00:00Z"
    assert "eventType" not in json.dumps(inspected)


def test_a_version_mismatch_names_the_option(minted: Minted) -> None:
    token = minted.token(payment_message())
    error = one_error(
        invoke(minted.argv("decrypt", token, "--protocol-version", "ECv2SigningOnly", "--json"))
    )
    assert error["code"] == "protocol_version_mismatch" and "--protocol-version" in error["message"]


def test_token_from_stdin(minted: Minted) -> None:
    token = minted.token(payment_message())
    argv = minted.argv("decrypt", token, "--json")
    argv[1] = "-"
    result = invoke(argv, stdin=token.read_bytes())
    assert result.exit_code == 0 and json.loads(result.stdout)["message_type"] == "payment"
    assert one_error(invoke(argv, stdin=b""))["code"] == "malformed_token"


# --- root keys: a file, a URL, Google's --------------------------------------------------------


@pytest.fixture
def key_server(minted: Minted) -> Iterator[KeyServer]:
    with serve_keys(minted.keys_json.read_bytes()) as server:
        yield server


def _url_argv(minted: Minted, token: Path, url: str) -> list[str]:
    argv = minted.argv("decrypt", token, "--json")
    at = argv.index("--root-keys")
    return [*argv[:at], "--root-keys-url", url, *argv[at + 2 :]]


def test_root_keys_fetched_from_a_url(minted: Minted, key_server: KeyServer) -> None:
    token = minted.token(payment_message())
    result = invoke(_url_argv(minted, token, key_server.url))
    assert result.exit_code == 0, result.output
    assert key_server.requests == 1  # one fetch per run: the token needs the keys once


def test_the_fetcher_the_cli_builds_honours_cache_headers(key_server: KeyServer) -> None:
    """The CLI's --root-keys-url is the library's RootKeyFetcher, with its HTTP cache: kept
    for max-age, fetched again when the server says no-store."""
    source = cli_common.root_key_source(None, key_server.url, None)
    assert isinstance(source, RootKeyFetcher) and source.url == key_server.url
    source.current(), source.current()
    assert key_server.requests == 1
    key_server.headers = {"Cache-Control": "no-store"}
    fresh = cli_common.root_key_source(None, key_server.url, None)
    fresh.current(), fresh.current()
    assert key_server.requests == 3


def test_google_keys_names_googles_urls() -> None:
    production = cli_common.root_key_source(None, None, None)
    test = cli_common.root_key_source(None, None, "test")
    assert isinstance(production, RootKeyFetcher) and isinstance(test, RootKeyFetcher)
    assert production.url == "https://payments.developers.google.com/paymentmethodtoken/keys.json"
    assert test.url == "https://payments.developers.google.com/paymentmethodtoken/test/keys.json"


def test_a_server_that_fails_is_a_setup_error(minted: Minted, key_server: KeyServer) -> None:
    token = minted.token(payment_message())
    key_server.status = 503
    error = one_error(invoke(_url_argv(minted, token, key_server.url)))
    assert error["code"] == "root_keys_unavailable" and "--root-keys FILE" in error["message"]
    key_server.status, key_server.body = 200, b"<html>not keys</html>"
    assert one_error(invoke(_url_argv(minted, token, key_server.url)))["code"] == (
        "invalid_root_keys"
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_offline_the_error_names_root_keys(minted: Minted, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline (here: Google's URL pointed at a closed local port), the default source fails
    with root_keys_unavailable, exit 2, naming --root-keys."""
    token = minted.token(payment_message())
    closed = f"http://127.0.0.1:{_closed_port()}/keys.json"
    monkeypatch.setitem(cli_common.GOOGLE_KEYS, "production", closed)
    argv = minted.argv("decrypt", token, "--json")
    at = argv.index("--root-keys")
    argv = argv[:at] + argv[at + 2 :]
    error = one_error(invoke(argv))
    assert error["code"] == "root_keys_unavailable" and "--root-keys FILE" in error["message"]
    text = invoke(argv[:-1])
    assert text.exit_code == 2 and "--root-keys FILE" in text.stderr


def test_one_source_of_root_keys(minted: Minted, key_server: KeyServer) -> None:
    token = minted.token(payment_message())
    argv = [*minted.argv("decrypt", token, "--json"), "--google-keys", "test"]
    error = one_error(invoke(argv))
    assert error["code"] == "usage_error" and "--root-keys and --google-keys" in error["message"]
    plain = invoke(
        ["verify", str(token), "--recipient-id", "r", "--root-keys-url", "http://x.example/k"]
    )
    assert plain.exit_code == 2 and "https" in plain.stderr


# --- hostile input ---------------------------------------------------------------------------

hostile_tokens = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
)


@pytest.fixture(scope="module")
def hostile_setup(tmp_path_factory: pytest.TempPathFactory) -> Minted:
    base = tmp_path_factory.mktemp("googlepay-cli-hostile")
    sealer = Sealer.generated()
    merchant = ec.generate_private_key(ec.SECP256R1())
    keys_json = base / "keys.json"
    keys_json.write_text(sealer.root_keys_json())
    return Minted(base, sealer, merchant, keys_json, write_key(base / "m.pem", pem(merchant)))


def _mutations(setup: Minted) -> st.SearchStrategy[bytes]:
    token = setup.sealer.seal(payment_message(), setup.merchant.public_key()).encode()

    def mutate(index: int, byte: int) -> bytes:
        where = index % len(token)
        return token[:where] + bytes([byte]) + token[where + 1 :]

    return st.builds(mutate, st.integers(min_value=0), st.integers(0, 255))


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_hostile_tokens_end_in_one_json_error(hostile_setup: Minted, data: Any) -> None:
    """Any bytes, any JSON, a valid token with one byte changed: exit 0 (an unchanged byte),
    1 or 2 with exactly one JSON error object, never a traceback or an internal error."""
    content = data.draw(st.one_of(hostile_tokens, _mutations(hostile_setup)), label="token")
    path = hostile_setup.base / "hostile.json"
    path.write_bytes(content)
    for command in ("decrypt", "verify", "inspect"):
        argv = (
            ["inspect", str(path), "--json"]
            if command == "inspect"
            else hostile_setup.argv(command, path, "--json")
        )
        for stdin in (None, content):
            if stdin is not None:
                argv = [*argv[:1], "-", *argv[2:]]
            result = invoke(argv, stdin=stdin)
            assert "Traceback" not in result.output
            if result.exit_code == 0:
                json.loads(result.stdout)
                continue
            error = one_error(result)
            assert error["code"] != "internal_error", error
            assert "4111111111111111" not in result.output


def test_the_hostile_run_never_printed_card_data_in_text(hostile_setup: Minted) -> None:
    token = hostile_setup.token(payment_message())
    broken = hostile_setup.base / "broken.json"
    broken.write_bytes(token.read_bytes().replace(b'"tag', b'"tax'))
    for extra in ([], ["--reveal"]):
        result = invoke(hostile_setup.argv("decrypt", broken, *extra))
        assert result.exit_code in (1, 2) and "4111111111111111" not in result.output
