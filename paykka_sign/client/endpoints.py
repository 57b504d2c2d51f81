"""PayKKa's and YabandPay's endpoints as plain data: what the client calls, what the simulator
serves.

Each fact says where it comes from (``source``): **documented** (the PSP's API reference, its
integration guides, or the issue's seeds) or **inferred** (not documented; chosen here, and a
parameter of the client). The simulator (issue #13) serves these paths and shapes; it may read
this table, never the client's code paths. Keep the table stable: a change is its own commit.

Standard library only, so that it imports without the ``client`` extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import InvalidArgumentError

__all__ = [
    "ENDPOINTS",
    "PAYKKA_ANSWER_FIELDS",
    "PAYKKA_BODY_FIELDS",
    "PAYKKA_HTTP_RETRYABLE",
    "PAYKKA_RET_INVALID_REQUEST",
    "PAYKKA_RET_SUCCESS",
    "PAYKKA_RET_SYSTEM_ERROR",
    "PAYKKA_WEBHOOK_ANSWER",
    "PAYKKA_WEBHOOK_EVENTS",
    "SESSION_MODES",
    "SESSION_MODE_DEFAULT",
    "V3_BASE_URLS",
    "V12_BASE_URLS",
    "YABANDPAY_ANSWER_FIELDS",
    "YABANDPAY_APPLEPAY_METHOD",
    "YABANDPAY_BASE_URLS",
    "YABANDPAY_NOTIFICATION_ANSWER",
    "YABANDPAY_OPERATIONS",
    "YABANDPAY_PAYMENTS_PATH",
    "Api",
    "Endpoint",
    "endpoint",
]

#: Which signing rule a call uses: PayKKa v1.2 (RSA over merchantId/timestamp/body), PayKKa v3
#: (RSA over method/path/timestamp/nonce/body, headers ``x-paykka-*``), YabandPay (HMAC).
Api = Literal["v1.2", "v3", "yabandpay"]


@dataclass(frozen=True)
class Endpoint:
    """One call: its method and path under a base URL, what it sends and answers.

    ``retry_safe``: the client retries it after a network failure, HTTP 429 or 5xx.
    Queries are retried (they change nothing); creations are not (see ``source``).
    """

    name: str
    api: Api
    method: str
    path: str
    #: Fields the client puts in the request body (beyond merchant_id/timestamp).
    request_fields: tuple[str, ...]
    #: Fields of the answer's ``data`` the client reads (PayKKa), or of ``data`` (YabandPay).
    response_fields: tuple[str, ...]
    retry_safe: bool
    source: str


# --- base URLs ------------------------------------------------------------------------

#: PayKKa v3. Documented (API Authentication v3; the v3 API reference's servers).
V3_BASE_URLS: dict[str, str] = {
    "sandbox": "https://openapi-sandbox.paykka.com",
    "production": "https://openapi.paykka.com",
    "production-eu": "https://openapi.eu.paykka.com",
    "production-aq": "https://openapi.aq.paykka.com",
}

#: PayKKa v1.2. The sandbox is documented (the v1.2 OpenAPI's server); no production base URL
#: is documented for v1.2: the client then needs ``base_url=`` (nothing is guessed).
V12_BASE_URLS: dict[str, str] = {
    "sandbox": "https://sandbox.aq.paykka.com",
}

#: YabandPay: ``POST https://mapi.yabandpay.com/Payments`` (documented). No separate sandbox
#: host is documented; inferred: the same host, sandbox being a property of the account.
YABANDPAY_BASE_URLS: dict[str, str] = {
    "production": "https://mapi.yabandpay.com",
}
YABANDPAY_PAYMENTS_PATH = "/Payments"
YABANDPAY_APPLEPAY_METHOD = "v3.ApplePay"

#: Every PayKKa request body carries these (documented: v1.2 requires them; the v3 examples
#: send them too, ``timestamp`` in milliseconds, besides the ``x-paykka-timestamp`` header).
PAYKKA_BODY_FIELDS = ("merchant_id", "timestamp")

# --- PayKKa answers -------------------------------------------------------------------

#: Documented (API reference, "Response code"): every answer is
#: ``{"ret_code", "ret_msg", "data"?}``; ``data`` may be absent when the request failed.
PAYKKA_ANSWER_FIELDS = ("ret_code", "ret_msg", "data")
PAYKKA_RET_SUCCESS = "000000"  # documented
PAYKKA_RET_SYSTEM_ERROR = "999999"  # documented
PAYKKA_RET_INVALID_REQUEST = "010000"  # documented
#: Documented HTTP statuses: 200 ok (business errors inside), 400, 401, 403 ("do not retry"),
#: 404, 429 (rate limit), 500. Retried, for retry-safe calls only: 429 and 5xx (ours).
PAYKKA_HTTP_RETRYABLE = frozenset({429, 500, 502, 503, 504})

#: Webhook ``notify_type`` values (documented, v1.2 and v3 notify webhook pages).
PAYKKA_WEBHOOK_EVENTS = (
    "PAYMENT.AUTHORIZATION",
    "PAYMENT.SUCCESS",
    "PAYMENT.FAILURE",
    "PAYMENT.CANCELED",
    "REFUND.SUCCESS",
    "REFUND.FAILURE",
)
#: What the merchant answers a webhook with (documented), HTTP 200, as compact JSON.
PAYKKA_WEBHOOK_ANSWER = {"ret_code": "000000", "ret_msg": "Success"}

#: Checkout ``session_mode``. The API page says ``HOSTED`` / ``EMBEDDED`` (documented); one
#: seed example says ``HOST``. Default the API page's value; any string may be passed.
SESSION_MODES = ("HOSTED", "EMBEDDED")
SESSION_MODE_DEFAULT = "HOSTED"

# --- YabandPay answers ----------------------------------------------------------------

#: Inferred: ``{"status": bool, "code": int, "message": str, "data": {...}, "sign"?}``; a
#: refusal is ``status: false`` with the PSP's code and message (e.g. ``-403``, ``"The
#: signature Error"``, from the issue). A ``sign`` present is HMAC over ``data`` as for a
#: notification (inferred) and is verified.
YABANDPAY_ANSWER_FIELDS = ("status", "code", "message", "data", "sign")
#: ``data.operation`` of ``v3.ApplePay``: the documented example sends ``"1"``; taken to be
#: Sales, and ``"2"`` Authorisation (inferred: give ``operation=`` to override).
YABANDPAY_OPERATIONS = {"sales": "1", "authorisation": "2"}
#: What the merchant answers a notification with: inferred (YabandPay's SDK examples answer
#: the text ``success``), HTTP 200.
YABANDPAY_NOTIFICATION_ANSWER = "success"

# --- the calls ------------------------------------------------------------------------

_V3_REF = "documented: PayKKa API reference v3 / API Authentication v3"
_NOT_RETRIED = (
    "; not retried: PayKKa documents no idempotency for a repeated trans_id, so a retry could "
    "charge twice (the caller queries the transaction instead)"
)

ENDPOINTS: tuple[Endpoint, ...] = (
    # PayKKa v3
    Endpoint(
        "apple_pay_session",
        "v3",
        "POST",
        "/v3/payment/acq/apple-pay/create-session",
        ("merchant_id", "display_name", "domain_name"),
        ("data",),
        True,
        _V3_REF + " (Create Apple Pay Session; domain_name is required there). The answer's "
        "data is the base64 Apple Pay session object (documented by the issue; the reference "
        "shows a string). Retried: a new session each time, no side effect (inferred)",
    ),
    Endpoint(
        "initiate",
        "v3",
        "POST",
        "/v3/payment/acq",
        ("payment_type", "trans_id", "amount", "currency", "payment", "notify_url", "return_url"),
        (
            "merchant_id",
            "trans_id",
            "order_id",
            "status",
            "amount",
            "currency",
            "error_code",
            "error_description",
            "authentication_result",
        ),
        False,
        _V3_REF + " (Initiate Transaction)" + _NOT_RETRIED,
    ),
    Endpoint(
        "create_session",
        "v3",
        "POST",
        "/v3/payment/acq/session",
        (
            "trans_id",
            "amount",
            "currency",
            "session_mode",
            "allowed_payment_methods",
            "notify_url",
            "return_url",
        ),
        ("session_id", "session_url", "trans_id", "expire_time"),
        False,
        _V3_REF + " (Create Session); answer fields session_id (documented, drop-in "
        "guide), session_url (documented by the issue), expire_time (inferred)" + _NOT_RETRIED,
    ),
    Endpoint(
        "query_session",
        "v3",
        "POST",
        "/v3/payment/acq/session/query",
        ("session_id",),
        ("session_id", "session_url", "trans_id", "status"),
        True,
        "inferred: the path (the reference lists a Query Session operation beside Create "
        "Session; its path is not in the material here). Retried: a query",
    ),
    Endpoint(
        "query_transaction",
        "v3",
        "POST",
        "/v3/payment/acq/query",
        ("trans_id", "order_id", "session_id"),
        (
            "merchant_id",
            "trans_id",
            "order_id",
            "status",
            "amount",
            "currency",
            "error_code",
            "error_description",
        ),
        True,
        _V3_REF + " (Query Transaction: one of trans_id, order_id, session_id; the "
        "documented way to learn a checkout session's payment). Retried: a query",
    ),
    # PayKKa v1.2
    Endpoint(
        "apple_pay_session",
        "v1.2",
        "POST",
        "/payments/apple-pay/create-session",
        ("merchant_id", "display_name", "domain_name"),
        ("data",),
        True,
        "inferred: the v1.2 path, by analogy with v3 (v1.2 documents /payments/token/remove)",
    ),
    Endpoint(
        "initiate",
        "v1.2",
        "POST",
        "/payments",
        ("payment_type", "trans_id", "amount", "currency", "payment", "notify_url", "return_url"),
        (
            "merchant_id",
            "trans_id",
            "order_id",
            "status",
            "amount",
            "currency",
            "error_code",
            "error_description",
            "authentication_result",
        ),
        False,
        "inferred: the path (the v1.2 reference documents Initiate Transaction; its "
        "path is not in the material here)" + _NOT_RETRIED,
    ),
    Endpoint(
        "create_session",
        "v1.2",
        "POST",
        "/payments/session",
        (
            "trans_id",
            "amount",
            "currency",
            "session_mode",
            "allowed_payment_methods",
            "notify_url",
            "return_url",
        ),
        ("session_id", "session_url", "trans_id", "expire_time"),
        False,
        "documented by the issue's seeds (POST /payments/session)" + _NOT_RETRIED,
    ),
    Endpoint(
        "query_session",
        "v1.2",
        "POST",
        "/payments/session/query",
        ("session_id",),
        ("session_id", "session_url", "trans_id", "status"),
        True,
        "inferred: the path. Retried: a query",
    ),
    Endpoint(
        "query_transaction",
        "v1.2",
        "POST",
        "/payments/query",
        ("trans_id", "order_id", "session_id"),
        (
            "merchant_id",
            "trans_id",
            "order_id",
            "status",
            "amount",
            "currency",
            "error_code",
            "error_description",
        ),
        True,
        "inferred: the path, by analogy with v3. Retried: a query",
    ),
    # YabandPay
    Endpoint(
        "applepay",
        "yabandpay",
        "POST",
        YABANDPAY_PAYMENTS_PATH,
        ("user", "sign", "method", "time", "data"),
        ("trade_id", "order_id", "state", "amount", "currency"),
        False,
        "documented: YabandPay Payments API, method v3.ApplePay (request); answer "
        "fields inferred. Not retried: no idempotency documented",
    ),
)


def endpoint(api: Api, name: str) -> Endpoint:
    """The endpoint called ``name`` for ``api`` (``invalid_argument`` if there is none)."""
    for found in ENDPOINTS:
        if found.api == api and found.name == name:
            return found
    raise InvalidArgumentError("no such endpoint: give an api and a name of ENDPOINTS")
