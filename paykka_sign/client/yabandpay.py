"""YabandPay ``v3.ApplePay`` (Sales, Authorisation) as calls, sync and async.

The request is signed inside its JSON (``sign``, HMAC-SHA256 by
:class:`~paykka_sign.YabandPaySigner`) and sent as those exact bytes. The answer's shape is
inferred (``endpoints.YABANDPAY_ANSWER_FIELDS``): a ``status: true`` answer must carry a
``sign`` over its ``data`` that verifies (``require_signed_answers=False`` accepts an unsigned
one); a ``status: false`` answer raises ``psp_refused`` with YabandPay's code and message.
Never retried: YabandPay documents no idempotency for a repeated ``order_id``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from ._extra import require_httpx

require_httpx()

import httpx  # noqa: E402

from applepay_crypto import DecryptedToken, ReplayGuard  # noqa: E402

from ..applepay_requests import TokenSource, Verified, yabandpay_applepay_request  # noqa: E402
from ..errors import (  # noqa: E402
    HttpStatusError,
    InvalidArgumentError,
    MalformedBodyError,
    PspRefusedError,
    SignatureInvalidError,
)
from ..messages import dump_json, parse_json_object  # noqa: E402
from ..yabandpay import YabandPaySigner  # noqa: E402
from ._transport import DEFAULT_TIMEOUT, base_url, network_error, timeout, tls_options  # noqa: E402
from .answers import YabandPayAnswer, psp_text  # noqa: E402
from .endpoints import (  # noqa: E402
    YABANDPAY_BASE_URLS,
    YABANDPAY_OPERATIONS,
    YABANDPAY_PAYMENTS_PATH,
)
from .masking import masked_body  # noqa: E402

__all__ = ["AsyncYabandPayClient", "YabandPayClient"]

logger = logging.getLogger("paykka_sign.client")
_JSON = {"content-type": "application/json"}


class _YabandPayCalls:
    def __init__(
        self,
        signer: YabandPaySigner,
        *,
        base_url: str | None = None,
        environment: str = "production",
        require_signed_answers: bool = True,
    ) -> None:
        if not isinstance(signer, YabandPaySigner):
            raise InvalidArgumentError("signer must be a YabandPaySigner")
        self.signer = signer
        self.require_signed_answers = require_signed_answers is not False
        self.base_url = base_url_of(base_url, environment)

    def _request(
        self,
        token: TokenSource,
        operation: str,
        fields: dict[str, Any],
        extra: Mapping[str, Any] | None,
        now: dt.datetime | None,
    ) -> bytes:
        if not isinstance(operation, str) or not operation.isprintable() or not operation:
            raise InvalidArgumentError("operation must be 'sales', 'authorisation' or a code")
        operation = YABANDPAY_OPERATIONS.get(operation, operation)
        if extra is not None and not isinstance(extra, Mapping):
            raise InvalidArgumentError("extra must be a JSON object (a mapping)")
        if fields.get("decrypted") is not None and not isinstance(
            fields["decrypted"], DecryptedToken
        ):
            raise InvalidArgumentError("decrypted must be an applepay_crypto DecryptedToken")
        if extra and "operation" in extra:
            raise InvalidArgumentError("give operation= rather than an extra 'operation'")
        request = yabandpay_applepay_request(
            self.signer, token, extra={**(extra or {}), "operation": operation}, now=now, **fields
        )
        raw = dump_json(request)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("YabandPay request body=%s", masked_body(raw, "yabandpay-request"))
        return raw

    def _answer(self, response: httpx.Response, started: float) -> YabandPayAnswer:
        status = response.status_code
        if not 200 <= status < 300:
            raise HttpStatusError(f"YabandPay answered HTTP {status}", status=status)
        doc = parse_json_object(response.content, what="YabandPay answer")
        if doc.get("status") is not True:
            code, message = doc.get("code"), doc.get("message")
            text = message if isinstance(message, str) else ""
            raise PspRefusedError(
                f"YabandPay refused the request: code {psp_text(_code_text(code))}, "
                f"message {psp_text(text)}",
                psp_code=_code_text(code),
                psp_message=text,
                status=status,
            )
        data, signed = self._verified_data(doc)
        logger.info(
            "YabandPay %s -> HTTP %d, %s (%d ms)",
            YABANDPAY_PAYMENTS_PATH,
            status,
            "sign verified" if signed else "unsigned answer accepted",
            (time.monotonic() - started) * 1000,
        )
        message = doc.get("message", "")
        return YabandPayAnswer(
            http_status=status,
            code=doc.get("code"),
            message=message if isinstance(message, str) else "",
            data=data,
            signed=signed,
        )

    def _verified_data(self, doc: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        if "sign" in doc:
            return self.signer.verify_notification(
                {"sign": doc["sign"], "data": doc.get("data")}
            ), True
        if self.require_signed_answers:
            raise SignatureInvalidError(
                "the YabandPay answer has no sign (require_signed_answers=False accepts it)"
            )
        data = doc.get("data", {})
        if not isinstance(data, dict):
            raise MalformedBodyError("the YabandPay answer's data is not an object")
        return data, False


def _code_text(code: Any) -> str:
    if isinstance(code, int) and not isinstance(code, bool) and abs(code) < 10**19:
        return str(code)
    return code if isinstance(code, str) and code.isprintable() and len(code) < 64 else "?"


def base_url_of(given: str | None, environment: str) -> httpx.URL:
    return base_url(given, environment, YABANDPAY_BASE_URLS, "YabandPay")


class YabandPayClient(_YabandPayCalls):
    """YabandPay over a synchronous ``httpx.Client``; ``signer`` holds the secret key."""

    def __init__(
        self,
        signer: YabandPaySigner,
        *,
        base_url: str | None = None,
        environment: str = "production",
        require_signed_answers: bool = True,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            signer,
            base_url=base_url,
            environment=environment,
            require_signed_answers=require_signed_answers,
        )
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise InvalidArgumentError("transport must be an httpx.BaseTransport")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=_timeout(timeout),
            transport=transport,
            **tls_options(self.base_url),
        )

    def __enter__(self) -> YabandPayClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def applepay(
        self,
        token: TokenSource,
        *,
        operation: str = "sales",
        order_id: str,
        amount: int,
        currency: str,
        description: str,
        notify_url: str,
        decrypted: DecryptedToken | None = None,
        allow_mismatch: bool = False,
        extra: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
        verified: Verified | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> YabandPayAnswer:
        """``v3.ApplePay``: ``operation`` ``"sales"`` (``data.operation`` ``"1"``, as the
        documented example) or ``"authorisation"`` (``"2"``, inferred); any other text is
        sent as the code itself. ``amount`` is in minor units; with ``decrypted`` (the same
        token, decrypted) the order is checked against what the shopper approved. With
        ``replay_guard`` (and ``decrypted`` or ``verified``) a token seen before is refused
        before anything is sent."""
        fields = {
            "order_id": order_id,
            "amount": amount,
            "currency": currency,
            "description": description,
            "notify_url": notify_url,
            "decrypted": decrypted,
            "allow_mismatch": allow_mismatch,
            "verified": verified,
            "replay_guard": replay_guard,
        }
        raw = self._request(token, operation, fields, extra, now)
        started = time.monotonic()
        try:
            response = self._http.post(YABANDPAY_PAYMENTS_PATH, content=raw, headers=_JSON)
        except httpx.HTTPError as exc:
            raise network_error(exc, host=self.base_url.host, outcome_unknown=True) from None
        return self._answer(response, started)


class AsyncYabandPayClient(_YabandPayCalls):
    """The calls of :class:`YabandPayClient`, awaited."""

    def __init__(
        self,
        signer: YabandPaySigner,
        *,
        base_url: str | None = None,
        environment: str = "production",
        require_signed_answers: bool = True,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            signer,
            base_url=base_url,
            environment=environment,
            require_signed_answers=require_signed_answers,
        )
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise InvalidArgumentError("transport must be an httpx.AsyncBaseTransport")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=_timeout(timeout),
            transport=transport,
            **tls_options(self.base_url),
        )

    async def __aenter__(self) -> AsyncYabandPayClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def applepay(
        self,
        token: TokenSource,
        *,
        operation: str = "sales",
        order_id: str,
        amount: int,
        currency: str,
        description: str,
        notify_url: str,
        decrypted: DecryptedToken | None = None,
        allow_mismatch: bool = False,
        extra: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
        verified: Verified | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> YabandPayAnswer:
        fields = {
            "order_id": order_id,
            "amount": amount,
            "currency": currency,
            "description": description,
            "notify_url": notify_url,
            "decrypted": decrypted,
            "allow_mismatch": allow_mismatch,
            "verified": verified,
            "replay_guard": replay_guard,
        }
        raw = self._request(token, operation, fields, extra, now)
        started = time.monotonic()
        try:
            response = await self._http.post(YABANDPAY_PAYMENTS_PATH, content=raw, headers=_JSON)
        except httpx.HTTPError as exc:
            raise network_error(exc, host=self.base_url.host, outcome_unknown=True) from None
        return self._answer(response, started)


_timeout = timeout
