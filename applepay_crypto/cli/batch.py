"""``decrypt-batch``: JSON Lines in, JSON Lines out, streaming, optionally in parallel."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any, BinaryIO

import click

from ..batch import BatchConfig, BatchStats, run_batch
from ..keys import MerchantKey, name_the_pair
from ._common import (
    at_option,
    handles_errors,
    json_option,
    max_age_option,
    merchant_key_options,
    root_option,
    trust_store,
    warn,
)
from ._keys import KeySource, key_pairs
from .replay_options import replay_guard_factory_from_options, replay_options

#: On a terminal the bar moves at least every this many lines.
_BAR_STEP = 100


class _Progress:
    """Progress on stderr (issue #14): piped, one plain line (one JSON object with
    ``--json``) after exactly every ``every`` lines; on a terminal, a bar that moves every
    ``min(every, 100)`` lines (click's bar when SOURCE is a file of known length, one line
    rewritten in place when it is a stream)."""

    def __init__(self, *, every: int, total: int | None, as_json: bool, terminal: bool) -> None:
        self.started = time.monotonic()
        self.as_json = as_json
        self.terminal = terminal
        self.every = min(every, _BAR_STEP) if terminal else every
        self._bar: Any = None
        if terminal and total is not None:
            self._bar = click.progressbar(length=total, label="decrypting", file=sys.stderr)
            self._bar.__enter__()
        self._shown = 0

    def __call__(self, stats: BatchStats) -> None:
        if self._bar is not None:
            self._bar.update(stats.lines - self._shown)
            self._shown = stats.lines
        elif self.terminal:
            click.echo(f"\r{self._text(stats)}", nl=False, err=True)
            self._shown = stats.lines
        elif self.as_json:
            click.echo(json.dumps({"progress": self._counts(stats)}), err=True)
        else:
            click.echo(self._text(stats), err=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        elif self.terminal and self._shown:
            click.echo("", err=True)  # end the line rewritten in place

    def _counts(self, stats: BatchStats) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {
            "lines": stats.lines,
            "decrypted": stats.decrypted,
            "rejected": sum(stats.errors.values()),
            "lines_per_second": round(stats.lines / elapsed),
        }

    def _text(self, stats: BatchStats) -> str:
        counts = self._counts(stats)
        return (
            f"{counts['lines']} lines, {counts['decrypted']} decrypted, {counts['rejected']} "
            f"rejected ({counts['lines_per_second']} lines/s)"
        )


def _line_count(source: BinaryIO) -> int | None:
    """The number of lines of a regular file (then read again from its start), or ``None``
    for a pipe or a terminal, whose length is unknown."""
    try:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode) or not source.seekable():
            return None
        start = source.tell()
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None
    count, last = 0, b"\n"
    while chunk := source.read(1024 * 1024):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    source.seek(start)
    return count + (last != b"\n")


@click.command("decrypt-batch")
@click.argument("source", type=click.File("rb"), default="-")
@click.option(
    "--output",
    "-o",
    type=click.File("wb"),
    default="-",
    help="Where to write the results (default stdout).",
)
@merchant_key_options()
@at_option
@max_age_option
@root_option
@click.option(
    "--no-verify", is_flag=True, help="Skip Apple's signature checks. Never for real payments."
)
@click.option("--reveal", is_flag=True, help="Write card numbers and cryptograms unmasked.")
@replay_options
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Decrypting processes.",
)
@click.option(
    "--progress-every",
    type=click.IntRange(1),
    default=10_000,
    show_default=True,
    help="Report progress on stderr every N lines (a bar on a terminal).",
)
@json_option
@handles_errors
def decrypt_batch(
    source: BinaryIO,
    output: BinaryIO,
    keys: tuple[KeySource, ...],
    certs: tuple[Path, ...],
    merchant_id: str | None,
    at: dt.datetime | None,
    max_age: dt.timedelta,
    root: Path | None,
    no_verify: bool,
    reveal: bool,
    replay_db: Path | None,
    replay_redis: str | None,
    workers: int,
    progress_every: int,
    as_json: bool,
) -> None:
    """Decrypt SOURCE (JSON Lines; a file, or - for stdin), one result per line, in order.

    Each line is a token (any accepted shape) or {"id": ..., "token": ...}. Output line N
    answers input line N, blank lines included: what `decrypt --json` prints, or
    {"line": N, "error": {"code", "message"}}, with the id when one was given. Card data
    is masked unless --reveal. Exit 0 when every line decrypted, 1 when some were
    rejected, 2 on usage errors. With --json, a usage or setup error is one JSON object on
    stdout, and progress and the summary are JSON objects on stderr (stdout holds the
    results).

    A --key that is a PKCS#11 URI is opened once here (to check it) and once in each
    worker process, which starts afresh and opens the token from the URI.
    """
    in_process: list[MerchantKey] = []
    in_token: list[tuple[str, str | None, bytes | None, str | None]] = []
    for index, (key_source, cert) in enumerate(key_pairs(keys, certs)):
        # Every key is opened here, so that a wrong PIN or a missing key is one setup
        # error before any line; a key in a token then goes to the workers as its URI.
        with name_the_pair(index, key_source, cert):
            key = key_source.merchant_key(certificate=cert, merchant_id=merchant_id)
        if key_source.uri is None:
            in_process.append(key)
        else:
            pem = cert.read_bytes() if cert is not None else None
            in_token.append((key_source.uri, key_source.module, pem, merchant_id))
    if no_verify:
        warn("--no-verify: signatures are NOT checked; these tokens may be forged")
    config = BatchConfig.from_objects(
        in_process,
        pkcs11_keys=in_token,
        trust=None if no_verify else trust_store(root),
        max_age=max_age,
        reveal=reveal,
        now=at,
        replay_guard_factory=replay_guard_factory_from_options(
            replay_db, replay_redis, window=max_age, now=at
        ),
    )
    terminal = sys.stderr.isatty()
    progress = _Progress(
        every=progress_every,
        total=_line_count(source) if terminal else None,
        as_json=as_json,
        terminal=terminal,
    )
    try:
        stats = run_batch(
            source,
            output,
            config,
            workers=workers,
            progress=progress,
            progress_every=progress.every,
        )
    finally:
        progress.close()
    output.flush()
    rejected = sum(stats.errors.values())
    if as_json:
        summary = {"lines": stats.lines, "decrypted": stats.decrypted, "rejected": rejected}
        click.echo(json.dumps({**summary, "errors": dict(sorted(stats.errors.items()))}), err=True)
    else:
        detail = ", ".join(f"{code}: {count}" for code, count in sorted(stats.errors.items()))
        click.echo(
            f"{stats.lines} lines: {stats.decrypted} decrypted, {rejected} rejected"
            + (f" ({detail})" if detail else ""),
            err=True,
        )
    sys.exit(1 if rejected else 0)
