"""The simulator's answers, signed with the platform key as PayKKa and YabandPay sign theirs.

* v3: ``x-paykka-timestamp``, ``x-paykka-nonce``, ``x-paykka-sign``, ``x-paykka-sign-alg``
  (documented), the string over the **request's** method and path (inferred, as the client
  verifies), no ``x-paykka-appid`` (documented: answers do not carry it).
* v1.2: ``signature``, ``type``, ``version`` (documented) over the answer's
  ``data.merchant_id`` and ``data.timestamp`` (inferred); an answer whose ``data`` is not an
  object (the Apple Pay session's string, a refusal) carries them at the top (inferred).
* YabandPay: ``{"status", "code", "message", "data", "sign"}`` with ``sign`` the HMAC over
  ``data`` as for a notification (inferred).

``tamper=True`` changes the body after signing (one character of ``ret_msg``, or of
YabandPay's ``data.state``), the way a man in the middle would: the client must refuse it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..clock import epoch_millis
from ..messages import dump_json
from ..paykka_v3 import PaykkaV3Signer
from ..paykka_v12 import PaykkaV12Signer
from ..yabandpay import EmptyValues, hmac_sha256_hex, notification_string_to_sign
from .refusals import PaykkaRefusal, YabandPayRefusal

_JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _tampered(body: bytes, markers: tuple[bytes, ...] = (b'"ret_msg":"',)) -> bytes:
    # Flip the case of the first letter of a signed text field: same length, still JSON.
    for marker in markers:
        at = body.find(marker)
        if at >= 0:
            i = at + len(marker)
            return body[:i] + body[i : i + 1].swapcase() + body[i + 1 :]
    return body + b" "


def paykka_answer(
    api: str,
    platform_key: rsa.RSAPrivateKey,
    *,
    merchant_id: str,
    method: str,
    target: str,
    data: Any = None,
    refusal: PaykkaRefusal | None = None,
    now: dt.datetime,
    tamper: bool = False,
) -> Answer:
    """A signed PayKKa answer: ``000000`` ``Success`` with ``data``, or ``refusal``."""
    now_ms = epoch_millis(now)
    doc: dict[str, Any]
    if refusal is None:
        doc = {"ret_code": "000000", "ret_msg": "Success"}
        status = 200
        if api == "v1.2" and isinstance(data, dict):
            data = {"merchant_id": merchant_id, "timestamp": now_ms, **data}
        elif api == "v1.2":
            doc.update(merchant_id=merchant_id, timestamp=now_ms)  # data is not an object
        if data is not None:
            doc["data"] = data
    else:
        doc = {"ret_code": refusal.ret_code, "ret_msg": refusal.ret_msg}
        status = refusal.status
        if api == "v1.2":
            doc.update(merchant_id=merchant_id, timestamp=now_ms)
    body = dump_json(doc)
    if api == "v3":
        signed = PaykkaV3Signer(platform_key, app_id="simulator").sign(
            method, target, body, now=now
        )
        headers = {k: v for k, v in signed.headers.items() if k != "x-paykka-appid"}
    else:
        # data.merchant_id / data.timestamp (or the top-level ones of a refusal), as the
        # client's v1.2 verifier looks them up.
        headers = dict(
            PaykkaV12Signer(platform_key)
            .sign(body, merchant_id=merchant_id, timestamp=now_ms, values_outside_body=True)
            .headers
        )
    return Answer(status, {"content-type": _JSON, **headers}, _tampered(body) if tamper else body)


def yabandpay_answer(
    secret_key: bytes,
    *,
    empty_values: EmptyValues = "keep",
    data: dict[str, Any] | None = None,
    refusal: YabandPayRefusal | None = None,
    tamper: bool = False,
) -> Answer:
    """``status: true`` with a signed ``data``, or the refusal (unsigned, as YabandPay's
    ``-403`` example shows it)."""
    if refusal is not None:
        doc: dict[str, Any] = {"status": False, "code": refusal.code, "message": refusal.message}
        status = refusal.status
    else:
        assert data is not None
        message = notification_string_to_sign(data, empty_values=empty_values)
        sign = hmac_sha256_hex(secret_key, message)
        doc = {"status": True, "code": 200, "message": "success", "data": data, "sign": sign}
        status = 200
    body = dump_json(doc)
    markers = (b'"state":"', b'"message":"')  # state is under data: covered by the sign
    return Answer(status, {"content-type": _JSON}, _tampered(body, markers) if tamper else body)
