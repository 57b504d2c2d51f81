"""The googlepay-crypto command blocks of README.md and docs/googlepay-tools.md are real
output: each block is run as written (real processes, in order) in a directory holding the
files the documents name, and its output compared line for line.

The files (the documents say where each comes from):

- ``token.json``, ``keys.json``, ``merchant-key.pem``: the ``token``, ``root_keys_json``
  and ``recipient_private_key_pem`` of the real Google Pay TEST-environment token in
  ``../shared/vectors/googlepay/external/moov/ecv2-test-environment-token.json`` (skipped
  with a reason when ../shared is absent);
- ``new-key.pem``: any other P-256 key (the key rotated to);
- ``network-token.json``, ``network-keys.json``, ``network-key.pem``: a CRYPTOGRAM_3DS
  token sealed by tests/googlepay_support.py's sealer with fresh keys, for
  ``merchant:12345678901234567890``, its root keys and its merchant key. The output does not
  depend on the keys: the block's output is the same on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import GOOGLEPAY_VECTORS, Sealer, payment_message

from support import REPO, require_shared

MOOV = "external/moov/ecv2-test-environment-token.json"


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _secret(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def prepare(where: Path) -> None:
    """Write the files the documented blocks use into ``where``."""
    vector = json.loads(require_shared(GOOGLEPAY_VECTORS / MOOV).read_text())
    (where / "token.json").write_text(vector["token"])
    (where / "keys.json").write_text(vector["root_keys_json"])
    _secret(where / "merchant-key.pem", vector["recipient_private_key_pem"].encode())
    _secret(where / "new-key.pem", _pem(ec.generate_private_key(ec.SECP256R1())))
    sealer = Sealer.generated()
    merchant = ec.generate_private_key(ec.SECP256R1())
    message = payment_message(network_token=True)
    (where / "network-token.json").write_text(sealer.seal(message, merchant.public_key()))
    (where / "network-keys.json").write_text(sealer.root_keys_json())
    _secret(where / "network-key.pem", _pem(merchant))


def blocks(document: str) -> list[list[tuple[str, list[str]]]]:
    """Every console block of ``document`` that runs googlepay-crypto: its commands, each
    with the output lines shown for it."""
    found: list[list[tuple[str, list[str]]]] = []
    current: list[tuple[str, list[str]]] | None = None
    for line in (REPO / document).read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if current and any("googlepay-crypto " in command for command, _ in current):
                found.append(current)
            current = [] if line.strip() == "```console" else None
        elif current is not None:
            if line.startswith("$ "):
                current.append((line[2:], []))
            elif current:
                current[-1][1].append(line)
    return found


DOCUMENTS = ["README.md", "docs/googlepay-tools.md"]
CASES = [
    pytest.param(document, index, id=f"{document}:{index}")
    for document in DOCUMENTS
    for index in range(len(blocks(document)))
]


def test_the_documents_have_googlepay_blocks() -> None:
    assert len([case for case in CASES if case.values[0] == "README.md"]) >= 1
    assert len(CASES) >= 6


@pytest.mark.parametrize(("document", "index"), CASES)
def test_the_block_is_real_output(tmp_path: Path, document: str, index: int) -> None:
    prepare(tmp_path)
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    for command, documented in blocks(document)[index]:
        run = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        assert [line.rstrip() for line in run.stdout.splitlines()] == documented, command
