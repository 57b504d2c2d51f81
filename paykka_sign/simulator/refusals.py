"""The PSPs' refusal shapes, as the simulator answers them.

Documented: PayKKa's answers are ``{"ret_code", "ret_msg", "data"?}`` with ``000000``
success, ``010000`` invalid request, ``999999`` system error ("Response code"), over HTTP
200/400/401/403/404/429/500 ("HTTP Status Code"). YabandPay refuses a bad ``sign`` with code
``-403``, message ``The signature Error``.

Inferred (not documented; chosen here and listed in docs/paykka-sign.md, "Simulator"): which
HTTP status and ``ret_msg`` PayKKa uses for a bad signature, a stale timestamp, a replayed
nonce or an unknown merchant (here HTTP 401 and ``010000`` with the messages below); that
such refusals are signed with the platform key like any answer; YabandPay's HTTP status (200)
and its codes for a refusal other than the signature's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaykkaRefusal:
    """An answer ``{"ret_code", "ret_msg"}`` with an HTTP status."""

    status: int
    ret_code: str
    ret_msg: str


@dataclass(frozen=True)
class YabandPayRefusal:
    """An answer ``{"status": false, "code", "message"}`` with an HTTP status."""

    status: int
    code: int
    message: str


class Refused(Exception):
    """Raised inside the simulator to answer with one of the shapes above."""

    def __init__(self, refusal: PaykkaRefusal | YabandPayRefusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


# ret_codes: documented; statuses and messages: inferred (see the module docstring).
PAYKKA_BAD_SIGNATURE = PaykkaRefusal(401, "010000", "Signature verification failed")
PAYKKA_STALE_TIMESTAMP = PaykkaRefusal(401, "010000", "Timestamp out of the 5-minute window")
PAYKKA_REPLAYED_NONCE = PaykkaRefusal(401, "010000", "Nonce already used")
PAYKKA_UNKNOWN_MERCHANT = PaykkaRefusal(403, "010000", "Unknown merchant or app id")
PAYKKA_INVALID_REQUEST = PaykkaRefusal(400, "010000", "Invalid request")
PAYKKA_DUPLICATE_TRANS_ID = PaykkaRefusal(400, "010000", "Duplicate trans_id")
PAYKKA_NOT_FOUND = PaykkaRefusal(200, "010000", "Not found")
PAYKKA_SYSTEM_ERROR = PaykkaRefusal(500, "999999", "System error")

#: Documented (code and message); the HTTP status 200 is inferred.
YABANDPAY_BAD_SIGNATURE = YabandPayRefusal(200, -403, "The signature Error")
#: Inferred entirely.
YABANDPAY_INVALID_REQUEST = YabandPayRefusal(200, -400, "Invalid request")
