"""``keys hash``, ``keys new`` and ``keys store-cert``: merchant keys (in files or born in
a PKCS#11 token), CSRs for Apple, and publicKeyHash."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal, cast

import click

from ..keys import public_key_hash
from ..merchant.certfiles import read_certificate_file
from ..merchant.certs import certificate_public_key, describe_key
from ..merchant.keygen import NewMerchantKey, create_merchant_key
from ..testing.authority import TestAuthority
from ._common import force_option, handles_errors, json_option, print_json
from ._keys import KeySource, key_option
from ._token_keys import new_key_in_token, store_cert_command
from .certs import password_option, read_password

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def keys() -> None:
    """Merchant keys: new key + CSR for Apple (in a file or in a PKCS#11 token), Apple's
    certificate stored beside a key in a token, and the publicKeyHash tokens carry."""


@keys.command("hash")
@click.option(
    "--cert",
    "cert_file",
    type=_FILE,
    default=None,
    help="Payment processing certificate (.cer, PEM or .p12).",
)
@key_option("--key", "key_file", default=None, help="Private key (PEM or DER).")
@password_option
@json_option
@handles_errors(setup=True)
def hash_command(
    cert_file: Path | None, key_file: KeySource | None, password: str | None, as_json: bool
) -> None:
    """Print the publicKeyHash (base64) that tokens encrypted to this key carry."""
    if (cert_file is None) == (key_file is None):
        raise click.UsageError("give exactly one of --cert FILE or --key FILE")
    if cert_file is not None:
        public = certificate_public_key(
            read_certificate_file(cert_file, password=read_password(password)).certificate
        )
        digest, source, kind = public_key_hash(public), "certificate", describe_key(public)
    else:
        assert key_file is not None
        public = key_file.public_key(password=read_password(password))
        source = "pkcs11" if key_file.in_token else "key"
        digest, kind = public_key_hash(public), describe_key(public)
    value = base64.b64encode(digest).decode("ascii")
    if as_json:
        print_json({"public_key_hash": value, "hex": digest.hex(), "source": source, "key": kind})
    else:
        click.echo(value)


@keys.command("new")
@click.option(
    "--type",
    "key_type",
    type=click.Choice(["ec", "rsa"]),
    default="ec",
    show_default=True,
    help="EC P-256 or RSA-2048.",
)
@click.option(
    "--merchant-id", required=True, help="Merchant identifier, e.g. merchant.com.example."
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the files to.",
)
@click.option(
    "--purpose",
    type=click.Choice(["processing", "identity"]),
    default=None,
    help="processing (decrypt tokens) or identity (merchant sessions). "
    "Default: processing for ec, identity for rsa.",
)
@click.option(
    "--ca",
    "ca_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Test CA directory to sign the stand-in certificate (default: self-signed).",
)
@click.option("--organization", default=None, help="Organization name for the CSR.")
@click.option("--email", default=None, help="E-mail address for the CSR.")
@click.option("--country", default=None, help="Two-letter country code for the CSR.")
@key_option(
    "--pkcs11",
    "pkcs11",
    uri_only=True,
    default=None,
    help="Generate the key inside this PKCS#11 token instead of a file: the URI names the "
    "token, the new key's label (object=) and the PIN file (pin-source=file:...).",
)
@force_option
@json_option
@handles_errors(setup=True)
def new_command(
    key_type: str,
    merchant_id: str,
    out: Path,
    purpose: str | None,
    ca_dir: Path | None,
    organization: str | None,
    email: str | None,
    country: str | None,
    pkcs11: KeySource | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write a merchant private key (mode 0600), a CSR for Apple's portal and, for payment
    processing keys, a stand-in certificate to mint and decrypt test tokens with.

    With --pkcs11 URI the payment processing key is born inside the token and never
    leaves it: the CSR is signed there, and the stand-in certificate (with --ca) is stored
    beside the key."""
    chosen = purpose or ("processing" if key_type == "ec" else "identity")
    if pkcs11 is not None:
        if purpose == "identity":
            raise click.UsageError(
                "--pkcs11 makes payment processing keys (the identity key is used for TLS)"
            )
        new_key_in_token(
            pkcs11,
            key_type=key_type,
            merchant_id=merchant_id,
            out=out,
            ca_dir=ca_dir,
            csr_names={"organization": organization, "email": email, "country": country},
            force=force,
            as_json=as_json,
        )
        return
    if ca_dir is not None and chosen != "processing":
        raise click.UsageError("--ca signs the stand-in payment processing certificate only")
    result = create_merchant_key(
        out,
        merchant_id=merchant_id,
        key_type=cast(Literal["ec", "rsa"], key_type),
        purpose=cast(Literal["processing", "identity"], chosen),
        authority=TestAuthority.load(ca_dir) if ca_dir is not None else None,
        organization=organization,
        email=email,
        country=country,
        overwrite=force,
    )
    if as_json:
        print_json(result.to_json_dict())
    else:
        _print_new_key(result, ca_dir)


def _print_new_key(result: NewMerchantKey, ca_dir: Path | None) -> None:
    portal = (
        "Apple Pay Payment Processing Certificate"
        if result.purpose == "processing"
        else "Apple Pay Merchant Identity Certificate"
    )
    signer = (
        f"signed by the test CA in {ca_dir}"
        if result.certificate_signer == "test-ca"
        else "self-signed"
    )
    notes = {
        "key": f"{result.key} private key, mode 0600: keep it secret, back it up",
        "csr": f"upload it in Apple's portal: Merchant IDs > {result.merchant_id} > {portal}",
        "certificate": f"stand-in payment processing certificate, {signer}",
    }
    for name, path in result.paths.items():
        click.echo(f"wrote {path} ({notes[name]})")
    if "certificate" in result.paths:
        click.echo(
            "once Apple has issued the certificate: applepay-crypto cert convert apple_pay.cer "
            f"--out {result.paths['certificate']} --force"
        )
    if result.public_key_hash is not None:
        click.echo(
            f"publicKeyHash {result.public_key_hash} (tokens encrypted to this key carry it)"
        )


keys.add_command(store_cert_command)
