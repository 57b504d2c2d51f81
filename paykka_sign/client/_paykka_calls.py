"""PayKKa's calls without the transport: the configuration, the bodies each call sends and the
typed results read from each verified answer. :mod:`.paykka` adds the sync and async HTTP."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import DecryptedToken, ReplayGuard

from ..applepay_requests import (
    TokenDataEncoding,
    TokenSource,
    Verified,
    _parsed,
    check_order,
    claim_token,
    paykka_decrypted_payment,
    paykka_payment_request,
    paykka_token_payment,
)
from ..clock import DEFAULT_WINDOW, Clock, epoch_millis, utc_now
from ..currency import by_alpha
from ..errors import InvalidArgumentError, InvalidKeyError, MalformedBodyError
from ..messages import Body, body_bytes
from ..paykka_v3 import PaykkaV3Signer, PaykkaV3Verifier
from ..paykka_v12 import PaykkaV12Signer, PaykkaV12Verifier
from ..replay import InMemoryNonceStore, NonceStore
from ._transport import base_url as resolve_base_url
from .answers import ApplePaySession, PaykkaAnswer
from .auth import PaykkaV3Auth, PaykkaV12Auth
from .endpoints import V3_BASE_URLS, V12_BASE_URLS, Endpoint, endpoint
from .retry import RetryPolicy

#: One call: its endpoint and a function building its body (called once per attempt, so a
#: retried v1.2 query carries a fresh timestamp).
Call = tuple[Endpoint, Callable[[], bytes]]
PaykkaApi = Literal["v1.2", "v3"]

_ID_MAX = 64
_PATH = re.compile(r"/[\x21-\x7e]{0,2000}")
_METHOD = re.compile(r"[A-Z]{1,16}")


def _identifier(value: Any, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= _ID_MAX or not value.isprintable():
        raise InvalidArgumentError(f"{what} must be 1 to {_ID_MAX} printable characters")
    return value


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        raise InvalidArgumentError("the amount must be a non-negative integer of minor units")
    return value


def _extra(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError("extra must be a JSON object (a mapping)")
    return value


class PaykkaCalls:
    """Configuration and bodies shared by :class:`PaykkaClient` and :class:`AsyncPaykkaClient`.

    ``private_key`` signs, ``platform_public_key`` (PayKKa's) verifies every answer.
    ``merchant_id`` goes in every body; v3 also needs ``app_id`` (``x-paykka-appid``).
    ``base_url`` or ``environment`` (v3: ``sandbox``, ``production``, ``production-eu``,
    ``production-aq``; v1.2: ``sandbox`` only, documented) chooses the host.
    """

    def __init__(
        self,
        *,
        private_key: rsa.RSAPrivateKey,
        platform_public_key: rsa.RSAPublicKey,
        merchant_id: str,
        api: PaykkaApi = "v3",
        app_id: str | None = None,
        base_url: str | None = None,
        environment: str = "sandbox",
        retry: RetryPolicy | None = None,
        answer_window: dt.timedelta = DEFAULT_WINDOW,
        nonce_store: NonceStore | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise InvalidKeyError("private_key must be the merchant's RSA private key")
        if not isinstance(platform_public_key, rsa.RSAPublicKey):
            raise InvalidKeyError("platform_public_key must be PayKKa's RSA public key")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidArgumentError("retry must be a RetryPolicy")
        if nonce_store is not None and not isinstance(nonce_store, NonceStore):
            raise InvalidArgumentError("nonce_store must implement NonceStore (remember)")
        if not callable(clock):
            raise InvalidArgumentError("clock must be a function returning the time")
        self.merchant_id = _identifier(merchant_id, "merchant_id")
        self.api: PaykkaApi = api
        self.retry = retry if retry is not None else RetryPolicy()
        self.clock = clock
        self.auth = self._auth(
            private_key, platform_public_key, app_id, answer_window, nonce_store, clock
        )
        table = V3_BASE_URLS if api == "v3" else V12_BASE_URLS
        self.base_url = resolve_base_url(base_url, environment, table, f"PayKKa {api}")

    def _auth(
        self,
        key: rsa.RSAPrivateKey,
        platform: rsa.RSAPublicKey,
        app_id: str | None,
        window: dt.timedelta,
        nonce_store: NonceStore | None,
        clock: Clock,
    ) -> PaykkaV12Auth | PaykkaV3Auth:
        if self.api == "v3":
            if app_id is None:
                raise InvalidArgumentError("PayKKa v3 needs app_id (the x-paykka-appid)")
            store = nonce_store if nonce_store is not None else InMemoryNonceStore()
            return PaykkaV3Auth(
                PaykkaV3Signer(key, app_id=app_id, clock=clock),
                PaykkaV3Verifier(
                    platform, app_id=app_id, window=window, nonce_store=store, clock=clock
                ),
            )
        if self.api == "v1.2":
            return PaykkaV12Auth(
                PaykkaV12Signer(key, merchant_id=self.merchant_id, clock=clock),
                PaykkaV12Verifier(
                    platform, merchant_id=self.merchant_id, window=window, clock=clock
                ),
            )
        raise InvalidArgumentError("api must be 'v1.2' or 'v3'")

    # --- bodies ------------------------------------------------------------------------

    def _envelope(self, fields: Mapping[str, Any]) -> Callable[[], bytes]:
        """A body builder: ``merchant_id`` and ``timestamp`` (now, ms) then ``fields``."""

        def build() -> bytes:
            doc = {"merchant_id": self.merchant_id, "timestamp": epoch_millis(self.clock())}
            for key, value in fields.items():
                if key in doc:
                    raise InvalidArgumentError(f"the field {key!r} is set by the client")
                doc[key] = value
            return body_bytes(doc)

        build()  # refuse a body that cannot be built before anything is sent
        return build

    def _call(self, name: str, fields: Mapping[str, Any]) -> Call:
        return endpoint(self.api, name), self._envelope(fields)

    def apple_pay_session_call(self, *, domain_name: str, display_name: str | None) -> Call:
        fields: dict[str, Any] = {"domain_name": _identifier_text(domain_name, "domain_name")}
        if display_name is not None:
            fields["display_name"] = _identifier_text(display_name, "display_name", 75)
        return self._call("apple_pay_session", fields)

    def pay_decrypted_call(
        self,
        token: DecryptedToken,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        allow_mismatch: bool,
        payment_type: str,
        extra: Mapping[str, Any] | None,
        replay_guard: ReplayGuard | None = None,
    ) -> Call:
        payment = paykka_decrypted_payment(
            token, amount=_amount(amount), currency=currency, allow_mismatch=allow_mismatch is True
        )
        call = self._payment(payment, trans_id, amount, currency, payment_type, extra)
        if replay_guard is not None:
            # Last, once the request is whole: a fixable refusal leaves the token unused; a
            # token once sent is never sent again, whatever the answer.
            claim_token(replay_guard, token.transaction_id, token)
        return call

    def pay_token_call(
        self,
        token: TokenSource,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        decrypted: DecryptedToken | None,
        encoding: TokenDataEncoding,
        store_payment_method: bool | None,
        token_usage: str | None,
        shopper_reference: str | None,
        payment_type: str,
        extra: Mapping[str, Any] | None,
        verified: Verified | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> Call:
        proof = decrypted if decrypted is not None else verified
        if replay_guard is not None and proof is None:
            raise InvalidArgumentError("a replay guard needs verified= or decrypted= (the token)")
        if decrypted is not None:
            if not isinstance(decrypted, DecryptedToken):
                raise InvalidArgumentError("decrypted must be an applepay_crypto DecryptedToken")
            check_order(decrypted.payment_data, amount=_amount(amount), currency=currency)
        payment = paykka_token_payment(
            token,
            encoding=encoding,
            store_payment_method=store_payment_method,
            token_usage=token_usage,
            shopper_reference=shopper_reference,
        )
        call = self._payment(payment, trans_id, amount, currency, payment_type, extra)
        if replay_guard is not None:
            assert proof is not None
            claim_token(replay_guard, _parsed(token).transaction_id, proof)
        return call

    def _payment(
        self,
        payment: Mapping[str, Any],
        trans_id: str,
        amount: int,
        currency: str,
        payment_type: str,
        extra: Mapping[str, Any] | None,
    ) -> Call:
        body = paykka_payment_request(
            payment,
            merchant_id=self.merchant_id,
            trans_id=_identifier(trans_id, "trans_id"),
            amount=_amount(amount),
            currency=currency,
            payment_type=_identifier(payment_type, "payment_type"),
            extra=_extra(extra),
        )
        del body["merchant_id"]  # the envelope puts it first, with the timestamp
        return self._call("initiate", body)

    def create_session_call(
        self,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        session_mode: str,
        allowed_payment_methods: Sequence[str],
        extra: Mapping[str, Any] | None,
    ) -> Call:
        if isinstance(allowed_payment_methods, str) or not isinstance(
            allowed_payment_methods, Sequence
        ):
            raise InvalidArgumentError("allowed_payment_methods must be a list of names")
        methods = [_identifier(m, "a payment method name") for m in allowed_payment_methods]
        fields: dict[str, Any] = {
            "trans_id": _identifier(trans_id, "trans_id"),
            "amount": _amount(amount),
            "currency": by_alpha(currency).alpha,
            "session_mode": _identifier(session_mode, "session_mode"),
            "allowed_payment_methods": methods,
        }
        return self._call("create_session", _merged(fields, _extra(extra)))

    def query_session_call(self, session_id: str) -> Call:
        return self._call("query_session", {"session_id": _identifier(session_id, "session_id")})

    def query_transaction_call(
        self, *, trans_id: str | None, order_id: str | None, session_id: str | None
    ) -> Call:
        given = {
            name: _identifier(value, name)
            for name, value in (
                ("trans_id", trans_id),
                ("order_id", order_id),
                ("session_id", session_id),
            )
            if value is not None
        }
        if not given:
            # Documented: "all three cannot be empty".
            raise InvalidArgumentError("give trans_id, order_id or session_id")
        return self._call("query_transaction", given)

    def send_call(self, path: str, body: Body, *, method: str, retry: bool) -> Call:
        """Any call: a mapping gets ``merchant_id`` and ``timestamp`` when it lacks them;
        bytes and text are sent exactly as given."""
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            # What the v3 string to sign takes: the path as sent, visible ASCII.
            raise InvalidArgumentError(
                "the path must start with '/' and be visible ASCII: the path, not the URL"
            )
        if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
            raise InvalidArgumentError("the method must be a word such as POST")
        target = Endpoint(
            name="send",
            api=self.api,
            method=method.upper(),
            path=path,
            request_fields=(),
            response_fields=(),
            retry_safe=retry is True,
            source="the caller's",
        )
        if isinstance(body, Mapping):
            fields = {k: v for k, v in body.items() if k not in ("merchant_id", "timestamp")}
            if body.get("merchant_id", self.merchant_id) != self.merchant_id:
                raise InvalidArgumentError("the body's merchant_id is not this client's")
            return target, self._envelope(fields)
        raw = body_bytes(body)
        return target, lambda: raw


def _identifier_text(value: Any, what: str, limit: int = 255) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit or not value.isprintable():
        raise InvalidArgumentError(f"{what} must be 1 to {limit} printable characters")
    return value


def _merged(fields: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if key in fields or key in ("merchant_id", "timestamp"):
            raise InvalidArgumentError(f"the extra field {key!r} would replace a built field")
        fields[key] = value
    return fields


# --- answers -----------------------------------------------------------------------------


def apple_pay_session(answer: PaykkaAnswer) -> ApplePaySession:
    if not isinstance(answer.data, str) or not answer.data:
        raise MalformedBodyError("the Apple Pay session answer has no data string")
    return ApplePaySession(data=answer.data, answer=answer)
