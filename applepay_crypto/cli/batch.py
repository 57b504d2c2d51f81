"""``decrypt-batch``: JSON Lines in, JSON Lines out, streaming, optionally in parallel."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import click

from ..batch import BatchConfig, BatchStats, run_batch
from ..keys import MerchantKey
from ._common import (
    at_option,
    handles_errors,
    max_age_option,
    merchant_key_options,
    root_option,
    trust_store,
    warn,
)
from ._keys import KeySource, key_pairs
from ._replay import replay_guard_factory_from_options, replay_options


def _progress(started: float) -> Callable[[BatchStats], None]:
    def report(stats: BatchStats) -> None:
        elapsed = max(time.monotonic() - started, 1e-9)
        rejected = sum(stats.errors.values())
        click.echo(
            f"{stats.lines} lines, {stats.decrypted} decrypted, {rejected} rejected "
            f"({stats.lines / elapsed:.0f} lines/s)",
            err=True,
        )

    return report


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
    help="Report progress on stderr every N lines.",
)
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
) -> None:
    """Decrypt SOURCE (JSON Lines; a file, or - for stdin), one result per line, in order.

    Each line is a token (any accepted shape) or {"id": ..., "token": ...}. Each output
    line is what `decrypt --json` prints, or {"error": {"code", "message"}}, with the id
    when one was given. Card data is masked unless --reveal. Exit 0 when every line
    decrypted, 1 when some were rejected, 2 on usage errors.

    A --key that is a PKCS#11 URI is opened once here (to check it) and once in each
    worker process, which starts afresh and opens the token from the URI.
    """
    in_process: list[MerchantKey] = []
    in_token: list[tuple[str, str | None, bytes | None, str | None]] = []
    for key_source, cert in key_pairs(keys, certs):
        # Every key is opened here, so that a wrong PIN or a missing key is one setup
        # error before any line; a key in a token then goes to the workers as its URI.
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
    started = time.monotonic()
    stats = run_batch(
        source,
        output,
        config,
        workers=workers,
        progress=_progress(started),
        progress_every=progress_every,
    )
    output.flush()
    rejected = sum(stats.errors.values())
    detail = ", ".join(f"{code}: {count}" for code, count in sorted(stats.errors.items()))
    click.echo(
        f"{stats.lines} lines: {stats.decrypted} decrypted, {rejected} rejected"
        + (f" ({detail})" if detail else ""),
        err=True,
    )
    sys.exit(1 if rejected else 0)
