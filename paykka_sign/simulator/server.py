"""The simulator: a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 speaking PayKKa v1.2, v3 and
YabandPay's ``v3.ApplePay`` by their documentation (see :mod:`.checks`, :mod:`.answers`,
:mod:`.flows`)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..client.endpoints import ENDPOINTS, YABANDPAY_PAYMENTS_PATH
from ..clock import DEFAULT_WINDOW, Clock, epoch_millis, utc_now
from ..errors import InvalidArgumentError
from ..keys import checked_public_key, generate_private_key, public_key_pem
from ..paykka_v3 import PaykkaV3Verifier
from ..paykka_v12 import PaykkaV12Verifier
from ..replay import InMemoryNonceStore
from ..yabandpay import EmptyValues, YabandPaySigner
from . import checks
from .answers import Answer, paykka_answer, yabandpay_answer
from .flows import PAYKKA_FLOWS, Context, yabandpay_applepay
from .refusals import PAYKKA_INVALID_REQUEST, PaykkaRefusal, Refused, YabandPayRefusal
from .store import Store
from .webhooks import Delivery, deliver, paykka_webhook, yabandpay_notification

__all__ = ["Simulator"]

#: path -> (api, endpoint name), from the client's endpoint table.
ROUTES = {e.path: (e.api, e.name) for e in ENDPOINTS if e.api != "yabandpay"}
_MAX_BODY = 1 << 20
_SYSTEM_ERROR = b'{"ret_code":"999999","ret_msg":"System error"}'


class Simulator:
    """PayKKa (v1.2, v3) and YabandPay on ``http://127.0.0.1:<port>``.

    ``merchant_public_key`` verifies the merchant's PayKKa requests; ``merchant_id`` and
    ``app_id`` are the merchant's. ``platform_key`` signs answers and webhooks (generated
    unless given; :attr:`platform_public_key_pem` is what the client verifies with).
    ``yabandpay_secret`` / ``yabandpay_user`` enable YabandPay. ``tamper=True`` (an attribute,
    changeable while running) alters every answer after signing. ``clock`` is "now".
    """

    def __init__(
        self,
        *,
        merchant_public_key: rsa.RSAPublicKey | None = None,
        merchant_id: str = "18356675194960",
        app_id: str = "978594372956732",
        platform_key: rsa.RSAPrivateKey | None = None,
        yabandpay_secret: str | bytes | None = None,
        yabandpay_user: str = "016683",
        yabandpay_empty_values: EmptyValues = "keep",
        port: int = 0,
        window: dt.timedelta = DEFAULT_WINDOW,
        v12_window: dt.timedelta = DEFAULT_WINDOW,
        clock: Clock = utc_now,
        tamper: bool = False,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise InvalidArgumentError("port must be 0 (any free port) to 65535")
        self.platform_key = platform_key if platform_key is not None else generate_private_key()
        self.merchant_id = merchant_id
        self.app_id = app_id
        self.clock = clock
        self.tamper = tamper
        self.store = Store()
        self._v3: PaykkaV3Verifier | None = None
        self._v12: PaykkaV12Verifier | None = None
        if merchant_public_key is not None:
            key = checked_public_key(merchant_public_key)
            self._v3 = PaykkaV3Verifier(
                key, app_id=app_id, window=window, nonce_store=InMemoryNonceStore(), clock=clock
            )
            self._v12 = PaykkaV12Verifier(
                key, merchant_id=merchant_id, window=v12_window, clock=clock
            )
        self._yabandpay: YabandPaySigner | None = None
        self._yabandpay_secret = b""
        if yabandpay_secret is not None:
            self._yabandpay = YabandPaySigner(
                yabandpay_secret, user=yabandpay_user, empty_values=yabandpay_empty_values
            )
            raw = yabandpay_secret
            self._yabandpay_secret = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        self.yabandpay_user = yabandpay_user
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Simulator(url={self.url!r})" if self._server else "Simulator(stopped)"

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler(self))
        except OSError as exc:
            raise InvalidArgumentError(
                f"cannot listen on 127.0.0.1:{self._port}: {exc.strerror or 'refused'}"
            ) from None
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise InvalidArgumentError("the simulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the client's ``base_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def platform_public_key(self) -> rsa.RSAPublicKey:
        return self.platform_key.public_key()

    @property
    def platform_public_key_pem(self) -> bytes:
        return public_key_pem(self.platform_key)

    # --- requests -------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        """One request as received; the answer to send (never raises for what a client
        sends)."""
        if not (
            isinstance(method, str)
            and isinstance(target, str)
            and isinstance(headers, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
            and isinstance(body, bytes)
        ):
            raise InvalidArgumentError("give the method, target, headers (text) and body bytes")
        now = self.clock()
        path = target.split("?", 1)[0]
        if path == YABANDPAY_PAYMENTS_PATH:
            return self._yabandpay_answer(body)
        api, name = ROUTES.get(path, ("v3" if path.startswith("/v3/") else "v1.2", ""))
        try:
            doc = self._checked(api, method, target, headers, body, now)
            flow = PAYKKA_FLOWS.get(name)
            if flow is None or method != "POST":
                raise Refused(PaykkaRefusal(404, "010000", "Not found"))
            ctx = Context(self.store, self.merchant_id, self.url, epoch_millis(now))
            data = flow(doc, ctx)
            return self._paykka(api, method, target, now, data=data)
        except Refused as refused:
            assert isinstance(refused.refusal, PaykkaRefusal)
            return self._paykka(api, method, target, now, refusal=refused.refusal)

    def _checked(
        self, api: str, method: str, target: str, headers: dict[str, str], body: bytes, now: Any
    ) -> dict[str, Any]:
        if self._v3 is None or self._v12 is None:
            raise Refused(PAYKKA_INVALID_REQUEST)  # no merchant key configured
        if api == "v3":
            return checks.v3_request(self._v3, self.merchant_id, method, target, headers, body, now)
        return checks.v12_request(self._v12, headers, body, now)

    def _paykka(self, api: str, method: str, target: str, now: Any, **what: Any) -> Answer:
        return paykka_answer(
            api,
            self.platform_key,
            merchant_id=self.merchant_id,
            method=method,
            target=target,
            now=now,
            tamper=self.tamper,
            **what,
        )

    def _yabandpay_answer(self, body: bytes) -> Answer:
        if self._yabandpay is None:
            return yabandpay_answer(b"", refusal=YabandPayRefusal(200, -403, "The signature Error"))
        policy = self._yabandpay.empty_values
        try:
            doc = checks.yabandpay_request(self._yabandpay, self.yabandpay_user, body)
            ctx = Context(self.store, self.merchant_id, self.url, epoch_millis(self.clock()))
            data = yabandpay_applepay(doc, ctx)
        except Refused as refused:
            assert isinstance(refused.refusal, YabandPayRefusal)
            return yabandpay_answer(self._yabandpay_secret, refusal=refused.refusal)
        return yabandpay_answer(
            self._yabandpay_secret, data=data, empty_values=policy, tamper=self.tamper
        )

    # --- webhooks -------------------------------------------------------------------------

    def send_webhook(
        self,
        url: str,
        *,
        api: str = "v3",
        notify_type: str = "PAYMENT.SUCCESS",
        trans_id: str | None = None,
        merchant_id: str | None = None,
        app_id: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Delivery:
        """Send a signed PayKKa webhook about ``trans_id`` (a known transaction's fields are
        filled in) to ``url``; ``merchant_id`` / ``app_id`` override the recipient (a
        webhook for another merchant). Returns what the endpoint answered."""
        if not (fields is None or isinstance(fields, Mapping)):
            raise InvalidArgumentError("fields must be a mapping")
        now = self.clock()
        known = self.store.find_transaction(trans_id=trans_id) if trans_id else None
        body: dict[str, Any] = {
            "notify_type": notify_type,
            "merchant_id": merchant_id if merchant_id is not None else self.merchant_id,
        }
        if known is not None:
            for name in ("trans_id", "order_id", "status", "amount", "currency"):
                body[name] = known[name]
        elif trans_id is not None:
            body["trans_id"] = trans_id
        body.update(fields or {})
        webhook = paykka_webhook(
            api,
            self.platform_key,
            url,
            body,
            app_id=app_id if app_id is not None else self.app_id,
            now=now,
        )
        return deliver(url, webhook)

    def send_yabandpay_notification(
        self, url: str, *, order_id: str, fields: Mapping[str, Any] | None = None
    ) -> Delivery:
        """Send a signed YabandPay notification about ``order_id`` to ``url``."""
        if self._yabandpay is None:
            raise InvalidArgumentError("the simulator has no YabandPay secret")
        if not isinstance(order_id, str) or not (fields is None or isinstance(fields, Mapping)):
            raise InvalidArgumentError("order_id must be text and fields a mapping")
        with self.store.lock:
            known = dict(self.store.yabandpay_orders.get(order_id, {"order_id": order_id}))
        data = {**known, **(fields or {})}
        policy = self._yabandpay.empty_values
        return deliver(
            url, yabandpay_notification(self._yabandpay_secret, url, data, empty_values=policy)
        )

    def pay_checkout(self, session_id: str) -> dict[str, Any]:
        """The shopper paid on the checkout page: a ``SUCCESS`` transaction for the
        session (``query_transaction(session_id=)`` then finds it)."""
        session = self.store.find_session(session_id)
        if session is None:
            raise InvalidArgumentError("no such checkout session")
        record = {
            "merchant_id": self.merchant_id,
            "trans_id": session["trans_id"],
            "order_id": self.store.next_id("GW"),
            "status": "SUCCESS",
            "amount": session["amount"],
            "currency": session["currency"],
            "session_id": session_id,
        }
        self.store.add_transaction(record)
        return record


def _handler(simulator: Simulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            try:
                length = int(self.headers.get("content-length") or "0")
            except ValueError:
                length = -1
            if not 0 <= length <= _MAX_BODY:
                self.send_error(413 if length > _MAX_BODY else 400)
                return
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                answer = simulator.handle(self.command, self.path, headers, body)
            except Exception:  # a bug of the simulator: PayKKa's system error, unsigned
                answer = Answer(500, {"content-type": "application/json"}, _SYSTEM_ERROR)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_POST = do_GET = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # bodies may hold card data: the simulator logs nothing

    return Handler
