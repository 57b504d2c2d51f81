"""Commands that talk to PayKKa and YabandPay: ``send`` (any signed request from a body
file) and the Apple Pay flows a person runs from a terminal (``paykka session``, ``paykka
pay``, ``paykka checkout``, ``paykka checkout-status``, ``paykka query``, ``yabandpay pay``).

Grouped by PSP, as ``yabandpay sign|verify`` already are: each group shares its connection
options, and ``send`` stays at the top as the one generic command beside ``sign``/``verify``.
Every answer is verified before it is printed; exit 0 verified and accepted, 1 refused
(signature, PSP refusal ``psp_refused``, HTTP error), 2 setup (``network_error``, keys, usage).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from applepay_crypto import read_token
from applepay_crypto.cli.replay_options import replay_guard_from_options, replay_options

from ..client._extra import require_httpx
from ..yabandpay import EmptyValues, YabandPaySigner
from ._common import (
    at_option,
    existing_file,
    handles_errors,
    input_path,
    json_option,
    read_input,
    read_secret,
)
from ._connect import connection_options, paykka_client, print_answer, read_extra, reveal_option
from ._keyfile import key_password_option
from ._tokens import decrypt_or_verify, token_options, trust_store
from .yabandpay import empty_option, secret_option

__all__ = ["paykka_group", "send", "yabandpay_pay"]

_order = [
    click.option("--amount", type=click.IntRange(min=0), required=True, help="Minor units."),
    click.option("--currency", required=True, help="Alphabetic ISO 4217 code (EUR)."),
]


def _guard(o: dict[str, Any]) -> Any:
    """The replay guard of --replay-db/--replay-redis (None without): a token seen before is
    refused before anything is sent, and recorded once sent."""
    return replay_guard_from_options(
        o["replay_db"], o["replay_redis"], window=o["max_age"], now=o["at"]
    )


def order_options(command: Any) -> Any:
    for option in reversed(_order):
        command = option(command)
    return command


@click.command()
@connection_options
@click.option("--path", "path", required=True, help="Request path, e.g. /v3/payment/acq/query.")
@click.option(
    "--body",
    "body_path",
    type=input_path,
    default="-",
    show_default=True,
    help="Request body, sent byte for byte (v1.2: it must hold merchant_id and timestamp).",
)
@click.option("--method", default="POST", show_default=True, help="HTTP method.")
@click.option("--retry", is_flag=True, help="Retry on network errors, 429, 5xx (queries only).")
@reveal_option
@at_option
@json_option
@handles_errors
def send(
    path: str, body_path: str, method: str, retry: bool, reveal: bool, as_json: bool, **o: Any
) -> None:
    """Send one signed request to PayKKa and print its verified answer (masked).

    The answer's signature is checked before anything of it is printed; a refusal by
    PayKKa (ret_code other than 000000) is psp_refused, exit 1.
    """
    body = read_input(body_path, what="body")
    with paykka_client(o) as client:
        answer = client.send(path, body, method=method, retry=retry)
    document = {"verified": True, "status": answer.status, "ret_code": answer.ret_code}
    print_answer(
        {**document, "ret_msg": answer.ret_msg}, answer.data, reveal=reveal, as_json=as_json
    )


@click.group("paykka")
def paykka_group() -> None:
    """PayKKa's Apple Pay flows: session, pay, checkout, checkout-status, query."""


@paykka_group.command("session")
@connection_options
@click.option("--domain-name", required=True, help="Your web shop's domain, no scheme or port.")
@click.option("--display-name", default=None, help="Shown to the shopper (PayKKa's default).")
@at_option
@json_option
@handles_errors
def session_command(domain_name: str, display_name: str | None, as_json: bool, **o: Any) -> None:
    """Get an Apple Pay session from PayKKa (PayKKa decrypts) and print the session object
    for Apple Pay JS's completeMerchantValidation."""
    with paykka_client(o) as client:
        session = client.apple_pay_session(domain_name=domain_name, display_name=display_name)
    document = {"verified": True, "data": session.data}
    print_answer(document, session.merchant_session(), reveal=True, as_json=as_json)


@paykka_group.command("pay")
@click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))
@connection_options
@order_options
@click.option("--trans-id", required=True, help="Your order reference (PayKKa trans_id).")
@click.option(
    "--decryption",
    type=click.Choice(["merchant", "paykka"]),
    default="merchant",
    show_default=True,
    help="Who decrypts the token: you (--key...) or PayKKa (token_data).",
)
@click.option(
    "--token-data-encoding",
    type=click.Choice(["json", "base64", "object"]),
    default="json",
    show_default=True,
    help="PayKKa decryption: token_data form (inferred).",
)
@click.option("--extra", type=existing_file, default=None, help="JSON object of extra fields.")
@token_options
@key_password_option
@replay_options
@reveal_option
@at_option
@json_option
@handles_errors
def pay_command(token: str, reveal: bool, as_json: bool, **o: Any) -> None:
    """Verify TOKEN (file or -), decrypt it with your Apple keys (--decryption merchant),
    check the order against it, and initiate the payment. Never retried: on network_error
    the outcome is unknown; query the transaction by --trans-id."""
    if o["decryption"] == "merchant" and not o["keys"]:
        raise click.UsageError("--decryption merchant needs --key (your Apple Pay key)")
    guard = _guard(o)
    parsed = read_token(token)
    decrypted, verified = decrypt_or_verify(parsed, o, trust_store(o["root"]))
    order = {"trans_id": o["trans_id"], "amount": o["amount"], "currency": o["currency"]}
    extra = read_extra(o["extra"])
    with paykka_client(o) as client:
        if o["decryption"] == "merchant":
            assert decrypted is not None
            result = client.pay_decrypted(decrypted, extra=extra, replay_guard=guard, **order)
        else:
            result = client.pay_token(
                parsed,
                decrypted=decrypted,
                verified=verified,
                encoding=o["token_data_encoding"],
                extra=extra,
                replay_guard=guard,
                **order,
            )
    document = {"verified": True, "status": result.status, "order_id": result.order_id}
    print_answer(document, result.data, reveal=reveal, as_json=as_json)


@paykka_group.command("checkout")
@connection_options
@order_options
@click.option("--trans-id", required=True, help="Your order reference (PayKKa trans_id).")
@click.option(
    "--session-mode",
    default="HOSTED",
    show_default=True,
    help="HOSTED (redirect to session_url) or EMBEDDED; sent as given (a seed says HOST).",
)
@click.option(
    "--allowed-payment-method",
    "methods",
    multiple=True,
    default=("APPLE_PAY",),
    show_default=True,
    help="Repeatable.",
)
@click.option("--extra", type=existing_file, default=None, help="JSON object of extra fields.")
@at_option
@json_option
@handles_errors
def checkout_command(
    trans_id: str,
    amount: int,
    currency: str,
    session_mode: str,
    methods: tuple[str, ...],
    extra: Path | None,
    as_json: bool,
    **o: Any,
) -> None:
    """Create a hosted or embedded checkout session; prints session_id and session_url."""
    fields = read_extra(extra)
    with paykka_client(o) as client:
        session = client.create_checkout_session(
            trans_id=trans_id,
            amount=amount,
            currency=currency,
            session_mode=session_mode,
            allowed_payment_methods=list(methods),
            extra=fields,
        )
    document = {
        "verified": True,
        "session_id": session.session_id,
        "session_url": session.session_url,
    }
    print_answer(document, session.data, reveal=False, as_json=as_json)


@paykka_group.command("checkout-status")
@click.argument("session_id")
@connection_options
@reveal_option
@at_option
@json_option
@handles_errors
def checkout_status_command(session_id: str, reveal: bool, as_json: bool, **o: Any) -> None:
    """Query a checkout session by SESSION_ID (retried on network errors: a query)."""
    with paykka_client(o) as client:
        session = client.query_checkout_session(session_id)
    document = {"verified": True, "session_id": session.session_id, "status": session.status}
    print_answer(document, session.data, reveal=reveal, as_json=as_json)


@paykka_group.command("query")
@connection_options
@click.option("--trans-id", default=None, help="Your order reference.")
@click.option("--order-id", default=None, help="PayKKa's order number.")
@click.option("--session-id", default=None, help="A checkout session's id.")
@reveal_option
@at_option
@json_option
@handles_errors
def query_command(
    trans_id: str | None,
    order_id: str | None,
    session_id: str | None,
    reveal: bool,
    as_json: bool,
    **o: Any,
) -> None:
    """Query a transaction (retried on network errors: a query)."""
    if trans_id is None and order_id is None and session_id is None:
        raise click.UsageError("give --trans-id, --order-id or --session-id")
    with paykka_client(o) as client:
        result = client.query_transaction(
            trans_id=trans_id, order_id=order_id, session_id=session_id
        )
    document = {"verified": True, "status": result.status, "trans_id": result.trans_id}
    print_answer(document, result.data, reveal=reveal, as_json=as_json)


@click.command("pay")
@click.argument("token", type=click.Path(dir_okay=False, allow_dash=True))
@order_options
@click.option("--order-id", required=True, help="Your order reference.")
@click.option("--description", required=True, help="Order description.")
@click.option("--notify-url", required=True, help="Where YabandPay sends the notification.")
@click.option(
    "--operation",
    default="sales",
    show_default=True,
    help="sales (data.operation 1) or authorisation (2, inferred), or a code.",
)
@click.option("--user", required=True, help="Your YabandPay user.")
@secret_option
@empty_option
@click.option("--base-url", default=None, help="Base URL (default: YabandPay's).")
@click.option(
    "--allow-unsigned-answer", is_flag=True, help="Accept an answer without sign (inferred)."
)
@token_options
@key_password_option
@replay_options
@at_option
@json_option
@handles_errors
def yabandpay_pay(
    token: str,
    secret_key_file: Path | None,
    user: str,
    empty_values: EmptyValues,
    base_url: str | None,
    allow_unsigned_answer: bool,
    as_json: bool,
    **o: Any,
) -> None:
    """Send TOKEN (file or -) to YabandPay as v3.ApplePay; with --key the token is also
    decrypted here and the order checked against it. Never retried."""
    require_httpx()
    from ..client import YabandPayClient

    guard = _guard(o)
    parsed = read_token(token)
    decrypted, verified = decrypt_or_verify(parsed, o, trust_store(o["root"]))
    signer = YabandPaySigner(read_secret(secret_key_file), user=user, empty_values=empty_values)
    with YabandPayClient(
        signer, base_url=base_url, require_signed_answers=not allow_unsigned_answer
    ) as client:
        answer = client.applepay(
            parsed,
            operation=o["operation"],
            order_id=o["order_id"],
            amount=o["amount"],
            currency=o["currency"],
            description=o["description"],
            notify_url=o["notify_url"],
            decrypted=decrypted,
            verified=verified,
            replay_guard=guard,
            now=o["at"],
        )
    document = {"verified": answer.signed, "code": answer.code, "message": answer.message}
    print_answer(document, answer.data, reveal=True, as_json=as_json)
