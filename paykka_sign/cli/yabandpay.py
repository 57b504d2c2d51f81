"""``yabandpay sign`` and ``yabandpay verify``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..messages import parse_json_object
from ..yabandpay import EmptyValues, YabandPaySigner
from ._common import (
    SECRET_ENV_VAR,
    at_option,
    existing_file,
    handles_errors,
    input_path,
    json_option,
    print_json,
    read_input,
    read_secret,
)

secret_option = click.option(
    "--secret-key-file",
    type=existing_file,
    default=None,
    help=f"File holding the YabandPay secret key (default: ${SECRET_ENV_VAR}).",
)
empty_option = click.option(
    "--empty-values",
    type=click.Choice(["keep", "omit"]),
    default="keep",
    show_default=True,
    help="Empty values in the string to sign: keep 'k=' (YabandPay's SDK) or omit them.",
)


@click.group()
def yabandpay() -> None:
    """YabandPay: HMAC-SHA256 request signing and notification verification."""


@yabandpay.command("sign")
@click.option(
    "--request",
    "request_path",
    type=input_path,
    default="-",
    show_default=True,
    help="Request JSON: method and data (user and time are filled in when absent).",
)
@secret_option
@click.option("--user", default=None, help="YabandPay user, when the request has none.")
@empty_option
@at_option
@json_option
@handles_errors
def sign_command(
    request_path: str,
    secret_key_file: Path | None,
    user: str | None,
    empty_values: EmptyValues,
    at: dt.datetime | None,
    as_json: bool,
) -> None:
    """Print the complete signed request (with user, time and sign) as JSON."""
    request = parse_json_object(read_input(request_path, what="request"), what="request")
    signer = YabandPaySigner(read_secret(secret_key_file), user=user, empty_values=empty_values)
    print_json(signer.sign_request(request, now=at))


@yabandpay.command("verify")
@click.option(
    "--notification",
    "notification_path",
    type=input_path,
    default="-",
    show_default=True,
    help="Notification JSON as received: {sign, data}.",
)
@secret_option
@empty_option
@json_option
@handles_errors
def verify_command(
    notification_path: str,
    secret_key_file: Path | None,
    empty_values: EmptyValues,
    as_json: bool,
) -> None:
    """Verify a notification's sign over its data (constant time). Exit 1 when rejected."""
    raw = read_input(notification_path, what="notification")
    signer = YabandPaySigner(read_secret(secret_key_file), empty_values=empty_values)
    data = signer.verify_notification(raw)
    if as_json:
        print_json({"valid": True, "data": data})
    else:
        click.echo("valid: YabandPay notification verified")
