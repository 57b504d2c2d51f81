"""Issue #14, item 9: decrypt-batch keeps positions and reports progress as asked.
(The property test that output line N answers input line N, blank lines and hostile lines
included, with 1 and 2 workers, is tests/security/test_batch_lines.py.)"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from applepay_crypto.batch import BatchConfig, BatchStats, run_batch
from applepay_crypto.cli import main
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

SIGNED = dt.datetime(2026, 8, 8, 8, 0, tzinfo=dt.timezone.utc)
AT = "2026-08-08T08:00:30Z"


@pytest.fixture(scope="module")
def token_line(authority: TestAuthority, ec_merchant: TestMerchant) -> bytes:
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    return json.dumps(token).encode()


def _lines(count: int, token_line: bytes) -> bytes:
    """``count`` lines: a few tokens, blank lines and junk (fast to refuse)."""
    kinds = [token_line, b"", b"junk", b"   ", b'{"id":1,"token":{}}']
    return b"".join(kinds[index % len(kinds)] + b"\n" for index in range(count))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(("lines", "every"), [(2003, 500), (20, 1), (20, 3), (7, 7), (6, 7)])
def test_progress_exactly_every_n_lines(
    authority: TestAuthority,
    ec_merchant: TestMerchant,
    token_line: bytes,
    workers: int,
    lines: int,
    every: int,
) -> None:
    config = BatchConfig.from_objects(
        [ec_merchant.merchant_key], trust=authority.trust_store(), now=SIGNED
    )
    seen: list[tuple[int, int]] = []

    def progress(stats: BatchStats) -> None:
        seen.append((stats.lines, stats.decrypted + sum(stats.errors.values())))

    sink = io.BytesIO()
    stats = run_batch(
        io.BytesIO(_lines(lines, token_line)),
        sink,
        config,
        workers=workers,
        progress=progress,
        progress_every=every,
    )
    assert [at for at, _ in seen] == list(range(every, lines + 1, every))
    assert all(at == counted for at, counted in seen)  # the counts are those of that line
    out = sink.getvalue().split(b"\n")[:-1]
    assert stats.lines == len(out) == lines  # 2003 in, 2003 out (the issue: 2002)
    for number, line in enumerate(out, start=1):
        document = json.loads(line)
        assert ("error" in document) == (number % 5 != 1)
        assert document.get("line", number) == number


def _cli_files(tmp_path: Path, ec_merchant: TestMerchant, authority: TestAuthority) -> list[str]:
    paths = ec_merchant.save(tmp_path / "m")
    root = tmp_path / "root.pem"
    root.write_bytes(authority.root.certificate.public_bytes(serialization.Encoding.PEM))
    return [
        "--key",
        str(paths["key"]),
        "--cert",
        str(paths["certificate"]),
        "--root",
        str(root),
        "--at",
        AT,
    ]


def test_piped_progress_is_plain_lines(
    tmp_path: Path, ec_merchant: TestMerchant, authority: TestAuthority, token_line: bytes
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines(10, token_line))
    keys = _cli_files(tmp_path, ec_merchant, authority)
    text = CliRunner().invoke(main, ["decrypt-batch", str(source), *keys, "--progress-every", "3"])
    assert text.exit_code == 1
    reports = [line for line in text.stderr.splitlines() if "lines/s" in line]
    assert [line.split(" ")[0] for line in reports] == ["3", "6", "9"]
    assert text.stderr.splitlines()[-1].startswith("10 lines: 2 decrypted, 8 rejected")
    assert len(text.stdout.splitlines()) == 10
    as_json = CliRunner().invoke(
        main, ["decrypt-batch", str(source), *keys, "--progress-every", "4", "--json"]
    )
    documents = [json.loads(line) for line in as_json.stderr.splitlines() if line.startswith("{")]
    assert [d["progress"]["lines"] for d in documents[:-1]] == [4, 8]
    assert documents[-1] == {
        "lines": 10,
        "decrypted": 2,
        "rejected": 8,
        "errors": {"malformed_token": 8},
    }


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_a_terminal_gets_a_progress_bar(
    tmp_path: Path, ec_merchant: TestMerchant, authority: TestAuthority, token_line: bytes
) -> None:
    """A real process whose stderr is a pseudo-terminal, its stdout a pipe."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(_lines(250, token_line))
    keys = _cli_files(tmp_path, ec_merchant, authority)
    leader, follower = pty.openpty()
    command = [sys.executable, "-c", "from applepay_crypto.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "decrypt-batch", str(source), *keys, "--progress-every", "50"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout = process.stdout.read() if process.stdout else b""
    assert process.wait(timeout=60) == 1
    os.close(leader)
    text = seen.decode("utf-8", "replace")
    assert "decrypting" in text and "%" in text, text[-400:]  # click's bar
    assert "50 lines, " not in text  # no plain report lines on a terminal
    assert "250 lines: 50 decrypted, 200 rejected" in text
    assert len(stdout.splitlines()) == 250  # the results still go to stdout, one per line
