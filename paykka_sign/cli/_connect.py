"""What the commands that talk to a PSP share: the connection options, the client they
build, and how a verified answer is printed (masked by allow-list unless ``--reveal``).

``httpx`` is imported only when such a command runs: ``paykka-sign`` works without the
``client`` extra, and these commands then stop with ``missing_dependency`` (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..client._extra import require_httpx
from ..client.masking import PAYKKA_ANSWER
from ..clock import utc_now
from ..keys import read_private_key, read_public_key
from ._common import existing_file, print_json, warn

if TYPE_CHECKING:
    from ..client import PaykkaClient

F = TypeVar("F", bound=Callable[..., Any])


def connection_options(command: F) -> F:
    """``--api``, keys, recipient, base URL and timeout of a PayKKa command."""
    for option in reversed(
        [
            click.option(
                "--api",
                type=click.Choice(["v1.2", "v3"]),
                default="v3",
                show_default=True,
                help="PayKKa API version.",
            ),
            click.option(
                "--signing-key",
                "signing_key",
                type=existing_file,
                required=True,
                help="Your PayKKa RSA private key (signs every request).",
            ),
            click.option(
                "--platform-key",
                "platform_key_path",
                type=existing_file,
                required=True,
                help="PayKKa's platform public key (verifies every answer).",
            ),
            click.option("--merchant-id", required=True, help="Your PayKKa merchant_id."),
            click.option("--app-id", default=None, help="v3: your x-paykka-appid."),
            click.option(
                "--base-url",
                default=None,
                help="Base URL (default: the --environment's documented URL).",
            ),
            click.option(
                "--environment",
                default="sandbox",
                show_default=True,
                help="v3: sandbox, production, production-eu, production-aq; v1.2: sandbox.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1, max=600),
                default=30.0,
                show_default=True,
                help="Seconds to wait for PayKKa's answer.",
            ),
        ]
    ):
        command = option(command)
    return command


def paykka_client(o: dict[str, Any]) -> PaykkaClient:
    """The client the options describe (usage errors before any key is read)."""
    if o["api"] == "v3" and o["app_id"] is None:
        raise click.UsageError("--api v3 needs --app-id")
    require_httpx()
    from ..client import PaykkaClient

    at = o.get("at")
    platform = read_public_key(o["platform_key_path"])  # the quick one first
    return PaykkaClient(
        api=o["api"],
        clock=(lambda: at) if at is not None else utc_now,
        private_key=read_private_key(o["signing_key"]),
        platform_public_key=platform,
        merchant_id=o["merchant_id"],
        app_id=o["app_id"],
        base_url=o["base_url"],
        environment=o["environment"],
        timeout=o["timeout"],
    )


reveal_option = click.option(
    "--reveal",
    is_flag=True,
    help="Print the answer's data as received. Default: fields not known to be safe masked.",
)


def print_answer(document: dict[str, Any], data: Any, *, reveal: bool, as_json: bool) -> None:
    """``document`` with the verified ``data``, masked unless ``reveal``."""
    shown = data if reveal or data is None or isinstance(data, str) else _masked(data)
    if shown != data:
        warn("fields of the answer not known to be safe to show are masked; --reveal shows them")
    document = {**document, "data": shown}
    if as_json:
        print_json(document)
        return
    for name, value in document.items():
        if name != "data":
            click.echo(f"{name}: {value}")
    click.echo("data:")
    print_json(shown)


def _masked(data: Any) -> Any:
    masked: dict[str, Any] = PAYKKA_ANSWER({"data": data})
    return masked["data"]


def read_extra(path: Path | None) -> dict[str, Any] | None:
    from ..messages import parse_json_object
    from ._common import read_input

    return None if path is None else parse_json_object(read_input(str(path), what="--extra file"))
