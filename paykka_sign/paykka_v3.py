"""PayKKa API v3: sign requests, verify responses and webhooks.

Headers ``x-paykka-appid``, ``x-paykka-timestamp`` (ms), ``x-paykka-nonce``,
``x-paykka-sign``, ``x-paykka-sign-alg: SHA256_WITH_RSA``; the string to sign is
:func:`paykka_sign.paykka.v3_string_to_sign`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto.logs import logs_rejections

from .clock import DEFAULT_WINDOW, Clock, aware, check_window, epoch_millis, from_millis, utc_now
from .errors import (
    InvalidArgumentError,
    InvalidHeaderError,
    PaykkaSignError,
    RecipientMismatchError,
    ReplayedNonceError,
)
from .keys import checked_private_key, checked_public_key
from .messages import (
    Body,
    SignedRequest,
    VerifiedMessage,
    body_bytes,
    frozen_headers,
    optional_header,
    received_body,
    required_header,
)
from .paykka import rsa_sign, rsa_verify, v3_string_to_sign
from .replay import NonceStore

__all__ = ["SIGN_ALG", "PaykkaV3Signer", "PaykkaV3Verifier", "new_nonce"]

_log = logging.getLogger(__name__)

SIGN_ALG = "SHA256_WITH_RSA"

_MILLIS = re.compile(r"[0-9]{1,19}")
#: Nonces are 10 to 100 characters (documented); visible ASCII only (ours), as they travel
#: in a header and a line break would shift the lines of the string to sign.
_NONCE = re.compile(r"[\x21-\x7e]{10,100}")
_METHOD = re.compile(r"[A-Z]{1,16}")
_PATH = re.compile(r"/[\x21-\x7e]*")


def new_nonce() -> str:
    """32 hex characters (128 bits) from the OS CSPRNG."""
    return secrets.token_hex(16)


def _request_line(method: str, path: str) -> str:
    upper = method.upper() if isinstance(method, str) else ""
    if not _METHOD.fullmatch(upper):
        raise InvalidArgumentError("the HTTP method must be a word such as POST or GET")
    if not isinstance(path, str) or not path.startswith("/"):
        # A full URL here is the classic mistake: PayKKa signs the path only.
        raise InvalidArgumentError("the path must start with '/': the path, not the URL")
    if not _PATH.fullmatch(path):
        # An HTTP request target is visible ASCII (RFC 9112); a line break would shift the
        # lines of the string to sign, a surrogate has no bytes (review (#11)).
        raise InvalidArgumentError("the path must be visible ASCII (percent-encode the rest)")
    return upper


def _app_id(app_id: str) -> str:
    if not isinstance(app_id, str) or not 1 <= len(app_id) <= 64 or not app_id.isprintable():
        raise InvalidArgumentError("the app id must be 1 to 64 printable characters")
    return app_id


class PaykkaV3Signer:
    """Sign v3 requests with the merchant's private key."""

    def __init__(
        self, private_key: rsa.RSAPrivateKey, *, app_id: str, clock: Clock = utc_now
    ) -> None:
        self.private_key = checked_private_key(private_key)
        self.app_id = _app_id(app_id)
        self.clock = clock

    def sign(
        self,
        method: str,
        path: str,
        body: Body | None = None,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        now: dt.datetime | None = None,
    ) -> SignedRequest:
        """Sign one request; the timestamp is "now" and the nonce random unless given.

        ``method`` is upper-cased; ``path`` is signed exactly as given (with its query
        string, if the request has one).
        """
        method = _request_line(method, path)
        if timestamp is None:
            timestamp = epoch_millis(now if now is not None else self.clock())
        if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp >= 10**19:
            raise InvalidArgumentError("the timestamp must be milliseconds since the epoch")
        ts = str(timestamp)
        if not _MILLIS.fullmatch(ts):
            raise InvalidArgumentError("the timestamp must be milliseconds since the epoch")
        nonce = nonce if nonce is not None else new_nonce()
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise InvalidArgumentError("the nonce must be 10 to 100 visible ASCII characters")
        raw = body_bytes(body) if body is not None else b""
        message = v3_string_to_sign(method, path, ts, nonce, raw)
        headers = {
            "x-paykka-appid": self.app_id,
            "x-paykka-timestamp": ts,
            "x-paykka-nonce": nonce,
            "x-paykka-sign": rsa_sign(self.private_key, message),
            "x-paykka-sign-alg": SIGN_ALG,
        }
        return SignedRequest(headers=frozen_headers(headers), body=raw, string_to_sign=message)


class PaykkaV3Verifier:
    """Verify v3 responses and webhooks: signature, recipient, time window, then the nonce.

    ``method`` and ``path`` are the request's for a response and, inferred, the merchant's
    own webhook path (as PayKKa called it) for a webhook. ``app_id`` is this merchant's
    ``x-paykka-appid``, required (review (#11)): a message whose ``x-paykka-appid`` names
    another app is refused (``recipient_mismatch``). That header is not signed, so this
    catches misrouted messages, not an attacker who edits it; the signed path is what binds
    a webhook to your endpoint. ``nonce_store`` turns the replay check on; a nonce is
    remembered only once its message is authentic and in the window.
    """

    def __init__(
        self,
        public_key: rsa.RSAPublicKey,
        *,
        app_id: str,
        window: dt.timedelta = DEFAULT_WINDOW,
        nonce_store: NonceStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if not isinstance(window, dt.timedelta):
            raise InvalidArgumentError("the window must be a datetime.timedelta")
        self.app_id = _app_id(app_id)
        self.public_key = checked_public_key(public_key)
        self.window = window
        self.nonce_store = nonce_store
        self.clock = clock

    @logs_rejections(_log, "message", (PaykkaSignError,))
    def verify(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | str,
        *,
        now: dt.datetime | None = None,
    ) -> VerifiedMessage:
        """Check ``x-paykka-sign`` over the raw ``body`` as received (bytes, or text as
        UTF-8), and that ``x-paykka-appid``, when present, is this verifier's app id."""
        method = _request_line(method, path)
        ts = required_header(headers, "x-paykka-timestamp")
        nonce = required_header(headers, "x-paykka-nonce")
        signature = required_header(headers, "x-paykka-sign")
        alg = optional_header(headers, "x-paykka-sign-alg")
        if alg is not None and alg != SIGN_ALG:
            raise InvalidHeaderError(f"x-paykka-sign-alg is {alg!r}, not {SIGN_ALG!r}")
        if not _MILLIS.fullmatch(ts):
            raise InvalidHeaderError("x-paykka-timestamp is not milliseconds since the epoch")
        if not _NONCE.fullmatch(nonce):
            raise InvalidHeaderError("x-paykka-nonce is not 10 to 100 visible ASCII characters")
        app_id = optional_header(headers, "x-paykka-appid")
        raw = received_body(body)
        rsa_verify(self.public_key, v3_string_to_sign(method, path, ts, nonce, raw), signature)
        if app_id is not None and app_id != self.app_id:
            # review (#11): responses do not carry the header (documented), so only a
            # present one is compared; a mismatch is a message meant for another app.
            raise RecipientMismatchError("x-paykka-appid names another app id than this verifier's")
        moment = aware(now if now is not None else self.clock())
        check_window(int(ts), moment, self.window)
        if self.nonce_store is not None:
            # Past timestamp + window the time check alone rejects a replay.
            expires_at = from_millis(int(ts)) + self.window
            if not self.nonce_store.remember(nonce, expires_at=expires_at, now=moment):
                raise ReplayedNonceError("this nonce was already accepted inside the window")
        return VerifiedMessage(body=raw, timestamp=int(ts), nonce=nonce)
