"""``test-ca new`` and ``mint``: test tokens signed the way Apple signs them."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import ConfigurationError, OutputExistsError
from ..keys import load_certificate
from ..testing import TestAuthority, mint, sample_payload
from ._common import force_option, handles_errors, json_option, print_json
from .params import Timestamp

_WRAPPERS = ("none", "pkpaymenttoken", "applepay-js", "base64")


@click.group("test-ca")
def test_ca() -> None:
    """A test authority shaped like Apple's, for minting test tokens."""


@test_ca.command("new")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@force_option
@json_option
@handles_errors(setup=True)
def new_ca(directory: Path, force: bool, as_json: bool) -> None:
    """Create a test root, intermediate and signing leaves in DIRECTORY (keys mode 0600)."""
    if (directory / "root.pem").exists() and not force:
        raise OutputExistsError(
            f"{directory} already holds a test authority (use --force to replace it)"
        )
    TestAuthority.create().save(directory)
    root = directory / "root.pem"
    if as_json:
        print_json({"directory": str(directory), "root": str(root)})
    else:
        click.echo(f"test authority written to {directory}/ (trust it with --root {root})")


def _wrap(token: dict[str, Any], wrapper: str) -> Any:
    if wrapper == "pkpaymenttoken":
        return {
            "paymentData": token,
            "transactionIdentifier": token["header"]["transactionId"].upper(),
        }
    if wrapper == "applepay-js":
        return {"token": _wrap(token, "pkpaymenttoken")}
    if wrapper == "base64":
        return base64.b64encode(json.dumps(token).encode()).decode("ascii")
    return token


@click.command("mint")
@click.option(
    "--ca",
    "ca_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Test authority directory (from `test-ca new`).",
)
@click.option(
    "--cert",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The merchant's payment processing certificate (stand-in or Apple's).",
)
@click.option(
    "--merchant-id", default=None, help="Merchant id for the KDF instead of the certificate's."
)
@click.option(
    "--payload",
    type=click.File("rb"),
    default=None,
    help="Decrypted payload JSON to encrypt (default: a sample 3DSecure payload with a test card).",
)
@click.option(
    "--version",
    "version",
    type=click.Choice(["EC_v1", "RSA_v1"]),
    default=None,
    help="Default: from the certificate's key type.",
)
@click.option("--at", type=Timestamp(), default=None, help="Signing time (ISO-8601); default now.")
@click.option(
    "--application-data",
    default=None,
    help="header.applicationData as hex (SHA-256 of your PKPaymentRequest.applicationData).",
)
@click.option(
    "--transaction-id",
    default=None,
    help="header.transactionId: 64 hex digits, 32 bytes (default: random).",
)
@click.option(
    "--wrap",
    type=click.Choice(_WRAPPERS),
    default="none",
    show_default=True,
    help="Wrap paymentData as a PKPaymentToken, an Apple Pay JS payment, or base64.",
)
@json_option
@handles_errors(setup=True)
def mint_command(
    ca_dir: Path,
    cert: Path,
    merchant_id: str | None,
    payload: Any,
    version: str | None,
    at: dt.datetime | None,
    application_data: str | None,
    transaction_id: str | None,
    wrap: str,
    as_json: bool,
) -> None:
    """Print a test token (paymentData JSON) for the merchant of --cert, signed by --ca.

    The token is JSON whether or not --json is given; --json makes errors JSON too."""
    certificate = load_certificate(cert)
    if version is None:
        version = "RSA_v1" if isinstance(certificate.public_key(), rsa.RSAPublicKey) else "EC_v1"
    try:
        app_data = bytes.fromhex(application_data) if application_data else None
    except ValueError:
        raise click.BadParameter("--application-data is not hex") from None
    try:
        body = json.loads(payload.read()) if payload else sample_payload()
    except (ValueError, RecursionError):  # review (#11): a decoder's text quotes the bytes
        raise click.BadParameter("--payload is not a UTF-8 JSON file") from None
    try:
        token = mint(
            body,
            recipient=certificate,
            authority=TestAuthority.load(ca_dir),
            merchant_id=merchant_id,
            version=version,
            signing_time=at,
            application_data=app_data,
            transaction_id=transaction_id,
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    print_json(_wrap(token, wrap))
