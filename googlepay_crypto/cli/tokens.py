"""``decrypt``, ``verify`` and ``inspect``: the token commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from applepay_crypto.cli._group import print_json

from .._time import utc_text
from ..describe import describe_token
from ..payment_data import REDACTED
from ..results import UnsealedToken, VerifiedToken
from ._common import (
    at_option,
    build_recipient,
    handles_errors,
    json_option,
    key_option,
    read_token_input,
    recipient_options,
    reveal_option,
    table,
    token_argument,
)

_HIDDEN = f"{REDACTED} (--reveal shows it)"
#: Google's payment members the table shows itself.
_TABLE_MEMBERS = {"messageExpiration", "messageId", "paymentMethod", "gatewayMerchantId"}
_TABLE_DETAILS = {
    "pan",
    "expirationMonth",
    "expirationYear",
    "authMethod",
    "cryptogram",
    "eciIndicator",
    "assuranceDetails",
}


def _when(moment: dt.datetime | None) -> str | None:
    return utc_text(moment) if moment is not None else None


def _cell(value: Any) -> Any:
    """One value of the table: a redacted one says how to see it."""
    if value == REDACTED:
        return _HIDDEN
    return value


def _assurance(value: Any) -> Any:
    if not isinstance(value, dict):
        return _cell(value)
    return ", ".join(f"{name} {json.dumps(item)}" for name, item in value.items())


def _payment_rows(shown: dict[str, Any]) -> list[tuple[str, Any]]:
    details = shown.get("paymentMethodDetails")
    details = details if isinstance(details, dict) else {}
    month, year = details.get("expirationMonth"), details.get("expirationYear")
    rows: list[tuple[str, Any]] = [
        ("message id", shown.get("messageId")),
        ("payment method", shown.get("paymentMethod")),
        ("gateway merchant", shown.get("gatewayMerchantId")),
        ("card number", details.get("pan")),
        ("expiration", f"{month:02d}/{year}" if isinstance(month, int) else f"{month}/{year}"),
        ("auth method", details.get("authMethod")),
        ("cryptogram", _cell(details.get("cryptogram"))),
        ("eci", details.get("eciIndicator")),
        ("assurance", _assurance(details.get("assuranceDetails"))),
    ]
    other = sorted(set(shown) - _TABLE_MEMBERS - {"paymentMethodDetails"})
    other += sorted(f"paymentMethodDetails.{name}" for name in set(details) - _TABLE_DETAILS)
    if other:
        rows.append(("other fields", ", ".join(other) + " (--json shows them)"))
    return rows


def _message_rows(document: dict[str, Any], *, reveal: bool) -> list[tuple[str, Any]]:
    kind, shown = document["message_type"], document["message"]
    rows: list[tuple[str, Any]] = [("message type", kind)]
    if kind == "payment":
        return rows + _payment_rows(shown)
    if kind == "json":
        text = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
        hint = "" if reveal else " (masked: --reveal shows it all)"
        return [*rows, ("message", text + hint)]
    return [*rows, ("message", _cell(shown))]


def _print_unsealed(result: UnsealedToken, recipient_id: str, *, reveal: bool) -> None:
    document = result.to_json_dict(reveal=reveal)
    done = (
        "verified (signed, not encrypted)"
        if result.protocol_version == "ECv2SigningOnly"
        else ("verified and decrypted")
    )
    click.echo(f"{done}: {result.protocol_version} token for {recipient_id}")
    rows: list[tuple[str, Any]] = [
        ("intermediate key", _expiry(result.key_expiration)),
        ("message expires", _when(result.message_expiration) or "(no messageExpiration)"),
    ]
    table(rows + _message_rows(document, reveal=reveal))


def _expiry(moment: dt.datetime | None) -> str:
    return f"expires {_when(moment)}" if moment is not None else "none (ECv1: signed by a root key)"


def _print_verified(result: VerifiedToken, recipient_id: str, *, reveal: bool) -> None:
    document = result.to_json_dict(reveal=reveal)
    what = "signatures and expirations" if not result.encrypted else "signatures"
    click.echo(f"verified ({what}): {result.protocol_version} token for {recipient_id}")
    rows: list[tuple[str, Any]] = [("intermediate key", _expiry(result.key_expiration))]
    if result.encrypted:
        rows.append(("message expires", "not checked: encrypted (decrypt checks it)"))
        table(rows)
        return
    rows.append(("message expires", _when(result.message_expiration) or "(no messageExpiration)"))
    table(rows + _message_rows(document, reveal=reveal))


@click.command()
@token_argument
@key_option
@recipient_options
@at_option
@reveal_option
@json_option
@handles_errors
def decrypt(
    token: str,
    keys: tuple[Path, ...],
    at: dt.datetime | None,
    reveal: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Verify TOKEN (a file, or - for stdin) and decrypt it with the merchant's key.

    Every check of Google's recipient, in Tink's order: the token's members, its version,
    the intermediate key's signature and expiration, the message signature for this
    recipient id, the tag, the decryption and messageExpiration. ECv2SigningOnly messages
    are not encrypted and need no --key. The message is masked unless --reveal.
    """
    recipient = build_recipient(options, keys)
    result = recipient.unseal_token(read_token_input(token), now=at)
    if as_json:
        print_json(result.to_json_dict(reveal=reveal))
    else:
        _print_unsealed(result, recipient.recipient_id, reveal=reveal)


@click.command()
@token_argument
@recipient_options
@at_option
@reveal_option
@json_option
@handles_errors
def verify(token: str, at: dt.datetime | None, reveal: bool, as_json: bool, **options: Any) -> None:
    """Check TOKEN's signatures and expirations without decrypting it (no merchant key).

    ECv1 and ECv2: the members, the version, the intermediate key's signature and
    expiration (ECv2), and the message signature for this recipient id; messageExpiration
    is inside the encrypted message, so only decrypt checks it. ECv2SigningOnly: all of
    that and messageExpiration, since its message is signed, not encrypted; the message is
    masked unless --reveal.
    """
    recipient = build_recipient(options)
    result = recipient.verify(read_token_input(token), now=at)
    if as_json:
        print_json(result.to_json_dict(reveal=reveal))
    else:
        _print_verified(result, recipient.recipient_id, reveal=reveal)


def _signature_text(shape: dict[str, Any]) -> str:
    size = "not base64" if shape["bytes"] is None else f"{shape['bytes']} bytes"
    return f"{size}, {'DER' if shape['der'] else 'not DER'}"


@click.command()
@token_argument
@json_option
@handles_errors
def inspect(token: str, as_json: bool) -> None:
    """Show TOKEN's structure, without keys and WITHOUT verifying it (no card data)."""
    info = describe_token(read_token_input(token))
    if as_json:
        print_json(info)
        return
    click.echo("NOT VERIFIED: what the token says about itself")
    rows: list[tuple[str, Any]] = [
        ("protocol version", info["protocol_version"]),
        ("signature", _signature_text(info["signature"])),
    ]
    intermediate = info["intermediate_signing_key"]
    if intermediate is not None:
        rows.append(
            ("intermediate key", f"{intermediate['key']}, expires {intermediate['key_expiration']}")
        )
        for index, shape in enumerate(intermediate["signatures"]):
            rows.append((f"key signature {index + 1}", _signature_text(shape)))
    message = info["signed_message"]
    if message["encrypted"]:
        rows += [
            ("encrypted message", f"{message['encrypted_message_bytes']} bytes"),
            ("ephemeral key", message["ephemeral_public_key"]),
            ("tag", f"{message['tag_bytes']} bytes"),
            ("message expires", "inside the encrypted message (decrypt reads it)"),
        ]
    else:
        rows += [
            ("signed message", f"{message['bytes']} bytes, {message['message']}, not encrypted"),
            ("message expires", info["message_expiration"] or "(no messageExpiration)"),
        ]
    table(rows)
