"""``decrypt``, ``verify`` and ``inspect``: the token commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ..decryptor import DecryptedToken, TokenDecryptor
from ..describe import describe_token
from ..errors import ConfigurationError
from ..keys import MerchantKey
from ..signature import TokenVerifier
from ..token import read_token
from ._common import (
    at_option,
    handles_errors,
    json_option,
    max_age_option,
    merchant_key_options,
    print_json,
    root_option,
    table,
    trust_store,
    warn,
)
from ._replay import replay_guard_from_options, replay_options

token_argument = click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def load_keys(
    keys: tuple[Path, ...], certs: tuple[Path, ...], merchant_id: str | None
) -> list[MerchantKey]:
    """``--key``/``--cert`` pairs in order; keys without a certificate use ``--merchant-id``."""
    if len(certs) > len(keys):
        raise ConfigurationError("more --cert than --key options: they pair up in order")
    return [
        MerchantKey.load(
            key,
            certificate=certs[index] if index < len(certs) else None,
            merchant_id=merchant_id,
        )
        for index, key in enumerate(keys)
    ]


def _print_decrypted(result: DecryptedToken, *, reveal: bool) -> None:
    data = result.payment_data
    if result.verified:
        click.echo(f"verified: signed at {_iso(result.signing_time)}")
    else:
        click.secho("NOT VERIFIED (--no-verify)", fg="red")
    hidden = "<redacted> (--reveal shows it)"
    table(
        [
            ("version", result.version),
            ("transaction id", result.transaction_id),
            ("public key hash", result.public_key_hash_b64),
            ("card number", data.pan if reveal else data.masked_pan),
            ("expiration", f"{data.expiration_date.isoformat()} ({data.expiration_yymmdd})"),
            ("amount", f"{data.transaction_amount} (minor units, currency {data.currency_code})"),
            ("cardholder", data.cardholder_name),
            ("payment type", data.payment_data_type),
            (
                "cryptogram",
                (data.online_payment_cryptogram if reveal else hidden)
                if data.online_payment_cryptogram
                else None,
            ),
            ("eci", data.eci_indicator),
            ("emv data", (data.emv_data if reveal else hidden) if data.emv_data else None),
            (
                "encrypted PIN",
                (data.encrypted_pin_data if reveal else hidden)
                if data.encrypted_pin_data
                else None,
            ),
            ("merchant token", data.merchant_token_identifier),
        ]
    )


@click.command()
@token_argument
@merchant_key_options()
@at_option
@max_age_option
@root_option
@click.option(
    "--no-verify", is_flag=True, help="Skip Apple's signature checks. Never for real payments."
)
@click.option(
    "--reveal", is_flag=True, help="Show the card number, cryptogram and EMV data unmasked."
)
@replay_options
@json_option
@handles_errors
def decrypt(
    token: str,
    keys: tuple[Path, ...],
    certs: tuple[Path, ...],
    merchant_id: str | None,
    at: dt.datetime | None,
    max_age: dt.timedelta,
    root: Path | None,
    no_verify: bool,
    reveal: bool,
    replay_db: Path | None,
    replay_redis: str | None,
    as_json: bool,
) -> None:
    """Verify TOKEN (a file, or - for stdin) and decrypt it with the merchant's key."""
    merchant_keys = load_keys(keys, certs, merchant_id)
    guard = replay_guard_from_options(replay_db, replay_redis, window=max_age, now=at)
    if no_verify:
        warn("--no-verify: the signature is NOT checked; this token may be forged")
        decryptor = TokenDecryptor(merchant_keys, verify_signature=False, replay_guard=guard)
    else:
        decryptor = TokenDecryptor(
            merchant_keys, trust=trust_store(root), max_age=max_age, replay_guard=guard
        )
    result = decryptor.decrypt(read_token(token), now=at)
    if as_json:
        print_json(result.to_json_dict(reveal=reveal))
    else:
        _print_decrypted(result, reveal=reveal)


@click.command()
@token_argument
@at_option
@max_age_option
@root_option
@json_option
@handles_errors
def verify(
    token: str, at: dt.datetime | None, max_age: dt.timedelta, root: Path | None, as_json: bool
) -> None:
    """Check that TOKEN was signed by Apple (no private key needed)."""
    parsed = read_token(token)
    verified = TokenVerifier(trust_store(root), max_age=max_age).verify(parsed, now=at)
    document: dict[str, Any] = {
        "verified": True,
        "version": parsed.version,
        "transaction_id": parsed.transaction_id,
        "signing_time": _iso(verified.signing_time),
        "public_key_hash": parsed.public_key_hash_b64,
    }
    if as_json:
        print_json(document)
    else:
        click.echo(f"verified: signed at {document['signing_time']} ({verified.environment})")
        table([(k.replace("_", " "), v) for k, v in document.items() if k != "verified"])


@click.command()
@token_argument
@json_option
@handles_errors
def inspect(token: str, as_json: bool) -> None:
    """Show what TOKEN says about itself, without keys and WITHOUT verifying it."""
    info = describe_token(read_token(token))
    if as_json:
        print_json(info)
        return
    table(
        [
            ("version", info["version"]),
            ("environment", info["environment"]),
            ("transaction id", info["transaction_id"]),
            ("signing time", f"{info['signing_time']} (unverified)"),
            ("public key hash", info["public_key_hash"]),
            ("application data", info["application_data"]),
            ("data", f"{info['data_bytes']} bytes"),
        ]
    )
    click.echo("certificates:")
    for cert in info["certificates"]:
        click.echo(f"  {cert['subject']}")
        click.echo(f"    issuer {cert['issuer']}")
        click.echo(f"    valid  {cert['not_before']} .. {cert['not_after']}")
