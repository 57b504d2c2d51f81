"""Review (#11), class 6, the command line: every applepay-crypto command fed hostile files,
stdin and option text ends with exit 1 or 2, no traceback, and with --json one JSON error
object with its code. COMMANDS names every command; a new one fails until it is listed."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from fuzz_support import fuzz_settings
from hostile import hostile_bytes, hostile_text, surrogates
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto.cli import main
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

AT = "2026-05-05T05:05:05Z"
SIGNED = dt.datetime(2026, 5, 5, 5, 5, 5, tzinfo=dt.timezone.utc)
#: Session commands never reach the network: an allowed local host on a port nothing serves.
LOCAL_URL = "https://127.0.0.1:9/paymentSession"
#: A PKCS#11 URI naming a token and PIN file that do not exist.
ABSENT_TOKEN = "pkcs11:token=absent;object=k;pin-source=file:/nonexistent/pin"


@dataclass
class Setup:
    base: Path
    key: Path
    cert: Path
    root: Path
    ca: Path
    token: Path

    def hostile_file(self, content: bytes) -> Path:
        path = self.base / "hostile.bin"
        path.write_bytes(content)
        return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    base = tmp_path_factory.mktemp("cli-hostile")
    created = CliRunner().invoke(main, ["test-ca", "new", str(base / "ca")])
    assert created.exit_code == 0, created.output
    authority = TestAuthority.load(base / "ca")
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.ec", key_type="ec")
    paths = merchant.save(base / "ec")
    token = base / "token.json"
    token.write_text(
        json.dumps(
            mint(sample_payload(), recipient=merchant, authority=authority, signing_time=SIGNED)
        )
    )
    return Setup(
        base,
        Path(paths["key"]),
        Path(paths["certificate"]),
        base / "ca" / "root.pem",
        base / "ca",
        token,
    )


#: Text that no option may accept: it holds a lone surrogate (what non-UTF-8 argv becomes).
bad_text = st.builds(lambda a, s, b: a + s + b, hostile_text, surrogates, hostile_text)

Argv = Callable[[Setup, Path], list[str]]  # (setup, hostile file) -> arguments
TextArgv = Callable[[Setup, str], list[str]]  # (setup, hostile text) -> arguments


def _keys(s: Setup) -> list[str]:
    return ["--key", str(s.key), "--cert", str(s.cert)]


#: Commands reading a hostile file (json: whether the command has --json).
FILE_COMMANDS: dict[str, tuple[Argv, bool | str]] = {
    "decrypt token": (
        lambda s, f: ["decrypt", str(f), *_keys(s), "--root", str(s.root), "--at", AT, "--json"],
        True,
    ),
    "decrypt key": (
        lambda s, f: [
            "decrypt",
            str(s.token),
            "--key",
            str(f),
            "--merchant-id",
            "merchant.x",
            "--root",
            str(s.root),
            "--at",
            AT,
            "--json",
        ],
        True,
    ),
    "decrypt cert": (
        lambda s, f: [
            "decrypt",
            str(s.token),
            "--key",
            str(s.key),
            "--cert",
            str(f),
            "--root",
            str(s.root),
            "--at",
            AT,
            "--json",
        ],
        True,
    ),
    "decrypt root": (
        lambda s, f: ["decrypt", str(s.token), *_keys(s), "--root", str(f), "--at", AT, "--json"],
        True,
    ),
    "decrypt-batch": (
        lambda s, f: [
            "decrypt-batch",
            str(f),
            *_keys(s),
            "--root",
            str(s.root),
            "--at",
            AT,
            "--json",
        ],
        True,
    ),
    "verify": (lambda s, f: ["verify", str(f), "--root", str(s.root), "--at", AT, "--json"], True),
    "inspect": (lambda s, f: ["inspect", str(f), "--json"], True),
    "doctor": (
        lambda s, f: ["doctor", str(f), *_keys(s), "--root", str(s.root), "--at", AT, "--json"],
        "report",
    ),
    "doctor key": (
        lambda s, f: [
            "doctor",
            str(s.token),
            "--key",
            str(f),
            "--root",
            str(s.root),
            "--at",
            AT,
            "--json",
        ],
        "report",
    ),
    "trust install": (
        lambda s, f: [
            "trust",
            "install",
            "--from",
            str(f),
            "--to",
            str(s.base / "r.cer"),
            "--json",
        ],
        True,
    ),
    "mint": (
        lambda s, f: [
            "mint",
            "--ca",
            str(s.ca),
            "--cert",
            str(s.cert),
            "--payload",
            str(f),
            "--json",
        ],
        "minted",
    ),
    "mint cert": (lambda s, f: ["mint", "--ca", str(s.ca), "--cert", str(f), "--json"], True),
    # Issue #14: a hostile CSR is refused before anything is written.
    "test-ca sign": (
        lambda s, f: [
            "test-ca",
            "sign",
            str(f),
            "--ca",
            str(s.ca),
            "--out",
            str(s.base / "issued.cer"),
            "--json",
        ],
        True,
    ),
    "cert inspect": (lambda s, f: ["cert", "inspect", str(f), "--json"], True),
    "cert inspect key": (
        lambda s, f: ["cert", "inspect", str(s.cert), "--key", str(f), "--json"],
        True,
    ),
    "cert convert": (
        lambda s, f: [
            "cert",
            "convert",
            str(f),
            "--out",
            str(s.base / "out.pem"),
            "--force",
            "--json",
        ],
        True,
    ),
    "keys hash cert": (lambda s, f: ["keys", "hash", "--cert", str(f), "--json"], True),
    "keys hash key": (lambda s, f: ["keys", "hash", "--key", str(f), "--json"], True),
    # Issue #12: the certificate is read before the token is opened (this one is absent).
    "keys store-cert": (
        lambda s, f: ["keys", "store-cert", "--pkcs11", ABSENT_TOKEN, str(f), "--json"],
        True,
    ),
    "session cert": (
        lambda s, f: [
            "session",
            LOCAL_URL,
            "--allow-host",
            "127.0.0.1",
            "--cert",
            str(f),
            "--display-name",
            "Shop",
            "--domain",
            "shop.example",
            "--json",
        ],
        True,
    ),
}

#: Commands reading hostile option text.
TEXT_COMMANDS: dict[str, tuple[TextArgv, bool | str]] = {
    "decrypt merchant-id": (
        lambda s, t: [
            "decrypt",
            str(s.token),
            "--key",
            str(s.key),
            "--merchant-id",
            t,
            "--root",
            str(s.root),
            "--at",
            AT,
            "--json",
        ],
        True,
    ),
    "decrypt at": (lambda s, t: ["decrypt", str(s.token), *_keys(s), "--at", t, "--json"], True),
    "decrypt max-age": (
        lambda s, t: ["decrypt", str(s.token), *_keys(s), "--max-age", t, "--json"],
        True,
    ),
    "decrypt replay-redis": (
        lambda s, t: [
            "decrypt",
            str(s.token),
            *_keys(s),
            "--root",
            str(s.root),
            "--at",
            AT,
            "--replay-redis",
            "redis://" + t,
            "--json",
        ],
        True,
    ),
    "mint transaction-id": (
        lambda s, t: [
            "mint",
            "--ca",
            str(s.ca),
            "--cert",
            str(s.cert),
            "--transaction-id",
            t,
            "--json",
        ],
        True,
    ),
    "mint application-data": (
        lambda s, t: [
            "mint",
            "--ca",
            str(s.ca),
            "--cert",
            str(s.cert),
            "--application-data",
            t,
            "--json",
        ],
        True,
    ),
    "mint merchant-id": (
        lambda s, t: ["mint", "--ca", str(s.ca), "--merchant-id", t, "--json"],
        True,
    ),
    "keys hash pkcs11-uri": (
        lambda s, t: ["keys", "hash", "--key", "pkcs11:token=" + t, "--json"],
        True,
    ),
    "doctor merchant-id": (
        lambda s, t: ["doctor", str(s.token), *_keys(s), "--merchant-id", t, "--json"],
        "report",
    ),
    "keys new": (
        lambda s, t: [
            "keys",
            "new",
            "--merchant-id",
            t,
            "--out",
            str(s.base / "new"),
            "--force",
            "--json",
        ],
        True,
    ),
    "keys new organization": (
        lambda s, t: [
            "keys",
            "new",
            "--merchant-id",
            "merchant.com.x",
            "--organization",
            t,
            "--out",
            str(s.base / "new"),
            "--force",
            "--json",
        ],
        True,
    ),
    "cert inspect password": (
        lambda s, t: ["cert", "inspect", str(s.cert), "--password", t, "--json"],
        True,
    ),
    "session url": (
        lambda s, t: [
            "session",
            "https://" + t,
            "--cert",
            str(s.cert),
            "--key",
            str(s.key),
            "--display-name",
            "Shop",
            "--domain",
            "shop.example",
            "--json",
        ],
        True,
    ),
    "session display-name": (
        lambda s, t: [
            "session",
            LOCAL_URL,
            "--allow-host",
            "127.0.0.1",
            "--cert",
            str(s.cert),
            "--key",
            str(s.key),
            "--display-name",
            t,
            "--domain",
            "shop.example",
            "--json",
        ],
        True,
    ),
}

#: Commands that take no outside input (nothing hostile to give them).
NO_INPUT = {
    "test-ca new": "writes a new test authority; its only input is a directory name",
    "trust show": "reads the installed root: covered by 'trust install' and APPLEPAY_ROOT_CA below",
    "bench": "measures the library on tokens it mints itself",
}


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names |= _commands(command, f"{prefix}{name} ")
        else:
            names.add(f"{prefix}{name}")
    return names


def test_every_command_is_covered() -> None:
    covered = set(NO_INPUT)
    for name in [*FILE_COMMANDS, *TEXT_COMMANDS]:
        covered |= {c for c in _commands(main) if name == c or name.startswith(c + " ")}
    assert _commands(main) - covered == set()


def _check(result: Any, as_json: bool | str) -> None:
    if as_json == "minted":  # mint signs any JSON payload it is given: that is its job
        assert result.exit_code in (0, 2), result.output[-400:]
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit | None)
        document = json.loads(result.stdout)  # the token, or (issue #14) the error as JSON
        assert result.exit_code == 0 or set(document) == {"error"}, document
        return
    assert "internal_error" not in result.output and "report this as a bug" not in result.output
    assert result.exit_code in (1, 2), (result.exit_code, result.output[-400:])
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    if as_json == "report":  # doctor: its diagnosis, which says the token is not ok
        document = json.loads(result.stdout)
        assert set(document) == {"error"} or document["ok"] is False, document
    elif as_json:  # issue #14: with --json, exit 1 or 2, one JSON error object on stdout
        document = json.loads(result.stdout)
        assert set(document) == {"error"} and document["error"]["code"], document
        assert set(document["error"]) == {"code", "message"}


@pytest.mark.parametrize("name", sorted(FILE_COMMANDS))
@fuzz_settings(12)
@given(content=hostile_bytes)
def test_hostile_files(setup: Setup, name: str, content: bytes) -> None:
    argv, as_json = FILE_COMMANDS[name]
    result = CliRunner().invoke(main, argv(setup, setup.hostile_file(content)))
    if name == "decrypt-batch":  # each line is answered, a blank one too: exit 1 (rejected)
        pieces = content.split(b"\n")
        expected = len(pieces) - (content.endswith(b"\n") or not content)
        assert result.exit_code == (1 if expected else 0), result.output
        assert "Traceback" not in result.output
        lines = result.stdout.split("\n")[:-1]  # JSON Lines: no \n inside a line
        assert len(lines) == expected
        for number, line in enumerate(lines, start=1):
            assert json.loads(line)["line"] == number
        return
    _check(result, as_json)


@pytest.mark.parametrize("name", sorted(TEXT_COMMANDS))
@fuzz_settings(12)
@given(text=bad_text.filter(lambda t: "apple.com" not in t))
def test_hostile_option_text(setup: Setup, name: str, text: str) -> None:
    argv, as_json = TEXT_COMMANDS[name]
    _check(CliRunner().invoke(main, argv(setup, text)), as_json)


@fuzz_settings(12)
@given(content=hostile_bytes)
def test_hostile_stdin(setup: Setup, content: bytes) -> None:
    for argv in (
        ["decrypt", "-", *_keys(setup), "--root", str(setup.root), "--json"],
        ["inspect", "-", "--json"],
    ):
        _check(CliRunner().invoke(main, argv, input=content), True)


@fuzz_settings(12)
@given(content=hostile_bytes)
def test_hostile_root_in_the_environment(setup: Setup, content: bytes) -> None:
    result = CliRunner().invoke(
        main,
        ["trust", "show", "--json"],
        env={"APPLEPAY_ROOT_CA": str(setup.hostile_file(content))},
    )
    _check(result, True)


def test_a_decrypted_payload_with_a_lone_surrogate_prints(setup: Setup) -> None:
    """The review's example: it passed PaymentData.from_json, then crashed the printing."""
    payload = setup.base / "surrogate.json"
    payload.write_text(json.dumps({**sample_payload(), "cardholderName": "\ud800"}))
    minted = CliRunner().invoke(
        main,
        [
            "mint",
            "--ca",
            str(setup.ca),
            "--cert",
            str(setup.cert),
            "--payload",
            str(payload),
            "--at",
            AT,
        ],
    )
    assert minted.exit_code == 0, minted.output
    for extra in ([], ["--json"], ["--json", "--reveal"]):
        result = CliRunner().invoke(
            main,
            ["decrypt", "-", *_keys(setup), "--root", str(setup.root), "--at", AT, *extra],
            input=minted.stdout,
        )
        assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit | None), result.exception
        if "--json" in extra:
            json.loads(result.stdout)


# --- a few real processes: argv bytes that are not UTF-8, a real stdin, a real network error


def _cli(*args: str | bytes, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    script = Path(sys.executable).with_name("applepay-crypto")
    command: list[str | bytes] = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from applepay_crypto.cli import main; main()"]
    )
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, timeout=60, env=env, check=False
    )


def test_processes(setup: Setup) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    runs = [
        (
            _cli(
                "decrypt",
                "-",
                *_keys(setup),
                "--root",
                str(setup.root),
                "--json",
                stdin=b'{"token":[' * 3000,
            ),
            True,
        ),
        (
            _cli(
                "decrypt",
                str(setup.token),
                "--key",
                str(setup.key),
                "--merchant-id",
                b"merchant.\xff",
                "--root",
                str(setup.root),
                "--at",
                AT,
                "--json",
            ),
            True,
        ),
        (
            _cli(
                "trust",
                "install",
                "--url",
                f"http://127.0.0.1:{port}/root.cer",
                "--to",
                str(setup.base / "r.cer"),
            ),
            False,
        ),
    ]
    for run, as_json in runs:
        output = run.stdout + run.stderr
        assert run.returncode in (1, 2) and b"Traceback" not in output, output[-600:]
        if as_json:
            assert set(json.loads(run.stdout)) == {"error"}
    assert runs[2][0].returncode == 2 and b"--from FILE" in runs[2][0].stderr
    batch = _cli(
        "decrypt-batch",
        "-",
        *_keys(setup),
        "--root",
        str(setup.root),
        "--at",
        AT,
        "--workers",
        "2",
        stdin=b'{"id":1,"token":[]}\n{"token":null}\n{"id":2,"token":'
        + b"[" * 3000
        + b"}\n"
        + setup.token.read_bytes()
        + b"\n",
    )
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert batch.returncode == 1 and b"Traceback" not in batch.stderr
    assert [line.get("error", {}).get("code") for line in lines] == ["malformed_token"] * 3 + [None]
