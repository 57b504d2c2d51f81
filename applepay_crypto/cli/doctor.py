"""``doctor``: explain, step by step, why a token does or does not verify and decrypt."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .._timetext import utc_text
from ..doctor import Diagnosis, diagnose
from ._common import (
    EXIT_REJECTED,
    at_option,
    handles_errors,
    json_option,
    max_age_option,
    merchant_key_options,
    print_json,
)
from ._keys import KeySource

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_STYLE = {
    "ok": ("ok", "green"),
    "warning": ("warning", "yellow"),
    "problem": ("PROBLEM", "red"),
    "skipped": ("skipped", None),
}


@click.command()
@click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))
@merchant_key_options(required=False)
@at_option
@max_age_option
@click.option(
    "--root",
    type=_FILE,
    default=None,
    help="Trusted root (default: the installed Apple Root CA - G3).",
)
@json_option
@handles_errors
def doctor(
    token: str,
    keys: tuple[KeySource, ...],
    certs: tuple[Path, ...],
    merchant_id: str | None,
    at: dt.datetime | None,
    max_age: dt.timedelta,
    root: Path | None,
    as_json: bool,
) -> None:
    """Explain why TOKEN (a file, or - for stdin) does or does not verify and decrypt.

    Every check runs on its own and reports a finding with the library's error code and
    a suggested fix. Card data is never shown. Exit status 0 when the token verifies and
    decrypts, 1 otherwise.
    """
    if len(certs) > len(keys):
        raise click.UsageError("more --cert than --key options: they pair up in order")
    result = diagnose(
        Path(token),
        # A key in a token is opened here: a wrong PIN is a setup error (exit 2), as a
        # missing key file is.
        keys=[
            source.path if source.path is not None and source.password is None else source.held()
            for source in keys
        ],
        certificates=certs,
        merchant_id=merchant_id,
        root=root,
        now=at,
        max_age=max_age,
    )
    if as_json:
        print_json(result.to_json_dict())
    else:
        _print(result)
    sys.exit(0 if result.ok else EXIT_REJECTED)


def _print(result: Diagnosis) -> None:
    if result.version is not None:
        signed = f", signed {_iso(result.signing_time)}" if result.signing_time else ""
        click.echo(f"{result.version} token for publicKeyHash {result.public_key_hash}{signed}")
    width = max(len(f.step) for f in result.findings)
    for finding in result.findings:
        label, color = _STYLE[finding.status]
        code = "" if finding.code in ("ok", "skipped") else f" [{finding.code}]"
        click.echo(
            click.style(f"{label:<8}", fg=color)
            + f" {finding.step:<{width}}  {finding.message}{code}"
        )
        if finding.fix:
            click.echo(f"{'':<8} {'':<{width}}  fix: {finding.fix}")
    click.echo(_verdict(result))


def _verdict(result: Diagnosis) -> str:
    if result.ok:
        return "result: the token verifies and decrypts"
    steps = ", ".join(dict.fromkeys(f.step for f in result.problems))
    verify = "verifies" if result.verified else "does NOT verify"
    decrypt = "decrypts" if result.decrypted else "does NOT decrypt"
    return f"result: the token {verify} and {decrypt} (problems: {steps or 'none'})"


def _iso(moment: dt.datetime | None) -> str:
    return utc_text(moment) if moment else ""
