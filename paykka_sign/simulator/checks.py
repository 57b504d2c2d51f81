"""How the simulator checks a merchant's request, as the PSP does by its documentation.

* PayKKa v3: the ``x-paykka-*`` headers, SHA256withRSA over ``METHOD\\nPATH\\nTIMESTAMP\\n
  NONCE\\nBODY`` with the merchant's public key, the timestamp within 5 minutes, the nonce
  unused (documented), the ``x-paykka-appid`` and the body's ``merchant_id`` naming the
  configured merchant (ours: PayKKa looks the key up by them).
* PayKKa v1.2: ``signature`` over ``merchantId=..&timestamp=..&requestBody=..``
  (documented), the body's ``merchant_id`` the configured one; a time window is not
  documented for v1.2: the simulator applies v3's 5 minutes (inferred; ``v12_window``).
  v1.2 has no nonce, so no replay check.
* YabandPay: the HMAC ``sign`` over the sorted fields (documented), ``user`` the configured
  one (a wrong user is answered as a bad signature: inferred). No time window or nonce is
  documented, so none is checked.

Each check raises :class:`~.refusals.Refused` with the PSP's own shape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import (
    MalformedBodyError,
    PaykkaSignError,
    RecipientMismatchError,
    ReplayedNonceError,
    SignatureInvalidError,
    TimestampOutOfWindowError,
)
from ..messages import parse_json_object
from ..paykka_v3 import PaykkaV3Verifier
from ..paykka_v12 import PaykkaV12Verifier
from ..yabandpay import YabandPaySigner
from .refusals import (
    PAYKKA_BAD_SIGNATURE,
    PAYKKA_INVALID_REQUEST,
    PAYKKA_REPLAYED_NONCE,
    PAYKKA_STALE_TIMESTAMP,
    PAYKKA_UNKNOWN_MERCHANT,
    YABANDPAY_BAD_SIGNATURE,
    YABANDPAY_INVALID_REQUEST,
    Refused,
)


def paykka_refusal_of(error: PaykkaSignError) -> Refused:
    """The PayKKa refusal for a verifier's error (order: most specific first)."""
    if isinstance(error, TimestampOutOfWindowError):
        return Refused(PAYKKA_STALE_TIMESTAMP)
    if isinstance(error, ReplayedNonceError):
        return Refused(PAYKKA_REPLAYED_NONCE)
    if isinstance(error, RecipientMismatchError):
        return Refused(PAYKKA_UNKNOWN_MERCHANT)
    if isinstance(error, SignatureInvalidError):
        return Refused(PAYKKA_BAD_SIGNATURE)
    return Refused(PAYKKA_INVALID_REQUEST)


def _body_merchant(doc: Mapping[str, Any], merchant_id: str) -> None:
    if doc.get("merchant_id") != merchant_id:
        raise Refused(PAYKKA_UNKNOWN_MERCHANT)


def v3_request(
    verifier: PaykkaV3Verifier,
    merchant_id: str,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime,
) -> dict[str, Any]:
    """The request's JSON body once every v3 check passed."""
    if "x-paykka-appid" not in {name.lower() for name in headers}:
        raise Refused(PAYKKA_BAD_SIGNATURE)  # the app id selects the key: none, no key
    try:
        verifier.verify(method, target, headers, body, now=now)
        doc = parse_json_object(body) if body else {}
    except PaykkaSignError as error:
        raise paykka_refusal_of(error) from None
    _body_merchant(doc, merchant_id)
    return doc


def v12_request(
    verifier: PaykkaV12Verifier, headers: Mapping[str, str], body: bytes, now: dt.datetime
) -> dict[str, Any]:
    """The request's JSON body once every v1.2 check passed."""
    try:
        doc = parse_json_object(body)
        if "merchant_id" not in doc or "timestamp" not in doc:
            raise MalformedBodyError("v1.2 bodies carry merchant_id and timestamp")
        verifier.verify(headers, body, now=now)
    except PaykkaSignError as error:
        raise paykka_refusal_of(error) from None
    return doc


def yabandpay_request(signer: YabandPaySigner, user: str, body: bytes) -> dict[str, Any]:
    """The request once its ``sign`` verified for the configured user."""
    try:
        doc = parse_json_object(body)
    except PaykkaSignError:
        raise Refused(YABANDPAY_INVALID_REQUEST) from None
    if doc.get("user") != user:
        raise Refused(YABANDPAY_BAD_SIGNATURE)
    try:
        signer.verify_request(doc)
    except PaykkaSignError:
        raise Refused(YABANDPAY_BAD_SIGNATURE) from None
    if not isinstance(doc.get("data"), dict):
        raise Refused(YABANDPAY_INVALID_REQUEST)
    return doc
