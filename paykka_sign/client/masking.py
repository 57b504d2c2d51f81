"""What the client may log, by allow-list (as :mod:`applepay_crypto.masking`): requests
through :data:`paykka_sign.applepay_requests.PAYKKA_REQUEST`, answers through the rules here.
A field no rule names is logged as ``<redacted>``: a PAN, a cryptogram or a secret never is."""

from __future__ import annotations

import json
from typing import Any

from applepay_crypto.masking import Rule, fields, masked_pan, show

from ..applepay_requests import PAYKKA_REQUEST, YABANDPAY_REQUEST
from ..errors import InvalidArgumentError, PaykkaSignError
from ..messages import parse_json_object

__all__ = ["PAYKKA_ANSWER", "YABANDPAY_ANSWER", "masked_body"]

_TRANSACTION_FIELDS: dict[str, Rule] = {
    name: show
    for name in (
        "merchant_id",
        "trans_id",
        "order_id",
        "status",
        "amount",
        "currency",
        "error_code",
        "error_description",
        "session_id",
        "session_url",
        "expire_time",
        "payment_method",
        "pay_finish_time",
        "payment_type",
        "notify_type",
        "event_type",
        "timestamp",
    )
}
_TRANSACTION_FIELDS["card_no"] = masked_pan

#: A PayKKa answer or webhook: the envelope and the transaction's identifiers and state. The
#: Apple Pay session object (``data`` as a string) is PayKKa's, not the shopper's: shown.
PAYKKA_ANSWER: Rule = fields(
    {
        "ret_code": show,
        "ret_msg": show,
        "data": lambda value: (
            show(value) if isinstance(value, str) else fields(_TRANSACTION_FIELDS)(value)
        ),
        **_TRANSACTION_FIELDS,
    }
)

#: A YabandPay answer or notification (inferred fields: see ``endpoints``).
YABANDPAY_ANSWER: Rule = fields(
    {
        "status": show,
        "code": show,
        "message": show,
        "sign": show,
        "data": fields(
            {
                name: show
                for name in (
                    "trade_id",
                    "order_id",
                    "state",
                    "amount",
                    "currency",
                    "pay_method",
                    "sub_pay_method",
                    "description",
                    "url",
                    "time",
                    "trade_type",
                )
            }
        ),
    }
)

_RULES = {
    "paykka-request": PAYKKA_REQUEST,
    "paykka-answer": PAYKKA_ANSWER,
    "yabandpay-request": YABANDPAY_REQUEST,
    "yabandpay-answer": YABANDPAY_ANSWER,
}
# Apple Pay session requests name the merchant only.
_SESSION_FIELDS = ("display_name", "domain_name", "session_mode", "allowed_payment_methods")


def masked_body(raw: bytes, kind: str) -> str:
    """``raw`` (a JSON body) as one log-safe line; a body that is not a JSON object is
    shown by its length only."""
    rule = _RULES.get(kind) if isinstance(kind, str) else None
    if rule is None:
        raise InvalidArgumentError(f"kind must be one of {', '.join(sorted(_RULES))}")
    if not isinstance(raw, bytes | bytearray | memoryview | str):
        raise InvalidArgumentError("the body to mask must be bytes or text")
    try:
        doc = parse_json_object(raw)
    except PaykkaSignError:
        return f"<{len(raw)} bytes, not a JSON object>"
    masked: dict[str, Any] = rule(doc)
    if kind == "paykka-request":
        for name in _SESSION_FIELDS:
            if name in doc:
                value = doc[name]
                masked[name] = [show(v) for v in value] if isinstance(value, list) else show(value)
    return json.dumps(masked, ensure_ascii=True, separators=(",", ":"))
