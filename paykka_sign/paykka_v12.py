"""PayKKa API v1.2: sign requests, verify responses and notifications.

Headers ``signature``, ``type: RSA256``, ``version: v1.2``; the string to sign is
:func:`paykka_sign.paykka.v12_string_to_sign` over the body's ``merchant_id``, its
``timestamp`` and the exact body bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto.logs import logs_rejections

from .clock import Clock, check_window, epoch_millis, utc_now
from .errors import (
    BodyFieldMismatchError,
    InvalidArgumentError,
    InvalidHeaderError,
    MalformedBodyError,
    MissingFieldError,
    PaykkaSignError,
    RecipientMismatchError,
)
from .keys import checked_private_key, checked_public_key
from .messages import (
    Body,
    SignedRequest,
    VerifiedMessage,
    body_bytes,
    dump_json,
    find_field,
    frozen_headers,
    optional_header,
    parse_json_object,
    received_body,
    required_header,
)
from .paykka import merchant_id_text, rsa_sign, rsa_verify, timestamp_text, v12_string_to_sign

__all__ = [
    "V12_DEFAULT_MERCHANT_ID_FIELDS",
    "V12_DEFAULT_TIMESTAMP_FIELDS",
    "PaykkaV12Signer",
    "PaykkaV12Verifier",
]

_log = logging.getLogger(__name__)

#: Where a v1.2 response or notification carries the fields of its string to sign.
#: Inferred, not documented: PayKKa's example responses put them under ``data``.
V12_DEFAULT_MERCHANT_ID_FIELDS = ("merchant_id", "data.merchant_id")
V12_DEFAULT_TIMESTAMP_FIELDS = ("timestamp", "data.timestamp")


def _agree(given: str | None, in_body: str | None, field: str) -> str | None:
    if given is not None and in_body is not None and given != in_body:
        # PayKKa rebuilds the string from the body: signing other values fails silently there.
        raise BodyFieldMismatchError(
            f"the {field} given differs from the body's {field}: PayKKa rebuilds the string "
            "to sign from the body, so this signature could never verify; fix the body or "
            f"drop the {field} given"
        )
    return given if given is not None else in_body


def _refuse_absent(given: str | None, doc: Mapping[str, Any], field: str) -> None:
    if given is not None and field not in doc:
        raise BodyFieldMismatchError(
            f"the body has no {field} but one was given: PayKKa rebuilds the string to sign "
            f'from the body, so this signature could never verify; put "{field}" in the '
            "body (a dict body gets it added)"
        )


class PaykkaV12Signer:
    """Sign v1.2 requests with the merchant's private key."""

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        *,
        merchant_id: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.private_key = checked_private_key(private_key)
        self.merchant_id = merchant_id
        self.clock = clock

    def sign(
        self,
        body: Body,
        *,
        merchant_id: str | None = None,
        timestamp: int | str | None = None,
        now: dt.datetime | None = None,
        values_outside_body: bool = False,
    ) -> SignedRequest:
        """Sign ``body``; ``merchant_id`` and ``timestamp`` are read from it unless given.

        A dict body lacking them gets them added (the timestamp is "now" in ms) before it is
        serialised once; bytes and text bodies are signed and returned byte for byte, so a
        value given must be in the body: absent or different, it is refused
        (:class:`BodyFieldMismatchError`), since PayKKa rebuilds the string from the body's
        top-level ``merchant_id`` and ``timestamp``. ``values_outside_body=True`` signs
        given values a bytes body does not hold at its top level: only to stand in for
        PayKKa's own signatures in tests (its responses carry them under ``data``).
        """
        given_mid = merchant_id if merchant_id is not None else self.merchant_id
        mid = (
            None
            if given_mid is None
            else merchant_id_text(given_mid, "given", InvalidArgumentError)
        )
        ts = None if timestamp is None else timestamp_text(timestamp, "given", InvalidArgumentError)
        if isinstance(body, Mapping):
            doc = dict(body)
            if mid is not None:
                doc.setdefault("merchant_id", mid)
            now = now if now is not None else self.clock()
            doc.setdefault("timestamp", int(ts) if ts is not None else epoch_millis(now))
            raw = dump_json(doc)
        else:
            raw = body_bytes(body)
            doc = parse_json_object(raw)
            if not values_outside_body:
                _refuse_absent(mid, doc, "merchant_id")
                _refuse_absent(ts, doc, "timestamp")
        if "merchant_id" in doc:
            in_body = merchant_id_text(doc["merchant_id"], "in the body", MalformedBodyError)
            mid = _agree(mid, in_body, "merchant_id")
        if "timestamp" in doc:
            in_body = timestamp_text(doc["timestamp"], "in the body", MalformedBodyError)
            ts = _agree(ts, in_body, "timestamp")
        if mid is None or ts is None:
            missing = "merchant_id" if mid is None else "timestamp"
            raise MissingFieldError(f"the body has no {missing} and none was given")
        message = v12_string_to_sign(mid, ts, raw)
        headers = {
            "signature": rsa_sign(self.private_key, message),
            "type": "RSA256",
            "version": "v1.2",
        }
        return SignedRequest(headers=frozen_headers(headers), body=raw, string_to_sign=message)


class PaykkaV12Verifier:
    """Verify v1.2 responses and notifications with PayKKa's platform public key.

    ``merchant_id`` is this merchant's id, required (review (#11)): PayKKa signs every
    merchant's notifications with one platform key, so without it a notification for another
    merchant verifies here. Every merchant-id field present in the body must name it
    (``recipient_mismatch`` otherwise); a body without one is verified as signed for it.

    Inferred, not documented: the string is built like a request's, from the message's own
    merchant id and timestamp, looked up in ``merchant_id_fields`` / ``timestamp_fields``
    (dotted paths, the first present wins). v1.2 documents no time window; pass ``window``
    (e.g. PayKKa's longest notification retry delay plus clock skew) to enforce one.
    """

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        *,
        merchant_id: str,
        merchant_id_fields: Sequence[str] = V12_DEFAULT_MERCHANT_ID_FIELDS,
        timestamp_fields: Sequence[str] = V12_DEFAULT_TIMESTAMP_FIELDS,
        window: dt.timedelta | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.merchant_id = merchant_id_text(merchant_id, "of the verifier", InvalidArgumentError)
        self.merchant_id_fields = _field_paths(merchant_id_fields)
        self.timestamp_fields = _field_paths(timestamp_fields)
        if window is not None and not isinstance(window, dt.timedelta):
            raise InvalidArgumentError("the window must be a datetime.timedelta")
        self.public_key = checked_public_key(public_key)
        self.window = window
        self.clock = clock

    @logs_rejections(_log, "message", (PaykkaSignError,))
    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes | str,
        *,
        timestamp: int | str | None = None,
        now: dt.datetime | None = None,
    ) -> VerifiedMessage:
        """Check the ``signature`` header over the raw ``body`` as received (bytes, or text
        as UTF-8), then that the message is addressed to this merchant."""
        signature = required_header(headers, "signature")
        for name, expected in (("type", "RSA256"), ("version", "v1.2")):
            value = optional_header(headers, name)
            if value is not None and value != expected:
                # repr() escapes what a terminal or a JSON encoder could not print.
                raise InvalidHeaderError(f"the {name} header is {value!r}, not {expected!r}")
        raw = received_body(body)
        doc = parse_json_object(raw)
        mids = self._merchant_ids(doc)
        mid = mids[0] if mids else self.merchant_id
        if timestamp is not None:
            ts = timestamp_text(timestamp, "given", InvalidArgumentError)
        else:
            ts = timestamp_text(*self._field(doc, self.timestamp_fields), MalformedBodyError)
        rsa_verify(self.public_key, v12_string_to_sign(mid, ts, raw), signature)
        self._check_recipient(mids)
        if self.window is not None:
            check_window(int(ts), now if now is not None else self.clock(), self.window)
        return VerifiedMessage(body=raw, timestamp=int(ts), merchant_id=mid)

    def _merchant_ids(self, doc: Mapping[str, Any]) -> list[str]:
        """Every merchant id the body carries at the configured paths, in path order."""
        found = []
        for path in self.merchant_id_fields:
            hit = find_field(doc, (path,))
            if hit is not None:
                found.append(merchant_id_text(hit[1], f"at {path}", MalformedBodyError))
        return found

    def _check_recipient(self, mids: list[str]) -> None:
        # review (#11): one platform key signs for every merchant, so the signature alone
        # does not say the message is ours. Compared after the signature check, so this
        # code means "genuine, but for another merchant".
        if any(mid != self.merchant_id for mid in mids):
            raise RecipientMismatchError(
                "the message is addressed to another merchant id than this verifier's"
            )

    @staticmethod
    def _field(doc: Mapping[str, Any], paths: tuple[str, ...]) -> tuple[Any, str]:
        found = find_field(doc, paths)
        if found is None:
            raise MissingFieldError(f"the body has none of {', '.join(paths)}")
        path, value = found
        return value, f"at {path}"


def _field_paths(paths: Sequence[str]) -> tuple[str, ...]:
    if isinstance(paths, str) or not isinstance(paths, Sequence):
        raise InvalidArgumentError("field paths must be a sequence of dotted strings")
    found = tuple(paths)
    if not found or not all(isinstance(path, str) and path for path in found):
        raise InvalidArgumentError("give at least one field path for each signed field")
    return found
