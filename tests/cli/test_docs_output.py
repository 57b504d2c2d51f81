"""Issue #14: command blocks show real output. The blocks below, which need nothing but the
tools, are run as written (real processes, in a fresh directory, in order) and their output
compared line for line with the docs; what differs from run to run (new keys' hashes,
transaction ids, fingerprints) is compared by its shape."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

#: (document, the first command of the block): blocks that depend on no outside file.
BLOCKS = [
    ("README.md", "$ applepay-crypto test-ca new ca"),
    ("docs/certificates.md", "$ applepay-crypto test-ca new ca"),
    (
        "docs/certificates.md",
        "$ applepay-crypto test-ca sign merchant/merchant.csr --ca ca --out merchant/apple_pay.cer",
    ),
]
_RANDOM = [
    (re.compile(r"[A-Za-z0-9+/]{43}="), "<base64 hash>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<hex id>"),
    (re.compile(r"\b[0-9A-F]{64}\b"), "<fingerprint>"),
]


def block(document: str, first: str) -> list[tuple[str, list[str]]]:
    """The block's commands, each with the output lines the document shows for it."""
    lines = (REPO / document).read_text(encoding="utf-8").splitlines()
    start = lines.index(first)
    commands: list[tuple[str, list[str]]] = []
    for line in lines[start:]:
        if line.startswith("```"):
            break
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    return commands


def _shape(lines: list[str]) -> list[str]:
    shaped = []
    for line in lines:
        for pattern, placeholder in _RANDOM:
            line = pattern.sub(placeholder, line)
        shaped.append(line.rstrip())
    return shaped


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-output")


@pytest.mark.parametrize(("document", "first"), BLOCKS, ids=[f"{d}:{f[2:40]}" for d, f in BLOCKS])
def test_the_block_is_real_output(workspace: Path, document: str, first: str) -> None:
    where = workspace / document.replace("/", "-")
    where.mkdir(exist_ok=True)
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command, documented in block(document, first):
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=where,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, (command, run.stdout[-600:])
        assert _shape(run.stdout.splitlines()) == _shape(documented), command
