"""Issue #14: the command blocks of README.md and docs/ still match the command lines. Every
`$ applepay-crypto ...` and `$ paykka-sign ...` line names commands that exist and options
those commands take (so a renamed option fails here, not in a user's shell); where the
output does not depend on keys made at random or on today's date, it is compared exactly."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from applepay_crypto.cli import main as applepay_main
from googlepay_crypto.cli import main as googlepay_main
from paykka_sign.cli import main as paykka_main

from support import REAL_VECTORS, REPO

CLIS: dict[str, click.Group] = {
    "applepay-crypto": applepay_main,
    "paykka-sign": paykka_main,
    "googlepay-crypto": googlepay_main,
}
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_SHELL_STOPS = {"|", "||", "&&", ">", ">>", "<", "2>", "2>&1", ";"}


def command_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, words) of each `$ PROG ...` line of the console blocks of ``path``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    in_console = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            in_console = line.strip() == "```console"
        elif in_console and line.startswith("$ "):
            number, text = index + 1, line[2:]
            while text.endswith("\\") and index + 1 < len(lines):
                index += 1
                text = text[:-1] + " " + lines[index].strip()
            words = _command(shlex.split(text, comments=True))
            if words and words[0] in CLIS:
                yield number, words
        index += 1


def _command(words: list[str]) -> list[str]:
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):  # VAR=value prefixes
        words = words[1:]
    for stop, word in enumerate(words):
        if word in _SHELL_STOPS or word.startswith((">", "2>")):
            return words[:stop]
    return words


def _check(words: list[str]) -> None:
    command: click.Command = CLIS[words[0]]
    rest = words[1:]
    if not rest:  # `_APPLEPAY_CRYPTO_COMPLETE=fish_source applepay-crypto`: completion
        return
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(words)}: no command after the group"
        name, rest = rest[0], rest[1:]
        assert name in command.commands, f"{name!r} is not a command of {command.name}"
        command = command.commands[name]
    known = {"--help", "-h"}
    for param in command.params:
        known.update(param.opts)
        known.update(getattr(param, "secondary_opts", []))
    for word in rest:
        if word == "--":
            break
        if word.startswith("-") and word not in ("-", "..."):
            option = word.split("=", 1)[0]
            assert option in known, f"{option} is not an option of {command.name}"


CASES = [
    pytest.param(words, id=f"{path.name}:{number}")
    for path in DOCS
    for number, words in command_lines(path)
]


def test_the_docs_have_command_lines() -> None:
    assert len(CASES) > 40  # guards the scanner itself


@pytest.mark.parametrize("words", CASES)
def test_documented_commands_exist(words: list[str]) -> None:
    _check(words)


def test_an_output_that_depends_on_nothing_random(tmp_path: Path) -> None:
    """`keys hash --cert` on the real certificate the docs use gives the documented hash."""
    cert = REAL_VECTORS / "basistheory-ec-new-2023" / "merchant_cert.pem"
    if not cert.exists():
        pytest.skip(f"{cert} is absent: the reference material in ../shared is not here")
    result = CliRunner().invoke(applepay_main, ["keys", "hash", "--cert", str(cert)])
    documented = (REPO / "README.md").read_text(encoding="utf-8")
    block = "$ applepay-crypto keys hash --cert merchant_cert.pem\n" + result.stdout
    assert block in documented


@pytest.mark.parametrize(
    ("cli", "variable"),
    [("applepay-crypto", "_APPLEPAY_CRYPTO_COMPLETE"), ("paykka-sign", "_PAYKKA_SIGN_COMPLETE")],
)
def test_shell_completion_as_documented(cli: str, variable: str) -> None:
    """README "Shell completion": the variable gives the script, and the script's
    completions list the commands (here: what bash asks for after `cert i` / `yabandpay v`)."""
    runner = CliRunner()
    script = runner.invoke(CLIS[cli], [], prog_name=cli, env={variable: "bash_source"})
    assert script.exit_code == 0 and f"_{cli.replace('-', '_')}_completion()" in script.stdout
    words = "applepay-crypto cert i" if cli == "applepay-crypto" else "paykka-sign yabandpay v"
    asked = runner.invoke(
        CLIS[cli],
        [],
        prog_name=cli,
        env={variable: "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "2"},
    )
    expected = "plain,inspect" if cli == "applepay-crypto" else "plain,verify"
    assert asked.stdout.split() == [expected]
