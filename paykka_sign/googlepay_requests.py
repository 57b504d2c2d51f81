"""Google Pay requests for PayKKa, built from ``googlepay_crypto`` results.

Two ways to pay with a Google Pay token, as for Apple Pay (:mod:`.applepay_requests`):

* merchant decryption: the merchant unseals the token (``googlepay_crypto.Recipient``) and
  sends the card number and, for ``CRYPTOGRAM_3DS`` tokens, the cryptogram
  (:func:`paykka_googlepay_decrypted_payment`);
* PayKKa decryption: the merchant sends the sealed token (:func:`paykka_googlepay_token_payment`).

PayKKa lists Google Pay as a payment method, but the fields it expects for it are not in
the documentation this project has. The defaults here are INFERRED from PayKKa's Apple Pay
fields (``payment_method`` ``GOOGLE_PAY``, ``card_no``, ``exp_month``/``exp_year``,
``token_authentication``) and can be changed per call (``payment_method=``, ``fields=``):
see "Google Pay" in docs/paykka-sign.md.

Unlike an Apple Pay token, a Google Pay token carries no amount or currency: the order
cannot be checked against what the shopper approved, only the order itself (a
non-negative integer amount, a known currency: :func:`.applepay_requests.paykka_payment_request`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, Literal

from googlepay_crypto import CardPaymentData, NetworkTokenPaymentData, UnsealedToken

from .errors import InvalidArgumentError, RecipientMismatchError, UnsupportedTokenError
from .messages import dump_json, parse_json_object

__all__ = [
    "GOOGLE_PAY",
    "GOOGLE_PAY_FIELDS",
    "GooglePaySource",
    "paykka_googlepay_decrypted_payment",
    "paykka_googlepay_token_payment",
]

#: PayKKa's ``payment_method`` for Google Pay (inferred: the Apple Pay one is ``APPLE_PAY``).
GOOGLE_PAY = "GOOGLE_PAY"
#: ``token_authentication.token_format`` of a cryptogram, as for Apple Pay (inferred).
CRYPTOGRAM_3DS_FORMAT = "cryptogram_3ds"

#: Where each value of the decrypted payment goes in PayKKa's ``payment`` object, by the
#: names of PayKKa's Apple Pay fields (inferred); a dotted name is a nested object. A
#: value the payment does not have (no cryptogram for PAN_ONLY, no ECI) is left out.
GOOGLE_PAY_FIELDS: Mapping[str, str] = {
    "pan": "card_no",
    "expiration_month": "exp_month",
    "expiration_year": "exp_year",
    "cryptogram": "token_authentication.cryptogram",
    "eci_indicator": "token_authentication.eci",
}

GooglePaySource = CardPaymentData | NetworkTokenPaymentData | UnsealedToken
GoogleTokenEncoding = Literal["json", "base64"]

PaymentSource = CardPaymentData | NetworkTokenPaymentData

# The model's values as PayKKa's Apple Pay fields carry them: two-digit month, four-digit
# year, as text (inferred from the Apple Pay request).
_VALUES: dict[str, Callable[[PaymentSource], str | None]] = {
    "pan": lambda p: p.pan,
    "expiration_month": lambda p: f"{p.expiration_month:02d}",
    "expiration_year": lambda p: f"{p.expiration_year:04d}",
    "cryptogram": lambda p: p.cryptogram,
    "eci_indicator": lambda p: p.eci_indicator,
}


def _payment(source: object) -> CardPaymentData | NetworkTokenPaymentData:
    if isinstance(source, UnsealedToken):
        payment = source.payment
        if payment is None:
            raise UnsupportedTokenError(
                f"the unsealed message is a {source.message_type}, not a Google Pay CARD payment"
            )
        return payment
    if isinstance(source, CardPaymentData | NetworkTokenPaymentData):
        return source
    raise InvalidArgumentError(
        "the payment must be what googlepay_crypto's Recipient.unseal or unseal_token returns"
    )


def _checked_fields(fields: object) -> Mapping[str, str]:
    if not isinstance(fields, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in fields.items()
    ):
        raise InvalidArgumentError("fields must map payment values to PayKKa field names")
    unknown = sorted(set(fields) - set(_VALUES))
    if unknown:
        raise InvalidArgumentError(
            f"fields names unknown payment values {unknown}: known are {sorted(_VALUES)}"
        )
    return fields


def _put(payment: dict[str, Any], dotted: str, value: str) -> None:
    *parents, name = dotted.split(".")
    target = payment
    for parent in parents:
        child = target.setdefault(parent, {})
        if not isinstance(child, dict):
            raise InvalidArgumentError(f"the field {dotted!r} nests under a value")
        target = child
    if name in target:
        raise InvalidArgumentError(f"two payment values map to the field {dotted!r}")
    target[name] = value


def paykka_googlepay_decrypted_payment(
    payment: GooglePaySource,
    *,
    gateway_merchant_id: str | None = None,
    payment_method: str = GOOGLE_PAY,
    fields: Mapping[str, str] = GOOGLE_PAY_FIELDS,
    token_format: str | None = CRYPTOGRAM_3DS_FORMAT,
) -> dict[str, Any]:
    """PayKKa's ``payment`` object for a Google Pay token the merchant unsealed.

    ``payment`` is what ``Recipient.unseal`` (or ``unseal_token``) returned, so every check
    Google asks for (signatures, recipient id, expirations) has passed. With
    ``gateway_merchant_id``, a payload addressed to another gateway merchant
    (``gatewayMerchantId``) is refused (``recipient_mismatch``). ``CRYPTOGRAM_3DS`` tokens get
    ``token_authentication`` (cryptogram, ECI and ``token_format``, inferred as for Apple
    Pay); ``PAN_ONLY`` tokens are sent as a card, which the PSP may challenge with 3-D Secure.
    Wrap the result with :func:`.applepay_requests.paykka_payment_request`.
    """
    data = _payment(payment)
    mapping = _checked_fields(fields)
    if not isinstance(payment_method, str) or not payment_method:
        raise InvalidArgumentError("payment_method must be non-empty text")
    if gateway_merchant_id is not None:
        if not isinstance(gateway_merchant_id, str):
            raise InvalidArgumentError("gateway_merchant_id must be text")
        if data.gateway_merchant_id != gateway_merchant_id:
            raise RecipientMismatchError(
                "the token's gatewayMerchantId is not this merchant's: it was made for "
                "another gateway merchant"
            )
    body: dict[str, Any] = {"payment_method": payment_method}
    for name, target in mapping.items():
        value = _VALUES[name](data)
        if value is not None:
            _put(body, target, value)
    authentication = body.get("token_authentication")
    if isinstance(authentication, dict) and token_format is not None:
        authentication["token_format"] = token_format
    return body


def _token_text(token: object) -> str:
    if isinstance(token, bytes | bytearray | str):
        text = bytes(token) if isinstance(token, bytearray) else token
        document: Mapping[str, Any] = parse_json_object(text, what="Google Pay token")
    elif isinstance(token, Mapping):
        document = token
    else:
        raise InvalidArgumentError("the Google Pay token must be JSON text, bytes or a mapping")
    version = document.get("protocolVersion")
    if version not in ("ECv1", "ECv2"):
        # ECv2SigningOnly messages are signed, not encrypted: sent as token_data, the card
        # data would travel (and be shown) in clear. Google Pay payments use ECv1/ECv2.
        raise UnsupportedTokenError(
            "only encrypted Google Pay tokens (protocolVersion ECv1 or ECv2) can be sent as "
            "token_data"
        )
    if not isinstance(document.get("signedMessage"), str) or not isinstance(
        document.get("signature"), str
    ):
        raise InvalidArgumentError("the Google Pay token has no signedMessage/signature text")
    return dump_json(document).decode("utf-8")


def paykka_googlepay_token_payment(
    token: str | bytes | Mapping[str, Any],
    *,
    encoding: GoogleTokenEncoding = "json",
    payment_method: str = GOOGLE_PAY,
) -> dict[str, Any]:
    """PayKKa's ``payment`` object when PayKKa unseals the token: ``token_data`` is the
    token as Google Pay's ``paymentMethodData.tokenizationData.token`` gives it (JSON text,
    compact; or base64 of it with ``encoding="base64"``: which one PayKKa wants is inferred,
    as for Apple Pay). Only encrypted tokens (ECv1, ECv2) are accepted."""
    if not isinstance(payment_method, str) or not payment_method:
        raise InvalidArgumentError("payment_method must be non-empty text")
    text = _token_text(token)
    if encoding == "json":
        token_data = text
    elif encoding == "base64":
        token_data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    else:
        raise InvalidArgumentError("encoding must be 'json' or 'base64'")
    return {"payment_method": payment_method, "token_data": token_data}
