"""PayKKa's Apple Pay flows as calls, over a synchronous ``httpx.Client``
(:class:`PaykkaClient`; :mod:`.paykka_async` has the same calls awaited): the bodies and
answers are :mod:`._paykka_calls`', shared by both.

Every call signs the exact bytes it sends and returns only what verified (the auths of
:mod:`.auth`); a refusal by PayKKa raises ``psp_refused`` with PayKKa's ``ret_code``. Retries:
:mod:`.retry` (queries only; a payment is never sent twice).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from ._extra import require_httpx

require_httpx()

import httpx  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from applepay_crypto import DecryptedToken, ReplayGuard  # noqa: E402

from ..applepay_requests import TokenDataEncoding, TokenSource, Verified  # noqa: E402
from ..clock import DEFAULT_WINDOW, Clock, utc_now  # noqa: E402
from ..errors import InvalidArgumentError, PaykkaSignError  # noqa: E402
from ..messages import Body  # noqa: E402
from ..replay import NonceStore  # noqa: E402
from ._paykka_calls import Call, PaykkaApi, PaykkaCalls, apple_pay_session  # noqa: E402
from ._transport import (  # noqa: E402
    DEFAULT_TIMEOUT,
    check_transport,
    network_error,
    timeout,
    tls_options,
)
from .answers import (  # noqa: E402
    ApplePaySession,
    CheckoutSession,
    PaykkaAnswer,
    Transaction,
    checkout_session,
    paykka_answer,
    transaction,
)
from .auth import verified_message  # noqa: E402
from .endpoints import SESSION_MODE_DEFAULT  # noqa: E402
from .retry import RetryPolicy, give_up  # noqa: E402

__all__ = ["PaykkaClient"]

_JSON = {"content-type": "application/json"}


class PaykkaClient(PaykkaCalls):
    """PayKKa over a synchronous ``httpx.Client``. Use it as a context manager, or
    :meth:`close` it. ``transport`` replaces httpx's (tests, a proxy)."""

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
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        answer_window: dt.timedelta = DEFAULT_WINDOW,
        nonce_store: NonceStore | None = None,
        clock: Clock = utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            private_key=private_key,
            platform_public_key=platform_public_key,
            merchant_id=merchant_id,
            api=api,
            app_id=app_id,
            base_url=base_url,
            environment=environment,
            retry=retry,
            answer_window=answer_window,
            nonce_store=nonce_store,
            clock=clock,
        )
        check_transport(transport, httpx.BaseTransport)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=self.auth,
            timeout=_timeout(timeout),
            transport=transport,
            **tls_options(self.base_url),
        )

    def __enter__(self) -> PaykkaClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: Call) -> PaykkaAnswer:
        target, build = call
        attempts = self.retry.attempts_for(target.retry_safe)
        for attempt in range(1, attempts + 1):
            try:
                response = self._http.request(
                    target.method, target.path, content=build(), headers=_JSON
                )
                return paykka_answer(response.status_code, verified_message(response))
            except httpx.HTTPError as exc:
                error: PaykkaSignError = network_error(
                    exc, host=self.base_url.host, outcome_unknown=not target.retry_safe
                )
            except httpx.InvalidURL:
                raise InvalidArgumentError("the request URL is not valid") from None
            except PaykkaSignError as exc:
                error = exc
            if give_up(call[0], attempt, attempts, error):
                raise error
            time.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def send(
        self, path: str, body: Body, *, method: str = "POST", retry: bool = False
    ) -> PaykkaAnswer:
        """Any PayKKa call; ``retry=True`` only for calls that change nothing."""
        return self._run(self.send_call(path, body, method=method, retry=retry))

    def apple_pay_session(
        self, *, domain_name: str, display_name: str | None = None
    ) -> ApplePaySession:
        """PayKKa's Apple Pay session (PayKKa decrypts): hand
        ``merchant_session()`` to Apple Pay JS's ``completeMerchantValidation``."""
        call = self.apple_pay_session_call(domain_name=domain_name, display_name=display_name)
        return apple_pay_session(self._run(call))

    def pay_decrypted(
        self,
        token: DecryptedToken,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        allow_mismatch: bool = False,
        payment_type: str = "PURCHASE",
        extra: Mapping[str, Any] | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> Transaction:
        """Initiate a payment with a token you decrypted (``card_no``, cryptogram); the
        order is checked against what the shopper approved unless ``allow_mismatch``. With
        ``replay_guard``, a token seen before is refused before anything is sent; a sent
        token is recorded, whatever the answer (the payment may have happened)."""
        call = self.pay_decrypted_call(
            token,
            trans_id=trans_id,
            amount=amount,
            currency=currency,
            allow_mismatch=allow_mismatch,
            payment_type=payment_type,
            extra=extra,
            replay_guard=replay_guard,
        )
        return transaction(self._run(call))

    def pay_token(
        self,
        token: TokenSource,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        decrypted: DecryptedToken | None = None,
        encoding: TokenDataEncoding = "json",
        store_payment_method: bool | None = None,
        token_usage: str | None = None,
        shopper_reference: str | None = None,
        payment_type: str = "PURCHASE",
        extra: Mapping[str, Any] | None = None,
        verified: Verified | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> Transaction:
        """Initiate a payment PayKKa decrypts (``token_data``); with ``decrypted`` (the same
        token, decrypted by you) the order is checked first. With ``replay_guard`` (and
        ``decrypted`` or ``verified``), a token seen before is refused before it is sent."""
        call = self.pay_token_call(
            token,
            trans_id=trans_id,
            amount=amount,
            currency=currency,
            decrypted=decrypted,
            encoding=encoding,
            store_payment_method=store_payment_method,
            token_usage=token_usage,
            shopper_reference=shopper_reference,
            payment_type=payment_type,
            extra=extra,
            verified=verified,
            replay_guard=replay_guard,
        )
        return transaction(self._run(call))

    def create_checkout_session(
        self,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        session_mode: str = SESSION_MODE_DEFAULT,
        allowed_payment_methods: Sequence[str] = ("APPLE_PAY",),
        extra: Mapping[str, Any] | None = None,
    ) -> CheckoutSession:
        """A hosted (``HOSTED``, redirect to ``session_url``) or embedded (``EMBEDDED``)
        checkout; ``session_mode`` is sent as given (one seed spells it ``HOST``)."""
        call = self.create_session_call(
            trans_id=trans_id,
            amount=amount,
            currency=currency,
            session_mode=session_mode,
            allowed_payment_methods=allowed_payment_methods,
            extra=extra,
        )
        return checkout_session(self._run(call))

    def query_checkout_session(self, session_id: str) -> CheckoutSession:
        return checkout_session(self._run(self.query_session_call(session_id)))

    def query_transaction(
        self,
        *,
        trans_id: str | None = None,
        order_id: str | None = None,
        session_id: str | None = None,
    ) -> Transaction:
        """A transaction by your ``trans_id``, PayKKa's ``order_id`` or a ``session_id``."""
        call = self.query_transaction_call(
            trans_id=trans_id, order_id=order_id, session_id=session_id
        )
        return transaction(self._run(call))


_timeout = timeout
