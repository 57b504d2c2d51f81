"""``paykka-sign simulate``: the local PayKKa/YabandPay simulator in the foreground.

A thin shell over :class:`paykka_sign.simulator.Simulator`: reads the merchant's public key
(and the YabandPay secret), writes the platform public key the client verifies with, prints
how to point the client at it, then serves until interrupted (Ctrl-C).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import click

from ..keys import read_public_key
from ..simulator import Simulator
from ._common import (
    SECRET_ENV_VAR,
    existing_file,
    handles_errors,
    json_option,
    print_json,
    read_secret,
)

__all__ = ["simulate"]

PLATFORM_FILE = "paykka-platform.pem"


def _describe(sim: Simulator, platform_file: Path, yabandpay: bool) -> dict[str, Any]:
    return {
        "url": sim.url,
        "port": sim.port,
        "platform_public_key_file": str(platform_file),
        "merchant_id": sim.merchant_id,
        "app_id": sim.app_id,
        "yabandpay_user": sim.yabandpay_user if yabandpay else None,
        "client_options": [
            "--base-url",
            sim.url,
            "--platform-key",
            str(platform_file),
            "--merchant-id",
            sim.merchant_id,
            "--app-id",
            sim.app_id,
        ],
    }


def _print_text(description: dict[str, Any]) -> None:
    click.echo(f"PayKKa / YabandPay simulator on {description['url']} (Ctrl-C stops it)")
    click.echo(f"platform public key: {description['platform_public_key_file']}")
    click.echo(f"merchant_id: {description['merchant_id']}  app_id: {description['app_id']}")
    if description["yabandpay_user"] is not None:
        click.echo(f"YabandPay user: {description['yabandpay_user']}")
    click.echo("point the client at it:")
    click.echo(f"  paykka-sign paykka query ... {' '.join(description['client_options'])}")
    click.echo(
        f"  PaykkaClient(base_url={description['url']!r}, platform_public_key="
        f"read_public_key({description['platform_public_key_file']!r}), ...)"
    )


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8719,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--merchant-public-key",
    "merchant_public_key",
    type=existing_file,
    required=True,
    help="Your PayKKa public key (the simulator verifies your requests with it).",
)
@click.option("--merchant-id", default="18356675194960", show_default=True)
@click.option("--app-id", default="978594372956732", show_default=True)
@click.option(
    "--yabandpay-secret-file",
    "yabandpay_secret_path",
    type=existing_file,
    default=None,
    help="YabandPay secret key file (enables YabandPay; or $YABANDPAY_SECRET_KEY).",
)
@click.option("--yabandpay-user", default="016683", show_default=True)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the platform public key (default: a new temporary directory).",
)
@click.option("--tamper", is_flag=True, help="Alter every answer after signing (tests).")
@json_option
@handles_errors
def simulate(
    port: int,
    merchant_public_key: Path,
    merchant_id: str,
    app_id: str,
    yabandpay_secret_path: Path | None,
    yabandpay_user: str,
    out_dir: Path | None,
    tamper: bool,
    as_json: bool,
) -> None:
    """Run a local PayKKa (v1.2, v3) and YabandPay on 127.0.0.1 in the foreground.

    It checks your signatures, timestamps and nonces as the PSPs document, answers signed
    with a platform key generated at start (its public key is written to a file and
    printed), and keeps sessions and transactions in memory. Not PayKKa: see
    docs/paykka-sign.md, "Simulator".
    """
    key = read_public_key(merchant_public_key)
    given = yabandpay_secret_path is not None or os.environ.get(SECRET_ENV_VAR, "").strip()
    secret = read_secret(yabandpay_secret_path) if given else None
    sim = Simulator(
        merchant_public_key=key,
        merchant_id=merchant_id,
        app_id=app_id,
        yabandpay_secret=secret,
        yabandpay_user=yabandpay_user,
        port=port,
        tamper=tamper,
    )
    directory = out_dir if out_dir is not None else Path(tempfile.mkdtemp(prefix="paykka-sim-"))
    directory.mkdir(parents=True, exist_ok=True)
    platform_file = directory / PLATFORM_FILE
    platform_file.write_bytes(sim.platform_public_key_pem)  # a public key: no secret
    with sim:
        description = _describe(sim, platform_file, secret is not None)
        if as_json:
            print_json(description)
        else:
            _print_text(description)
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop, exit 0
            threading.Event().wait()
