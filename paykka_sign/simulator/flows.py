"""What each endpoint does with a verified request: the answer's ``data``, or a refusal.

Paths and fields are those of :data:`paykka_sign.client.endpoints.ENDPOINTS` (each marked
documented or inferred there). Behaviour not documented and chosen here (inferred):
a payment is ``SUCCESS`` at once (no 3-D Secure, no decline); a second payment with a known
``trans_id`` is refused (``Duplicate trans_id``); a query that finds nothing is ``010000``
``Not found``; a checkout session stays ``PENDING`` until :meth:`Simulator.pay_checkout`.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from ..clock import epoch_millis
from .refusals import (
    PAYKKA_DUPLICATE_TRANS_ID,
    PAYKKA_INVALID_REQUEST,
    PAYKKA_NOT_FOUND,
    YABANDPAY_INVALID_REQUEST,
    Refused,
)
from .store import Store


class Context:
    """What a flow may read: the store, the merchant, the simulator's URL and "now" (ms)."""

    def __init__(self, store: Store, merchant_id: str, url: str, now_ms: int) -> None:
        self.store = store
        self.merchant_id = merchant_id
        self.url = url
        self.now_ms = now_ms


def _text(doc: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = doc.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise Refused(PAYKKA_INVALID_REQUEST)
    return value


def _amount(doc: Mapping[str, Any]) -> int:
    value = doc.get("amount")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refused(PAYKKA_INVALID_REQUEST)
    return value


def masked_card(card_no: str) -> str:
    return card_no[:6] + "*" * max(len(card_no) - 10, 0) + card_no[-4:]


def _payment_method(payment: Any) -> dict[str, Any]:
    """The stored view of ``payment``: merchant decryption (``card_no``, expiry, cryptogram)
    or PayKKa decryption (``token_data``), documented by PayKKa's Apple Pay notes."""
    if not isinstance(payment, dict) or payment.get("payment_method") != "APPLE_PAY":
        raise Refused(PAYKKA_INVALID_REQUEST)
    if "token_data" in payment:
        if not payment["token_data"]:
            raise Refused(PAYKKA_INVALID_REQUEST)
        return {"payment_method": "APPLE_PAY", "decryption": "paykka"}
    auth = payment.get("token_authentication")
    card_no = payment.get("card_no")
    if not (isinstance(card_no, str) and card_no.isdigit() and 12 <= len(card_no) <= 19):
        raise Refused(PAYKKA_INVALID_REQUEST)
    if not all(isinstance(payment.get(k), str) for k in ("exp_year", "exp_month")):
        raise Refused(PAYKKA_INVALID_REQUEST)
    if not isinstance(auth, dict) or not auth.get("cryptogram") or not auth.get("token_format"):
        raise Refused(PAYKKA_INVALID_REQUEST)
    return {
        "payment_method": "APPLE_PAY",
        "decryption": "merchant",
        "card_no": masked_card(card_no),
    }


def _transaction_data(record: Mapping[str, Any]) -> dict[str, Any]:
    shown = ("merchant_id", "trans_id", "order_id", "status", "amount", "currency", "card_no")
    return {name: record[name] for name in shown if name in record}


def initiate(doc: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    method = _payment_method(doc.get("payment"))
    record: dict[str, Any] = {
        "merchant_id": ctx.merchant_id,
        "trans_id": _text(doc, "trans_id"),
        "order_id": ctx.store.next_id("GW"),
        "status": "SUCCESS",
        "amount": _amount(doc),
        "currency": _text(doc, "currency"),
        **{k: v for k, v in method.items() if k == "card_no"},
        "decryption": method["decryption"],
        "notify_url": doc.get("notify_url"),
    }
    if not ctx.store.add_transaction(record):
        raise Refused(PAYKKA_DUPLICATE_TRANS_ID)
    return _transaction_data(record)


def query_transaction(doc: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    keys = {k: doc.get(k) for k in ("trans_id", "order_id", "session_id") if doc.get(k)}
    if not keys:
        raise Refused(PAYKKA_INVALID_REQUEST)  # documented: all three cannot be empty
    found = ctx.store.find_transaction(**keys)
    if found is None:
        raise Refused(PAYKKA_NOT_FOUND)
    return _transaction_data(found)


def create_session(doc: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    methods = doc.get("allowed_payment_methods")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise Refused(PAYKKA_INVALID_REQUEST)
    session_id = ctx.store.next_id("CS")
    record = {
        "session_id": session_id,
        "session_url": f"{ctx.url}/checkout/{session_id}",
        "trans_id": _text(doc, "trans_id"),
        "session_mode": _text(doc, "session_mode"),
        "amount": _amount(doc),
        "currency": _text(doc, "currency"),
        "allowed_payment_methods": list(methods),
        "status": "PENDING",
        "expire_time": ctx.now_ms + 30 * 60 * 1000,
    }
    ctx.store.add_session(record)
    return _session_data(record)


def _session_data(record: Mapping[str, Any]) -> dict[str, Any]:
    shown = ("session_id", "session_url", "trans_id", "session_mode", "status", "expire_time")
    return {name: record[name] for name in shown}


def query_session(doc: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    found = ctx.store.find_session(_text(doc, "session_id"))
    if found is None:
        raise Refused(PAYKKA_NOT_FOUND)
    return _session_data(found)


def apple_pay_session(doc: Mapping[str, Any], ctx: Context) -> str:
    """The base64 Apple Pay session object (documented by PayKKa's Apple Pay notes). The
    object's fields are those Apple's merchant session carries; its signature is not
    Apple's (nobody but Apple can make one), so Apple Pay JS would refuse it."""
    domain = _text(doc, "domain_name")
    display = _text(doc, "display_name", required=False)
    session = {
        "epochTimestamp": ctx.now_ms,
        "expiresAt": ctx.now_ms + 60 * 60 * 1000,
        "merchantSessionIdentifier": "SSH" + secrets.token_hex(16).upper(),
        "nonce": secrets.token_hex(4),
        "merchantIdentifier": secrets.token_hex(32).upper(),
        "domainName": domain,
        "displayName": display if display is not None else "PayKKa simulator",
        "signature": base64.b64encode(b"simulated, not signed by Apple").decode(),
    }
    ctx.store.apple_pay_sessions.append(session)
    return base64.b64encode(json.dumps(session, separators=(",", ":")).encode()).decode()


#: Endpoint name (of ``ENDPOINTS``) -> flow.
PAYKKA_FLOWS: dict[str, Callable[[Mapping[str, Any], Context], Any]] = {
    "initiate": initiate,
    "query_transaction": query_transaction,
    "create_session": create_session,
    "query_session": query_session,
    "apple_pay_session": apple_pay_session,
}


def yabandpay_applepay(doc: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """``v3.ApplePay``: ``data.payment_token_object`` (base64 of the Apple ``paymentData``),
    ``order_id``, ``amount``, ``currency`` (documented request); the answer's fields are
    inferred: ``trade_id``, ``order_id``, ``state`` (``paid`` for Sales ``"1"``,
    ``authorised`` otherwise), ``amount``, ``currency``."""
    data = doc["data"]
    if doc.get("method") != "v3.ApplePay":
        raise Refused(YABANDPAY_INVALID_REQUEST)
    token = data.get("payment_token_object")
    try:
        json.loads(base64.b64decode(token, validate=True)) if isinstance(token, str) else None
    except ValueError:
        token = None
    order_id = data.get("order_id")
    if not isinstance(token, str) or not isinstance(order_id, str) or not order_id:
        raise Refused(YABANDPAY_INVALID_REQUEST)
    answer = {
        "trade_id": ctx.store.next_id("YP"),
        "order_id": order_id,
        "state": "paid" if data.get("operation", "1") == "1" else "authorised",
        "amount": str(data.get("amount", "")),
        "currency": str(data.get("currency", "")),
    }
    with ctx.store.lock:
        ctx.store.yabandpay_orders[order_id] = dict(answer)
    return answer


def now_ms_of(moment: Any) -> int:
    return epoch_millis(moment)
