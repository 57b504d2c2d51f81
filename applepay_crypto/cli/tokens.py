"""``decrypt``, ``verify`` and ``inspect``: the token commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .._timetext import utc_text_or_none
from ..decryptor import DecryptedToken, TokenDecryptor
from ..describe import describe_token
from ..masking import REDACTED
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
from ._keys import KeySource, load_merchant_keys
from .replay_options import replay_guard_from_options, replay_options

token_argument = click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))


def _iso(moment: dt.datetime | None) -> str | None:
    return utc_text_or_none(moment)


_HIDDEN = f"{REDACTED} (--reveal shows it)"


def _cell(value: Any) -> Any:
    """One value of the table: a redacted one says how to see it, a missing one is left out."""
    if value == REDACTED:
        return _HIDDEN
    if isinstance(value, dict | list):  # only with --reveal: the JSON shows it whole
        return "present (--json --reveal shows it)"
    return None if value is None or value == "" else value


def _print_decrypted(result: DecryptedToken, *, reveal: bool) -> None:
    """The table, read from the masked payload unless --reveal: review (#11), what the
    text shows goes through the same allow-list as --json, field by field."""
    data = result.payment_data
    shown = data.to_dict() if reveal else data.masked_dict()
    inner = shown.get("paymentData")
    inner = inner if isinstance(inner, dict) else {}
    if result.verified:
        click.echo(f"verified: signed at {_iso(result.signing_time)}")
    else:
        click.secho("NOT VERIFIED (--no-verify)", fg="red")
    rows: list[tuple[str, Any]] = [
        ("version", result.version),
        ("transaction id", result.transaction_id),
        ("public key hash", result.public_key_hash_b64),
        ("card number", shown.get("applicationPrimaryAccountNumber")),
        ("expiration", f"{data.expiration_date.isoformat()} ({data.expiration_yymmdd})"),
        ("amount", f"{data.transaction_amount} (minor units, currency {data.currency_code})"),
        ("cardholder", _cell(shown.get("cardholderName"))),
        ("payment type", data.payment_data_type),
        ("cryptogram", _cell(inner.get("onlinePaymentCryptogram"))),
        ("eci", _cell(inner.get("eciIndicator"))),
        ("emv data", _cell(inner.get("emvData"))),
        ("encrypted PIN", _cell(inner.get("encryptedPINData"))),
        ("merchant token", _cell(shown.get("merchantTokenIdentifier"))),
        ("token metadata", _cell(shown.get("merchantTokenMetadata"))),
    ]
    responses = shown.get("authenticationResponses")
    for index, response in enumerate(responses if isinstance(responses, list) else []):
        rows.append((f"authentication {index + 1}", _authentication(response)))
    unknown = sorted(set(shown) - _TABLE_FIELDS)
    if unknown:
        hint = "" if reveal else " (redacted: --json --reveal shows them)"
        rows.append(("other fields", ", ".join(unknown) + hint))
    table(rows)


#: Apple's fields the table shows (or says are redacted) itself.
_TABLE_FIELDS = {
    "applicationPrimaryAccountNumber",
    "applicationExpirationDate",
    "currencyCode",
    "transactionAmount",
    "cardholderName",
    "deviceManufacturerIdentifier",
    "paymentDataType",
    "paymentData",
    "merchantTokenIdentifier",
    "merchantTokenMetadata",
    "authenticationResponses",
}


def _authentication(response: Any) -> str:
    if not isinstance(response, dict):
        return str(_cell(response))
    data = response.get("authenticationData")
    return (
        f"merchant {response.get('merchantIdentifier')}, amount {response.get('transactionAmount')}"
        + (f", data {_cell(data)}" if data is not None else "")
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
    keys: tuple[KeySource, ...],
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
    merchant_keys = load_merchant_keys(keys, certs, merchant_id)
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
