"""Issue #14, item 3: `--json` means JSON, always. Every command of both CLIs, found by
walking their click groups (a command added later is walked too), is given usage errors
built from its own parameters: an unknown option, a value its type refuses (a missing
file, a bad --at, a bad choice...), nothing at all when something is required. With
--json anywhere on the command line: exactly one JSON error object on stdout, exit 2.
Without: click's usual text on stderr, nothing on stdout, exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from applepay_crypto.cli import main as applepay_main
from applepay_crypto.cli._keys import KeyFileOrUri
from applepay_crypto.cli.params import Duration, Timestamp
from googlepay_crypto.cli import main as googlepay_main
from paykka_sign.cli import main as paykka_main

CLIS = {
    "applepay-crypto": applepay_main,
    "paykka-sign": paykka_main,
    "googlepay-crypto": googlepay_main,
}
ABSENT = "/nonexistent/issue-14/file"


def leaf_commands() -> Iterator[tuple[str, tuple[str, ...], click.Command]]:
    def walk(group: click.Group, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        for name, command in sorted(group.commands.items()):
            if isinstance(command, click.Group):
                yield from walk(command, (*path, name))
            else:
                yield (*path, name)

    for cli, group in CLIS.items():
        for path in walk(group, ()):
            command: Any = group
            for name in path:
                command = command.commands[name]
            yield cli, path, command


COMMANDS = {
    f"{cli} {' '.join(path)}": (cli, path, command) for cli, path, command in leaf_commands()
}


def refused_value(param: click.Parameter) -> str | None:
    """A value ``param``'s type refuses, or None when its type takes any text."""
    kind = param.type
    if isinstance(kind, KeyFileOrUri):
        return "not-a-pkcs11-uri" if kind.uri_only else ABSENT
    if isinstance(kind, click.Path) and kind.exists:
        return ABSENT
    if isinstance(kind, click.File) and "r" in kind.mode:
        return ABSENT
    if isinstance(kind, click.Choice):
        return "not-one-of-the-choices"
    if isinstance(kind, click.types.IntParamType | click.types.FloatParamType):
        return "not-a-number"
    if isinstance(kind, Timestamp):
        return "yesterday"
    if isinstance(kind, Duration):
        return "soon"
    return None


def usage_errors(path: tuple[str, ...], command: click.Command) -> Iterator[tuple[list[str], str]]:
    """(argv, what the message must name) for each usage error ``command`` can be given."""
    yield [*path, "--no-such-option"], "--no-such-option"
    if any(param.required for param in command.params):
        yield list(path), "Missing"
    for param in command.params:
        value = refused_value(param)
        if value is None or getattr(param, "hidden", False):
            continue
        if isinstance(param, click.Option) and not param.is_flag:
            yield [*path, param.opts[0], value], param.opts[0]
        elif isinstance(param, click.Argument):
            yield [*path, value], param.human_readable_name


def invoke(cli: str, argv: list[str]) -> Result:
    return CliRunner().invoke(CLIS[cli], argv, catch_exceptions=False)


def test_every_command_has_json() -> None:
    lacking = [
        name
        for name, (_, _, command) in COMMANDS.items()
        if not any(p.name == "as_json" and "--json" in p.opts for p in command.params)
    ]
    assert lacking == []


def test_the_walk_found_every_command() -> None:
    """Guards the walk itself: the commands the issue names are among those walked."""
    for name in (
        "applepay-crypto decrypt-batch",
        "applepay-crypto mint",
        "applepay-crypto test-ca new",
        "applepay-crypto test-ca sign",
        "paykka-sign yabandpay verify",
        "paykka-sign applepay-request",
        "googlepay-crypto decrypt",
        "googlepay-crypto verify",
        "googlepay-crypto inspect",
    ):
        assert name in COMMANDS


def _one_json_error(result: Result) -> dict[str, Any]:
    assert result.exit_code == 2, (result.exit_code, result.output[-500:])
    document = json.loads(result.stdout)  # exactly one JSON document, nothing around it
    assert isinstance(document, dict) and set(document) == {"error"}, document
    assert set(document["error"]) == {"code", "message"}
    return dict(document["error"])


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_usage_errors_are_one_json_object_with_json(name: str) -> None:
    cli, path, command = COMMANDS[name]
    cases = list(usage_errors(path, command))
    assert cases
    for argv, named in cases:
        for where in ("end", "start"):  # --json anywhere: after the command, before it
            words = [*argv, "--json"] if where == "end" else [*path, "--json", *argv[len(path) :]]
            error = _one_json_error(invoke(cli, words))
            assert error["code"] == "usage_error", (words, error)
            assert named in error["message"], (words, error)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_usage_errors_are_clicks_text_without_json(name: str) -> None:
    cli, path, command = COMMANDS[name]
    for argv, named in usage_errors(path, command):
        result = invoke(cli, argv)
        assert result.exit_code == 2, (argv, result.output[-500:])
        assert result.stdout == ""
        assert "Usage: " in result.stderr and "Error: " in result.stderr and named in result.stderr


@pytest.mark.parametrize("cli", sorted(CLIS))
def test_json_before_the_command_and_unknown_commands(cli: str) -> None:
    for argv in (["--json", "no-such-command"], ["no-such-command", "--json"]):
        assert _one_json_error(invoke(cli, argv))["code"] == "usage_error"
    text = invoke(cli, ["no-such-command"])
    assert text.exit_code == 2 and text.stdout == "" and "No such command" in text.stderr


def test_a_json_after_a_double_dash_is_an_argument(tmp_path: Path) -> None:
    """After `--` nothing is an option: `--json` there is a file name, not the flag."""
    result = invoke("applepay-crypto", ["cert", "inspect", "--", "--json"])
    assert result.exit_code == 2 and result.stdout == "" and "Usage: " in result.stderr


@pytest.fixture
def files(tmp_path: Path, authority: Any) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = tmp_path / "key.pem"
    key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    body = tmp_path / "body.json"
    body.write_text('{"merchant_id": "M1", "timestamp": 1}')
    token = tmp_path / "token.json"
    token.write_text("{}")
    return {"key": key, "body": body, "token": token}


def test_the_issues_examples(files: dict[str, Path]) -> None:
    """The cases the issue lists that click cannot see: checks inside the commands."""
    key, body, token = (str(files[name]) for name in ("key", "body", "token"))
    cases = [
        ("paykka-sign", ["sign", "--key", key, "--body", body, "--api", "v3", "--json"]),
        (
            "paykka-sign",
            [
                "applepay-request",
                token,
                "--provider",
                "paykka",
                "--signing-key",
                key,
                "--order-id",
                "o1",
                "--amount",
                "100",
                "--currency",
                "EUR",
                "--json",
            ],
        ),
        ("applepay-crypto", ["decrypt", token, "--json"]),  # no --key
        ("applepay-crypto", ["decrypt", token, "--key", key, "--at", "noon", "--json"]),
    ]
    for cli, argv in cases:
        error = _one_json_error(invoke(cli, argv))
        assert error["code"] == "usage_error"


def test_an_unexpected_exception_is_internal_error(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The top group catches what no command expected (here a bug in paykka-sign sign):
    `internal_error`, exit 2, the exception's type named, its text (card data?) never."""
    import paykka_sign.cli.paykka as paykka_cli

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("4111111111111111")

    monkeypatch.setattr(paykka_cli, "read_private_key", broken)
    argv = ["sign", "--key", str(files["key"]), "--body", str(files["body"])]
    error = _one_json_error(invoke("paykka-sign", [*argv, "--json"]))
    assert error == {
        "code": "internal_error",
        "message": "unexpected RuntimeError; please report this as a bug",
    }
    text = invoke("paykka-sign", argv)
    assert text.exit_code == 2 and "4111111111111111" not in text.output
    assert "error [internal_error]: unexpected RuntimeError" in text.stderr


def test_json_and_a_text_format_exclude_each_other(files: dict[str, Path]) -> None:
    argv = ["sign", "--key", str(files["key"]), "--body", str(files["body"]), "--format", "curl"]
    error = _one_json_error(invoke("paykka-sign", [*argv, "--json"]))
    assert error["code"] == "usage_error" and "--format curl" in error["message"]
    assert invoke("paykka-sign", argv).stdout.startswith("-H ")
