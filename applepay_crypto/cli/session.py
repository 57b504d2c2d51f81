"""``session``: request an Apple Pay merchant session (merchant validation) as a test."""

from __future__ import annotations

from pathlib import Path

import click

from ..merchant.certfiles import write_public_file
from ..merchant.session import (
    SessionHostNotAllowedError,
    check_validation_url,
    request_merchant_session,
)
from ._common import handles_errors, json_option

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("validation_url")
@click.option(
    "--cert",
    "cert_file",
    type=_FILE,
    required=True,
    help="Merchant identity certificate (.cer, PEM, or .p12 with its key).",
)
@click.option(
    "--key",
    "key_file",
    type=_FILE,
    default=None,
    help="Its private key (PEM), unless --cert is a .p12 or a PEM holding it.",
)
@click.option(
    "--password",
    envvar="APPLEPAY_P12_PASSWORD",
    default=None,
    help="Password of the .p12 (or set APPLEPAY_P12_PASSWORD).",
)
@click.option(
    "--merchant-id",
    default=None,
    help="merchantIdentifier (default: the certificate's subject UID).",
)
@click.option("--display-name", required=True, help="displayName: up to 64 characters.")
@click.option(
    "--initiative",
    default="web",
    show_default=True,
    help="initiative: web, or messaging (Apple Messages for Business).",
)
@click.option(
    "--initiative-context",
    "--domain",
    "initiative_context",
    required=True,
    help="initiativeContext: for web, the registered domain the page is served from.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="Also allow this host (tests, a proxy). Apple's hosts are always allowed.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for Apple.",
)
@click.option(
    "--server-ca",
    type=_FILE,
    default=None,
    help="Trust this CA for the server instead of the system's CAs (tests).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the session object to this file instead of stdout.",
)
@json_option
@handles_errors
def session(
    validation_url: str,
    cert_file: Path,
    key_file: Path | None,
    password: str | None,
    merchant_id: str | None,
    display_name: str,
    initiative: str,
    initiative_context: str,
    allow_hosts: tuple[str, ...],
    timeout: float,
    server_ca: Path | None,
    out: Path | None,
    as_json: bool,
) -> None:
    """POST a merchant session request to VALIDATION_URL with the merchant identity
    certificate as TLS client certificate, and print Apple's session object unchanged.

    \b
      session https://apple-pay-gateway-cert.apple.com/paymentservices/paymentSession \\
        --cert identity.pem --key identity.key --display-name "Example Shop" \\
        --domain shop.example.com
    """
    try:
        check_validation_url(validation_url, allow_hosts=allow_hosts)
    except SessionHostNotAllowedError as exc:  # a usage error: nothing was sent
        raise click.BadParameter(exc.message, param_hint="VALIDATION_URL") from None
    result = request_merchant_session(
        validation_url,
        certificate=cert_file,
        private_key=key_file,
        password=password.encode("utf-8") if password is not None else None,
        merchant_identifier=merchant_id,
        display_name=display_name,
        initiative=initiative,
        initiative_context=initiative_context,
        allow_hosts=allow_hosts,
        timeout=timeout,
        server_ca=server_ca,
    )
    if out is not None:
        write_public_file(out, result.raw, overwrite=True)
        click.echo(f"wrote the merchant session ({len(result.raw)} bytes) to {out}", err=True)
    else:
        click.echo(result.raw.decode("utf-8"))
