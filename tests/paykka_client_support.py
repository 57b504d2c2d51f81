"""A tiny stand-in for PayKKa and YabandPay on 127.0.0.1 for the client's unit tests: a stdlib
``http.server`` in a thread that records every request exactly as received and answers what
the test queued, signed with the platform key by PayKKa's documented rules (v1.2, v3).

Not the simulator (issue #13, part 3): it checks nothing by itself; the tests check what it
recorded. Answers are functions of the request, so a test can tamper with one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from paykka_sign import PaykkaV3Signer, PaykkaV12Signer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


Responder = Callable[[Received], Answer]


@dataclass
class LocalPsp:
    """Queued responders, used in order; the last one repeats."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    responders: list[Responder] = field(default_factory=list)

    def answer(self, *responders: Responder) -> None:
        self.responders[:] = list(responders)

    def _next(self, request: Received) -> Answer:
        responder = self.responders.pop(0) if len(self.responders) > 1 else self.responders[0]
        return responder(request)


@contextmanager
def local_psp() -> Iterator[LocalPsp]:
    psp = LocalPsp()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            request = Received(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            psp.received.append(request)
            answer = psp._next(request)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the client gave up (a timeout test)

        do_POST = do_GET = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    psp.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield psp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def envelope(data: Any = None, *, ret_code: str = "000000", ret_msg: str = "Success") -> bytes:
    doc: dict[str, Any] = {"ret_code": ret_code, "ret_msg": ret_msg}
    if data is not None:
        doc["data"] = data
    return json.dumps(doc, separators=(",", ":")).encode()


def v3_answer(
    platform: rsa.RSAPrivateKey,
    app_id: str,
    body: bytes,
    *,
    status: int = 200,
    now: dt.datetime | None = None,
) -> Responder:
    """Sign ``body`` as PayKKa v3 answers: over the request's method and path (inferred)."""

    def respond(request: Received) -> Answer:
        signer = PaykkaV3Signer(platform, app_id=app_id)
        signed = signer.sign(request.method, request.path, body, now=now)
        headers = {k: v for k, v in signed.headers.items() if k != "x-paykka-appid"}
        return Answer(status, {"content-type": "application/json", **headers}, body)

    return respond


def v12_answer(
    platform: rsa.RSAPrivateKey, merchant_id: str, body: bytes, *, status: int = 200
) -> Responder:
    """Sign ``body`` as PayKKa v1.2 answers: its ``data.merchant_id`` and ``data.timestamp``."""

    def respond(request: Received) -> Answer:
        doc = json.loads(body)
        data = doc.get("data") or {}
        signed = PaykkaV12Signer(platform).sign(
            body,
            merchant_id=data.get("merchant_id", merchant_id),
            timestamp=data.get("timestamp", doc.get("timestamp")),
            values_outside_body=True,  # PayKKa's answers carry them under data
        )
        return Answer(status, {"content-type": "application/json", **signed.headers}, body)

    return respond


def plain(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Responder:
    """An unsigned answer (a proxy's error page, a forged answer)."""
    return lambda request: Answer(status, headers or {"content-type": "text/plain"}, body)
