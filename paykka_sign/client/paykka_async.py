"""PayKKa's Apple Pay flows as calls, awaited: :class:`AsyncPaykkaClient` over
``httpx.AsyncClient``, the same methods, bodies and checks as :class:`.PaykkaClient`."""

from __future__ import annotations

import asyncio
import datetime as dt
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

__all__ = ["AsyncPaykkaClient"]

_JSON = {"content-type": "application/json"}


class AsyncPaykkaClient(PaykkaCalls):
    """The calls of :class:`PaykkaClient`, awaited, over ``httpx.AsyncClient``."""

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
        transport: httpx.AsyncBaseTransport | None = None,
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
        check_transport(transport, httpx.AsyncBaseTransport)
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=self.auth,
            timeout=_timeout(timeout),
            transport=transport,
            **tls_options(self.base_url),
        )

    async def __aenter__(self) -> AsyncPaykkaClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, call: Call) -> PaykkaAnswer:
        target, build = call
        attempts = self.retry.attempts_for(target.retry_safe)
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http.request(
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
            await asyncio.sleep(self.retry.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self, path: str, body: Body, *, method: str = "POST", retry: bool = False
    ) -> PaykkaAnswer:
        return await self._run(self.send_call(path, body, method=method, retry=retry))

    async def apple_pay_session(
        self, *, domain_name: str, display_name: str | None = None
    ) -> ApplePaySession:
        call = self.apple_pay_session_call(domain_name=domain_name, display_name=display_name)
        return apple_pay_session(await self._run(call))

    async def pay_decrypted(
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
        return transaction(await self._run(call))

    async def pay_token(
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
        return transaction(await self._run(call))

    async def create_checkout_session(
        self,
        *,
        trans_id: str,
        amount: int,
        currency: str,
        session_mode: str = SESSION_MODE_DEFAULT,
        allowed_payment_methods: Sequence[str] = ("APPLE_PAY",),
        extra: Mapping[str, Any] | None = None,
    ) -> CheckoutSession:
        call = self.create_session_call(
            trans_id=trans_id,
            amount=amount,
            currency=currency,
            session_mode=session_mode,
            allowed_payment_methods=allowed_payment_methods,
            extra=extra,
        )
        return checkout_session(await self._run(call))

    async def query_checkout_session(self, session_id: str) -> CheckoutSession:
        return checkout_session(await self._run(self.query_session_call(session_id)))

    async def query_transaction(
        self,
        *,
        trans_id: str | None = None,
        order_id: str | None = None,
        session_id: str | None = None,
    ) -> Transaction:
        call = self.query_transaction_call(
            trans_id=trans_id, order_id=order_id, session_id=session_id
        )
        return transaction(await self._run(call))


_timeout = timeout
