"""``trust install`` and ``trust show``: Apple Root CA - G3 on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .._timetext import utc_text
from ..trust import (
    APPLE_ROOT_CA_G3_SHA256,
    APPLE_ROOT_CA_G3_URL,
    ROOT_ENV_VAR,
    fingerprint,
    install_apple_root,
    load_apple_root,
    user_root_path,
)
from ._common import handles_errors, json_option, print_json


@click.group()
def trust() -> None:
    """Install and show the pinned Apple Root CA - G3."""


@trust.command()
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Install from this file instead of downloading.",
)
@click.option(
    "--url", default=APPLE_ROOT_CA_G3_URL, show_default=True, help="Where to download it from."
)
@click.option(
    "--to",
    "destination",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Where to write it (default {user_root_path()}).",
)
@json_option
@handles_errors(setup=True)
def install(source: Path | None, url: str, destination: Path | None, as_json: bool) -> None:
    """Install Apple Root CA - G3, refusing any certificate whose fingerprint is not Apple's."""
    path = install_apple_root(source=source, url=url, destination=destination)
    if as_json:
        print_json({"installed": str(path), "sha256": APPLE_ROOT_CA_G3_SHA256.hex().upper()})
    else:
        click.echo(f"installed Apple Root CA - G3 at {path}")


@trust.command()
@json_option
@handles_errors(setup=True)
def show(as_json: bool) -> None:
    """Where the root is read from, and its fingerprint."""
    root = load_apple_root()
    source = os.environ.get(ROOT_ENV_VAR) or str(user_root_path())
    document = {
        "path": source,
        "subject": root.subject.rfc4514_string(),
        "sha256": fingerprint(root).hex().upper(),
        "not_after": utc_text(root.not_valid_after_utc),
    }
    if as_json:
        print_json(document)
    else:
        for key, value in document.items():
            click.echo(f"{key:<9} {value}")
