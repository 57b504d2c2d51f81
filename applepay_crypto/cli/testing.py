"""``test-ca new`` and ``mint``: test tokens signed the way Apple signs them."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal, cast

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .._timetext import utc_text
from ..errors import ConfigurationError, OutputExistsError
from ..keys import load_certificate, merchant_id_from_certificate
from ..merchant.certfiles import write_public_file
from ..merchant.certs import IDENTITY_CN_PREFIX, certificate_public_key_hash, common_name
from ..testing import TestAuthority, mint, sample_payload
from ..testing.issuing import CERTIFICATE_FILE_NAMES, DEFAULT_DAYS, issue_from_csr, read_csr
from ._common import force_option, handles_errors, json_option, print_json
from .params import Timestamp

_WRAPPERS = ("none", "pkpaymenttoken", "applepay-js", "base64")


@click.group("test-ca")
def test_ca() -> None:
    """A test authority shaped like Apple's: mints test tokens, issues certificates from CSRs."""


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


@test_ca.command("sign")
@click.argument("csr", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--ca",
    "ca_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Test authority directory (from `test-ca new`).",
)
@click.option(
    "--purpose",
    type=click.Choice(["processing", "identity"]),
    default=None,
    help="Payment processing or merchant identity. Default: processing for an EC key, "
    "identity for an RSA key.",
)
@click.option(
    "--merchant-id", default=None, help="Merchant identifier. Default: the CSR's common name."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The .cer to write (DER). Default: apple_pay.cer (processing) or merchant_id.cer "
    "(identity), as Apple's portal names them.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=DEFAULT_DAYS,
    show_default=True,
    help="Validity in days (Apple's certificates: 25 months).",
)
@force_option
@json_option
@handles_errors(setup=True)
def sign_csr(
    csr: Path,
    ca_dir: Path,
    purpose: str | None,
    merchant_id: str | None,
    out: Path | None,
    days: int,
    force: bool,
    as_json: bool,
) -> None:
    """Issue a certificate for CSR as Apple's portal would, signed by the test CA (DER).

    \b
      applepay-crypto keys new --merchant-id merchant.com.example --out merchant
      applepay-crypto test-ca sign merchant/merchant.csr --ca ca --out apple_pay.cer
      applepay-crypto cert convert apple_pay.cer --out merchant/merchant.pem --force
    """
    request = read_csr(csr.read_bytes())
    certificate = issue_from_csr(
        request,
        authority=TestAuthority.load(ca_dir),
        purpose=cast(Literal["processing", "identity"] | None, purpose),
        merchant_id=merchant_id,
        days=days,
    )
    kind = "identity" if IDENTITY_CN_PREFIX in (common_name(certificate) or "") else "processing"
    target = out if out is not None else Path(CERTIFICATE_FILE_NAMES[kind])
    write_public_file(target, certificate.public_bytes(serialization.Encoding.DER), overwrite=force)
    label = "merchant identity" if kind == "identity" else "payment processing"
    if as_json:
        print_json(
            {
                "written": str(target),
                "purpose": kind,
                "merchant_id": merchant_id_from_certificate(certificate),
                "public_key_hash": certificate_public_key_hash(certificate),
                "not_after": utc_text(certificate.not_valid_after_utc),
            }
        )
    else:
        click.echo(f"wrote {target} ({label} certificate, DER, signed by the test CA in {ca_dir})")


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
