"""Apple Pay requests for PayKKa and YabandPay, built from ``applepay_crypto`` results.

Three ways to pay with a token:

* PayKKa, merchant decryption: the merchant decrypts and sends the device PAN and the
  cryptogram (:func:`paykka_decrypted_payment`);
* PayKKa, PayKKa decryption: the merchant sends the encrypted token
  (:func:`paykka_token_payment`);
* YabandPay ``v3.ApplePay``: the encrypted token, base64 (:func:`yabandpay_applepay_request`).

The shopper approved an amount and a currency on the device; both are inside the token.
Charging another amount than the one approved is refused unless explicitly allowed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from applepay_crypto import (
    DecryptedToken,
    PaymentData,
    PaymentToken,
    ReplayGuard,
    VerifiedSignature,
    parse_token,
)
from applepay_crypto.errors import ApplePayError
from applepay_crypto.masking import PAYMENT_TOKEN, Rule, fields, masked_pan, redact, show
from applepay_crypto.replay import check_replay

from .currency import Currency, by_alpha, by_numeric, format_minor_units
from .errors import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidArgumentError,
    UnsupportedTokenError,
)
from .yabandpay import YabandPaySigner

__all__ = [
    "TokenDataEncoding",
    "TokenSource",
    "check_order",
    "claim_token",
    "mask_request",
    "mask_yabandpay_request",
    "paykka_decrypted_payment",
    "paykka_payment_request",
    "paykka_token_payment",
    "payment_data_json",
    "yabandpay_applepay_request",
]

_log = logging.getLogger(__name__)

#: How ``token_data`` carries the encrypted token for PayKKa decryption. Not documented:
#: ``"json"`` (the ``paymentData`` JSON as a string) is the default, ``"base64"`` of that
#: JSON and ``"object"`` (the JSON object itself) are the alternatives.
TokenDataEncoding = Literal["json", "base64", "object"]


#: A token as ``applepay_crypto.parse_token`` takes it: ``paymentData`` or a wrapper of it,
#: as JSON text, bytes, a dict, base64, or an already parsed token.
TokenSource = bytes | bytearray | str | Mapping[str, Any] | PaymentToken


def check_order(payment_data: PaymentData, *, amount: int, currency: str) -> Currency:
    """Refuse an order whose amount or currency differs from what the shopper approved.

    ``amount`` is in minor units, ``currency`` alphabetic; the token has minor units and
    the numeric code, compared through the ISO 4217 table. Returns the order's currency.
    """
    order = by_alpha(currency)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidArgumentError("the order amount must be a non-negative integer of minor units")
    if not isinstance(payment_data, PaymentData):  # review (#11): never an AttributeError
        raise InvalidArgumentError("payment_data must be an applepay_crypto PaymentData")
    token_currency = by_numeric(payment_data.currency_code)
    if order.numeric != token_currency.numeric:
        raise CurrencyMismatchError(
            f"the order is in {order.alpha} but the token was approved in "
            f"{token_currency.alpha} ({payment_data.currency_code})"
        )
    if amount != payment_data.transaction_amount:
        raise AmountMismatchError(
            f"the order amount {format_minor_units(amount, order)} {order.alpha} differs from "
            f"the approved {format_minor_units(payment_data.transaction_amount, order)} "
            f"{order.alpha}"
        )
    return order


def _order_currency(
    payment_data: PaymentData, *, amount: int, currency: str, allow_mismatch: bool
) -> Currency:
    if allow_mismatch:
        order = by_alpha(currency)
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidArgumentError("the order amount must be a non-negative integer")
        return order
    return check_order(payment_data, amount=amount, currency=currency)


#: What proves a token was verified, and when Apple signed it.
Verified = VerifiedSignature | DecryptedToken


def claim_token(replay_guard: ReplayGuard, transaction_id: str, verified: Verified) -> None:
    """Apple's replay step before charging: refuse (``ReplayedTransactionError``, code
    ``replayed_transaction``) a transactionId the guard has seen, else record it.

    The same guards as ``applepay_crypto``'s decryptor (memory, SQLite, Redis). The
    builders below call it last, when given ``replay_guard``: a request refused for a fixable
    reason (an amount mismatch) leaves the token unused. Give the guard to the decryptor
    *or* to the builder, not both: the second would see the first's record.
    """
    if not isinstance(verified, VerifiedSignature | DecryptedToken):
        raise InvalidArgumentError(
            "a replay guard needs the verified token (VerifiedSignature or DecryptedToken)"
        )
    if verified.signing_time is None:
        raise InvalidArgumentError("a replay guard needs a verified token: this one was not")
    if not isinstance(transaction_id, str):
        raise InvalidArgumentError("the transactionId must be text")
    if isinstance(verified, DecryptedToken) and (
        verified.transaction_id.lower() != transaction_id.lower()
    ):
        raise InvalidArgumentError("the decrypted token is not the token being sent")
    try:
        check_replay(replay_guard, transaction_id, verified.signing_time)
    except ApplePayError as exc:
        _log.warning("request refused: %s (transactionId %s)", exc.code, transaction_id[:80])
        raise
    _log.info("request allowed: transactionId %s used for the first time", transaction_id[:80])


def paykka_decrypted_payment(
    token: DecryptedToken,
    *,
    amount: int,
    currency: str,
    allow_mismatch: bool = False,
    replay_guard: ReplayGuard | None = None,
) -> dict[str, Any]:
    """PayKKa's ``payment`` object for a token the merchant decrypted.

    ``amount`` (minor units) and ``currency`` (alphabetic) are the order's, checked against
    the token's unless ``allow_mismatch``; they go at the top of the request
    (:func:`paykka_payment_request`). EMV tokens carry no cryptogram and are refused.
    With ``replay_guard``, a token seen before is refused (:func:`claim_token`).
    """
    if not isinstance(token, DecryptedToken):  # review (#11): never an AttributeError
        raise InvalidArgumentError("token must be an applepay_crypto DecryptedToken")
    data = token.payment_data
    if data.payment_data_type != "3DSecure" or not data.online_payment_cryptogram:
        raise UnsupportedTokenError(
            f"a {data.payment_data_type} token has no 3-D Secure cryptogram and cannot be sent "
            "as token_format cryptogram_3ds; let PayKKa decrypt it (token_data) instead"
        )
    _order_currency(data, amount=amount, currency=currency, allow_mismatch=allow_mismatch)
    authentication = {
        "cryptogram": data.online_payment_cryptogram,
        "token_format": "cryptogram_3ds",
    }
    if data.eci_indicator:
        authentication["eci"] = data.eci_indicator
    payment: dict[str, Any] = {
        "payment_method": "APPLE_PAY",
        "card_no": data.pan,
        "exp_year": data.expiration_year,
        "exp_month": data.expiration_month,
    }
    if data.cardholder_name:
        payment["holder_name"] = data.cardholder_name
    payment["token_authentication"] = authentication
    if replay_guard is not None:
        claim_token(replay_guard, token.transaction_id, token)
    return payment


def payment_data_json(token: TokenSource) -> str:
    """The ``paymentData`` JSON of a token (any shape ``applepay_crypto`` accepts), compact."""
    return json.dumps(_parsed(token).to_json_dict(), separators=(",", ":"))


def _parsed(token: TokenSource) -> PaymentToken:
    # review (#11): a type parse_token does not read is refused here, with this package's code.
    if not isinstance(token, bytes | bytearray | str | Mapping | PaymentToken):
        raise InvalidArgumentError("the token must be text, bytes, a JSON object or a PaymentToken")
    return parse_token(token)


def paykka_token_payment(
    token: TokenSource,
    *,
    encoding: TokenDataEncoding = "json",
    store_payment_method: bool | None = None,
    token_usage: str | None = None,
    shopper_reference: str | None = None,
    verified: Verified | None = None,
    replay_guard: ReplayGuard | None = None,
) -> dict[str, Any]:
    """PayKKa's ``payment`` object when PayKKa decrypts the token (``token_data``).

    With ``replay_guard`` (and ``verified``, the token's verification or decryption), a
    token seen before is refused (:func:`claim_token`).
    """
    if replay_guard is not None and verified is None:
        raise InvalidArgumentError("a replay guard needs verified= (the verified token)")
    if store_payment_method and not shopper_reference:
        # PayKKa requires the shopper reference whenever the payment method is stored.
        raise InvalidArgumentError("store_payment_method needs a shopper_reference")
    text = payment_data_json(token)
    token_data: Any
    if encoding == "json":
        token_data = text
    elif encoding == "base64":
        token_data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    elif encoding == "object":
        token_data = json.loads(text)
    else:
        raise InvalidArgumentError("encoding must be 'json', 'base64' or 'object'")
    payment: dict[str, Any] = {"payment_method": "APPLE_PAY", "token_data": token_data}
    if store_payment_method is not None:
        payment["store_payment_method"] = store_payment_method
    if token_usage is not None:
        payment["token_usage"] = token_usage
    if shopper_reference is not None:
        payment["shopper_reference"] = shopper_reference
    if replay_guard is not None:
        assert verified is not None
        claim_token(replay_guard, _parsed(token).transaction_id, verified)
    return payment


def _merge_extra(body: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    for key, value in (extra or {}).items():
        if key in body:
            raise InvalidArgumentError(f"the extra field {key!r} would replace a built field")
        body[key] = value
    return body


def paykka_payment_request(
    payment: Mapping[str, Any],
    *,
    merchant_id: str,
    trans_id: str,
    amount: int,
    currency: str,
    payment_type: str = "PURCHASE",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A PayKKa payment body around ``payment``: amount in minor units, alphabetic currency.

    v1.2 bodies also need ``timestamp``: :class:`PaykkaV12Signer` adds it when signing a
    dict. ``extra`` adds fields (``notify_url``, ``return_url``, ``capture_method``...).
    """
    order = by_alpha(currency)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidArgumentError("the amount must be a non-negative integer of minor units")
    if not isinstance(payment, Mapping) or not (extra is None or isinstance(extra, Mapping)):
        raise InvalidArgumentError("payment and extra must be JSON objects (mappings)")
    body = {
        "merchant_id": merchant_id,
        "payment_type": payment_type,
        "trans_id": trans_id,
        "amount": amount,
        "currency": order.alpha,
        "payment": dict(payment),
    }
    return _merge_extra(body, extra)


def yabandpay_applepay_request(
    signer: YabandPaySigner,
    token: TokenSource,
    *,
    order_id: str,
    amount: int,
    currency: str,
    description: str,
    notify_url: str,
    decrypted: DecryptedToken | None = None,
    allow_mismatch: bool = False,
    extra: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
    verified: Verified | None = None,
    replay_guard: ReplayGuard | None = None,
) -> dict[str, Any]:
    """A signed ``v3.ApplePay`` request; ``payment_token_object`` = base64(paymentData JSON).

    ``amount`` is in minor units and sent as a decimal string in major units ("0.10").
    With ``decrypted`` (the same token, decrypted) the order is checked against it. With
    ``replay_guard`` (and ``decrypted`` or ``verified``), a token seen before is refused
    once the request is signed (:func:`claim_token`).
    """
    proof = decrypted if decrypted is not None else verified
    if replay_guard is not None and proof is None:
        raise InvalidArgumentError("a replay guard needs verified= or decrypted= (the token)")
    parsed = _parsed(token)
    order = by_alpha(currency)
    if decrypted is not None:
        if decrypted.transaction_id != parsed.transaction_id:
            raise InvalidArgumentError("the decrypted token is not the token being sent")
        _order_currency(
            decrypted.payment_data, amount=amount, currency=currency, allow_mismatch=allow_mismatch
        )
    payload = json.dumps(parsed.to_json_dict(), separators=(",", ":")).encode("utf-8")
    data = {
        "description": description,
        "pay_method": "online",
        "sub_pay_method": "Apple Pay",
        "order_id": order_id,
        "amount": format_minor_units(amount, order),
        "currency": order.alpha,
        "notify_url": notify_url,
        "payment_token_object": base64.b64encode(payload).decode("ascii"),
    }
    request = {"method": "v3.ApplePay", "data": _merge_extra(data, extra)}
    signed = signer.sign_request(request, now=now)
    if replay_guard is not None:
        assert proof is not None
        claim_token(replay_guard, parsed.transaction_id, proof)
    return signed


def _token_data(value: Any) -> Any:
    """PayKKa's ``token_data``: the encrypted token, as JSON text or base64 (a string) or as
    the ``paymentData`` object; encrypted, so safe to show."""
    return show(value) if isinstance(value, str) else PAYMENT_TOKEN(value)


# Review (#11): what a printed request may show, by allow-list as for the payload
# (applepay_crypto.masking): the fields these builders write, and the documented extras
# that name a URL or a setting. Anything else, an ``extra`` field included, is redacted.
PAYKKA_REQUEST: Rule = fields(
    {
        "merchant_id": show,
        "payment_type": show,
        "trans_id": show,
        "amount": show,
        "currency": show,
        "timestamp": show,
        "notify_url": show,
        "return_url": show,
        "capture_method": show,
        "payment": fields(
            {
                "payment_method": show,
                "card_no": masked_pan,
                "exp_year": show,
                "exp_month": show,
                "holder_name": show,
                "token_authentication": fields(
                    {"cryptogram": redact, "token_format": show, "eci": show}
                ),
                "token_data": _token_data,
                "store_payment_method": show,
                "token_usage": show,
                "shopper_reference": show,
            }
        ),
    }
)

# YabandPay's v3.ApplePay request: the fields of its documented example. The token in
# ``payment_token_object`` is encrypted; ``sign`` is an HMAC, not the key.
YABANDPAY_REQUEST: Rule = fields(
    {
        "user": show,
        "sign": show,
        "method": show,
        "time": show,
        "data": fields(
            {
                "description": show,
                "timeout": show,
                "pay_method": show,
                "sub_pay_method": show,
                "order_id": show,
                "amount": show,
                "currency": show,
                "operation": show,
                "notify_url": show,
                "payment_token_object": show,
                "request_id": show,
            }
        ),
    }
)


def mask_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a PayKKa body as :data:`PAYKKA_REQUEST` allows: ``card_no`` masked, the
    cryptogram and every field not known to be safe redacted."""
    if not isinstance(body, Mapping):  # review (#11): parsed JSON of any type
        raise InvalidArgumentError("the body must be a JSON object (a mapping)")
    masked: dict[str, Any] = PAYKKA_REQUEST(body)
    return masked


def mask_yabandpay_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a YabandPay request as :data:`YABANDPAY_REQUEST` allows."""
    if not isinstance(request, Mapping):
        raise InvalidArgumentError("the request must be a JSON object (a mapping)")
    masked: dict[str, Any] = YABANDPAY_REQUEST(request)
    return masked
