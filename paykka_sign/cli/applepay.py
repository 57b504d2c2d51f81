"""``applepay-request``: from an Apple Pay token to a signed PayKKa or YabandPay request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from applepay_crypto import DecryptedToken, PaymentToken, read_token
from applepay_crypto.cli.replay_options import replay_guard_from_options, replay_options

from ..applepay_requests import (
    check_order,
    claim_token,
    mask_request,
    mask_yabandpay_request,
    paykka_decrypted_payment,
    paykka_payment_request,
    paykka_token_payment,
    yabandpay_applepay_request,
)
from ..errors import MalformedBodyError
from ..keys import read_private_key
from ..messages import dump_json, parse_json_object
from ..paykka_v3 import PaykkaV3Signer
from ..paykka_v12 import PaykkaV12Signer
from ..yabandpay import PAYMENTS_URL, YabandPaySigner
from ._common import (
    at_option,
    existing_file,
    handles_errors,
    json_option,
    print_json,
    read_input,
    read_secret,
    warn,
)
from ._keyfile import key_password_option
from ._tokens import decrypt_or_verify, token_options, trust_store

#: Sandbox base URLs from PayKKa's documentation; production ones differ per region.
_PAYKKA_SANDBOX = {
    "v1.2": "https://sandbox.aq.paykka.com",
    "v3": "https://openapi-sandbox.paykka.com",
}
_V3_PAYMENT_PATH = "/v3/payment/acq"


def _extra(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return parse_json_object(read_input(str(path), what="--extra file"), what="--extra file")
    except MalformedBodyError as exc:  # an option's file, as --headers-file: setup, exit 2
        raise click.UsageError(exc.message) from None


_REQUIRED = {
    "paykka": ("signing_key", "paykka_merchant_id", "order_id"),
    "yabandpay": ("order_id", "description", "notify_url"),
}


def _check_options(o: dict[str, Any]) -> None:
    """Usage errors first, before any key is read or any token decrypted."""
    provider = o["provider"]
    for name in _REQUIRED[provider]:
        if o[name] is None:
            raise click.UsageError(f"--provider {provider} needs --{name.replace('_', '-')}")
    if provider == "paykka" and o["api"] == "v3" and o["app_id"] is None:
        raise click.UsageError("--api v3 needs --app-id")
    if provider == "paykka" and o["decryption"] == "merchant" and not o["keys"]:
        raise click.UsageError("--decryption merchant needs --key to decrypt the token")


def _shown(
    body: bytes, mask: Callable[[dict[str, Any]], dict[str, Any]], *, reveal: bool
) -> tuple[str, bool]:
    """The body to print and whether it was masked. Review (#11): by allow-list, as the
    payload is; a body with nothing to hide (the token left encrypted for the PSP, no
    unknown extra field) is printed as signed, byte for byte, ready to send."""
    real = json.loads(body)
    shown = real if reveal else mask(real)
    if shown == real:
        return body.decode("utf-8"), False
    # Same serialisation as the signed body, the hidden fields redacted.
    return dump_json(shown).decode("utf-8"), True


def _paykka(
    token: PaymentToken, decrypted: DecryptedToken | None, o: dict[str, Any]
) -> dict[str, Any]:
    amount, currency = o["amount"], o["currency"]
    if o["decryption"] == "merchant":
        assert decrypted is not None  # _check_options: merchant decryption has --key
        payment = paykka_decrypted_payment(
            decrypted, amount=amount, currency=currency, allow_mismatch=o["allow_mismatch"]
        )
    else:
        if decrypted is not None and not o["allow_mismatch"]:
            check_order(decrypted.payment_data, amount=amount, currency=currency)
        payment = paykka_token_payment(
            token,
            encoding=o["token_data_encoding"],
            store_payment_method=o["store_payment_method"],
            token_usage=o["token_usage"],
            shopper_reference=o["shopper_reference"],
        )
    body = paykka_payment_request(
        payment,
        merchant_id=o["paykka_merchant_id"],
        trans_id=o["order_id"],
        amount=amount,
        currency=currency,
        extra=_extra(o["extra"]),
    )
    key = read_private_key(o["signing_key"], password=o["key_password"])
    base = (o["base_url"] or _PAYKKA_SANDBOX[o["api"]]).rstrip("/")
    if o["api"] == "v1.2":
        signed = PaykkaV12Signer(key).sign(body, now=o["at"])
        url = base + o["path"] if o["path"] else None
    else:
        path = o["path"] or _V3_PAYMENT_PATH
        signed = PaykkaV3Signer(key, app_id=o["app_id"]).sign("POST", path, body, now=o["at"])
        url = base + path
    shown, masked = _shown(signed.body, mask_request, reveal=o["reveal"])
    return {
        "provider": "paykka",
        "api": o["api"],
        "method": "POST",
        "url": url,
        "headers": {"content-type": "application/json", **signed.headers},
        "body": shown,
        "masked": masked,
    }


def _yabandpay(
    token: PaymentToken, decrypted: DecryptedToken | None, o: dict[str, Any]
) -> dict[str, Any]:
    signer = YabandPaySigner(
        read_secret(o["secret_key_file"]), user=o["user"], empty_values=o["empty_values"]
    )
    request = yabandpay_applepay_request(
        signer,
        token,
        order_id=o["order_id"],
        amount=o["amount"],
        currency=o["currency"],
        description=o["description"],
        notify_url=o["notify_url"],
        decrypted=decrypted,
        allow_mismatch=o["allow_mismatch"],
        extra=_extra(o["extra"]),
        now=o["at"],
    )
    shown, masked = _shown(dump_json(request), mask_yabandpay_request, reveal=o["reveal"])
    return {
        "provider": "yabandpay",
        "method": "POST",
        "url": PAYMENTS_URL,
        "headers": {"content-type": "application/json"},
        "body": shown,
        "masked": masked,
    }


@click.command("applepay-request")
@click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--provider", type=click.Choice(["paykka", "yabandpay"]), required=True, help="The PSP."
)
@click.option(
    "--amount", type=click.IntRange(min=0), required=True, help="Order amount, minor units."
)
@click.option("--currency", required=True, help="Order currency, alphabetic (EUR).")
@click.option("--order-id", default=None, help="Your order reference (PayKKa trans_id).")
@click.option(
    "--allow-mismatch", is_flag=True, help="Send even if the order differs from the token."
)
@click.option(
    "--reveal",
    is_flag=True,
    help="Print the real, ready-to-send request. Default: card number, cryptogram and fields "
    "not known to be safe masked (the signature always covers the real body).",
)
@token_options
@click.option(
    "--signing-key", type=existing_file, default=None, help="PayKKa: your RSA private key."
)
@click.option(
    "--api",
    type=click.Choice(["v1.2", "v3"]),
    default="v1.2",
    show_default=True,
    help="PayKKa: API version.",
)
@click.option("--paykka-merchant-id", default=None, help="PayKKa: merchant_id.")
@click.option("--app-id", default=None, help="PayKKa v3: x-paykka-appid.")
@click.option("--base-url", default=None, help="PayKKa: base URL (default: the sandbox).")
@click.option(
    "--path", "path", default=None, help="PayKKa: request path (v3 default /v3/payment/acq)."
)
@click.option(
    "--decryption",
    type=click.Choice(["merchant", "paykka"]),
    default="merchant",
    show_default=True,
    help="PayKKa: who decrypts the token.",
)
@click.option(
    "--token-data-encoding",
    type=click.Choice(["json", "base64", "object"]),
    default="json",
    show_default=True,
    help="PayKKa decryption: token_data form (inferred).",
)
@click.option(
    "--store-payment-method/--no-store-payment-method",
    default=None,
    help="PayKKa decryption: store_payment_method.",
)
@click.option("--token-usage", default=None, help="PayKKa decryption: token_usage.")
@click.option("--shopper-reference", default=None, help="PayKKa decryption: shopper_reference.")
@click.option(
    "--secret-key-file", type=existing_file, default=None, help="YabandPay: secret key file."
)
@click.option("--user", default=None, help="YabandPay: user.")
@click.option("--description", default=None, help="YabandPay: description.")
@click.option("--notify-url", default=None, help="YabandPay: notify_url.")
@click.option(
    "--empty-values",
    type=click.Choice(["keep", "omit"]),
    default="keep",
    show_default=True,
    help="YabandPay: empty values in the string to sign.",
)
@click.option(
    "--extra", type=existing_file, default=None, help="JSON object of extra body/data fields."
)
@key_password_option
@replay_options
@at_option
@json_option
@handles_errors
def applepay_request(token: str, as_json: bool, **options: Any) -> None:
    """Decrypt and verify TOKEN (file or -) and print the signed PSP request as JSON.

    The printed request is MASKED by default (card number, cryptogram and any field not
    known to be safe hidden) and then cannot be sent; --reveal prints the real body. Exit 1
    when the token or the order is rejected (e.g. amount_mismatch), 2 on a usage or setup
    error.

    With --replay-db or --replay-redis (the guards of applepay-crypto decrypt), a token
    whose transactionId was used before is refused (replayed_transaction, exit 1); it is
    recorded only once the request is built and signed.
    """
    _check_options(options)
    guard = replay_guard_from_options(
        options["replay_db"], options["replay_redis"], window=options["max_age"], now=options["at"]
    )
    parsed = read_token(token)
    decrypted, verified = decrypt_or_verify(parsed, options, trust_store(options["root"]))
    build = _paykka if options["provider"] == "paykka" else _yabandpay
    document = build(parsed, decrypted, options)
    if guard is not None:
        claim_token(guard, parsed.transaction_id, verified)
    if document["masked"]:
        warn(
            "fields not known to be safe to show (card number, cryptogram, unknown extra "
            "fields) are masked; --reveal prints the request to send"
        )
    print_json(document)
