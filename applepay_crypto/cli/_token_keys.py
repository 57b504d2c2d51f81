"""``keys new --pkcs11`` and ``keys store-cert``: a payment processing key born in a
PKCS#11 token, its CSR signed there, and Apple's certificate stored beside it (issue #12,
part 4). The private key never leaves the token."""

from __future__ import annotations

import base64
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import ConfigurationError, OutputExistsError
from ..keys import merchant_id_from_certificate, public_key_hash
from ..merchant.certfiles import read_certificate_file
from ..merchant.certs import certificate_public_key
from ..testing.authority import TestAuthority
from ..testing.merchant import payment_processing_certificate
from ._common import handles_errors, json_option, print_json
from ._keys import KeySource, key_option
from .certs import password_option, read_password

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def new_key_in_token(
    source: KeySource,
    *,
    key_type: str,
    merchant_id: str,
    out: Path,
    ca_dir: Path | None,
    csr_names: dict[str, str | None],
    force: bool,
    as_json: bool,
) -> None:
    """Issue #12, part 4: the key pair is generated in the token (sensitive, never
    extractable, CKA_ID = its publicKeyHash), the CSR signed there."""
    from ..keys.pkcs11 import (
        certificate_signing_request,
        generate_private_key,
        parse_pkcs11_uri,
        store_certificate,
    )

    uri = parse_pkcs11_uri(str(source.uri))
    if uri.object is None or uri.id is not None:
        raise ConfigurationError(
            "name the new key by its label only (object=<label>): its CKA_ID is set to its "
            "publicKeyHash"
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csr": out / f"{uri.object}.csr"}
    if ca_dir is not None:
        paths["certificate"] = out / f"{uri.object}.pem"
    for path in paths.values():
        if path.exists() and not force:
            raise OutputExistsError(f"{path} exists: add --force to overwrite it")
    token = source.token(rw=True)
    key_id = generate_private_key(token, label=uri.object, key_type=key_type)
    csr = certificate_signing_request(token, key_id=key_id, merchant_id=merchant_id, **csr_names)
    paths["csr"].write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    if ca_dir is not None:
        public = csr.public_key()
        assert isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey)
        stand_in = payment_processing_certificate(
            public, merchant_id=merchant_id, authority=TestAuthority.load(ca_dir)
        )
        paths["certificate"].write_bytes(stand_in.public_bytes(serialization.Encoding.PEM))
        store_certificate(token, stand_in, label=uri.object)
    value = base64.b64encode(key_id).decode("ascii")
    if as_json:
        print_json(
            {
                "public_key_hash": value,
                "key": "EC P-256" if key_type == "ec" else "RSA-2048",
                "token": uri.token,
                "label": uri.object,
                "paths": {name: str(path) for name, path in paths.items()},
                "certificate_stored": ca_dir is not None,
            }
        )
        return
    kind = "EC P-256" if key_type == "ec" else "RSA-2048"
    click.echo(
        f"generated an {kind} key in token {uri.token!r}, label {uri.object!r}: sensitive, "
        "never extractable"
    )
    click.echo(
        f"wrote {paths['csr']} (signed in the token; upload it in Apple's portal: Merchant "
        f"IDs > {merchant_id} > Apple Pay Payment Processing Certificate)"
    )
    if ca_dir is not None:
        click.echo(
            f"wrote {paths['certificate']} (stand-in certificate signed by the test CA in "
            f"{ca_dir}, also stored in the token beside the key)"
        )
    else:
        click.echo(
            "once Apple has issued the certificate: applepay-crypto keys store-cert "
            f"--pkcs11 '{source.uri}' apple_pay.cer"
        )
    click.echo(f"publicKeyHash {value} (tokens encrypted to this key carry it)")


@click.command("store-cert")
@key_option(
    "--pkcs11",
    "pkcs11",
    uri_only=True,
    required=True,
    help="The key in its PKCS#11 token (object= or id=) the certificate belongs to.",
)
@click.argument("certificate", type=_FILE)
@password_option
@json_option
@handles_errors(setup=True)
def store_cert_command(
    pkcs11: KeySource, certificate: Path, password: str | None, as_json: bool
) -> None:
    """Store CERTIFICATE (Apple's .cer, PEM or .p12) in the token beside its key, under the
    key's CKA_ID: `decrypt --key URI` then needs no --cert (the merchant id is in it)."""
    from ..keys.pkcs11 import parse_pkcs11_uri, store_certificate

    cert = read_certificate_file(certificate, password=read_password(password)).certificate
    held = pkcs11.held()
    assert not isinstance(held, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    wanted = public_key_hash(certificate_public_key(cert))
    if public_key_hash(held.public_key) != wanted:
        raise ConfigurationError(
            f"the certificate is for the key with publicKeyHash "
            f"{base64.b64encode(wanted).decode()}, not for the key this URI names"
        )
    uri = parse_pkcs11_uri(str(pkcs11.uri))
    key_id = store_certificate(pkcs11.token(rw=True), cert, label=uri.object or "apple-pay")
    value = base64.b64encode(key_id).decode("ascii")
    merchant = merchant_id_from_certificate(cert)
    if as_json:
        print_json({"public_key_hash": value, "cka_id": key_id.hex(), "merchant_id": merchant})
        return
    click.echo(
        f"stored the certificate for {merchant or 'an unnamed merchant'} in token "
        f"{uri.token!r} beside its key (CKA_ID {key_id.hex()})"
    )
    click.echo(f"publicKeyHash {value}")
