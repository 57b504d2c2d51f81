"""The shop as a plain ASGI application (no framework): routing, JSON in and out, and the
error answers. The endpoints' work is in :mod:`.orders`, :mod:`.validation`,
:mod:`.payments` and :mod:`.notifications`, over the libraries.

Serve it with uvicorn: ``uvicorn --app-dir examples --factory applepay_shop.app:from_env``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from typing import Any

from applepay_crypto import ApplePayError
from paykka_sign import PaykkaSignError
from paykka_sign.client import AsyncPaykkaClient

from .config import ShopConfig
from .errors import BadRequestError, ShopError, http_status
from .notifications import Notifications
from .orders import OrderBook
from .payments import Authoriser
from .validation import validate_merchant

__all__ = ["ShopApp", "create_app", "from_env"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_log = logging.getLogger("applepay_shop")
#: A token is at most 64 KiB (applepay_crypto refuses more); the rest of a request is small.
MAX_BODY = 256 * 1024


class ShopApp:
    """``ShopApp(config)`` is the ASGI callable."""

    def __init__(self, config: ShopConfig) -> None:
        self.config = config
        self.orders = OrderBook(config.catalogue, config.currency)
        self.paykka = AsyncPaykkaClient(
            private_key=config.paykka_signing_key,
            platform_public_key=config.paykka_platform_key,
            merchant_id=config.paykka_merchant_id,
            api=config.paykka_api,
            app_id=config.paykka_app_id,
            base_url=config.paykka_base_url,
            environment=config.paykka_environment,
            clock=config.clock,
        )
        self.authoriser = Authoriser(config, self.paykka, self.orders)
        self.notifications = Notifications(config, self.orders)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.paykka.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        try:
            body = await _read_body(receive)
            status, content_type, answer = await self._route(method, path, scope, body)
        except (ShopError, ApplePayError, PaykkaSignError) as error:
            # The libraries' messages never carry card data, keys or cryptograms.
            status, content_type = http_status(error), "application/json"
            answer = _json({"error": {"code": error.code, "message": error.message}})
        except Exception as error:  # the page gets a code, the log the type only
            _log.error("%s %s failed: %s", method, path, type(error).__name__)
            status, content_type = 500, "application/json"
            answer = _json({"error": {"code": "internal_error", "message": "internal error"}})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(answer)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    async def _route(
        self, method: str, path: str, scope: Scope, body: bytes
    ) -> tuple[int, str, bytes]:
        json_type = "application/json"
        if method == "POST" and path == self.config.webhook_path:
            answer = self.notifications.receive(_headers(scope), body)
            return answer.status, answer.content_type, answer.body
        if method == "GET" and path == "/":
            page = resources.files(__package__).joinpath("static/index.html").read_bytes()
            return 200, "text/html; charset=utf-8", page
        if method == "POST" and path == "/orders":
            order = self.orders.create(_field(_parse(body), "items"))
            request = self.orders.apple_pay_request(
                order, display_name=self.config.display_name, country=self.config.country
            )
            return 201, json_type, _json({**order.public(), "payment_request": request})
        if method == "GET" and path.startswith("/orders/"):
            return 200, json_type, _json(self.orders.get(path[len("/orders/") :]).public())
        if method == "POST" and path == "/apple-pay/validate-merchant":
            return 200, json_type, await validate_merchant(self.config, self.paykka, _parse(body))
        if method == "POST" and path == "/apple-pay/authorize":
            outcome = await self.authoriser.authorise(_parse(body))
            return 200, json_type, _json(outcome.public())
        return 404, json_type, _json({"error": {"code": "not_found", "message": "no such page"}})


async def _read_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequestError("the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise BadRequestError(f"the request is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers (latin-1, as HTTP carries them). A repeated header is joined
    with ``,`` as HTTP joins them: a doubled signature header then fails to verify."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequestError("the request body is not JSON") from None


def _field(request: Any, name: str) -> Any:
    if not isinstance(request, dict) or name not in request:
        raise BadRequestError(f"the request has no {name!r}")
    return request[name]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def create_app(config: ShopConfig) -> ShopApp:
    return ShopApp(config)


def from_env() -> ShopApp:
    """uvicorn's ``--factory`` entry: the configuration from ``SHOP_*`` variables."""
    return ShopApp(ShopConfig.from_env())
