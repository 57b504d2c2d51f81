"""What the simulator's end-to-end tests share: a real webhook receiver on 127.0.0.1 (the
merchant's endpoint, using the client's webhook handlers) and a minted, decrypted token."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from paykka_sign.client import WebhookResult


@dataclass
class Receiver:
    """The merchant's webhook endpoint: every result of its handler, in order."""

    url: str = ""
    results: list[WebhookResult] = field(default_factory=list)


Respond = Callable[[dict[str, str], bytes], WebhookResult]


@contextmanager
def webhook_receiver(respond: Respond, path: str = "/hooks/paykka") -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            result = respond({k.lower(): v for k, v in self.headers.items()}, body)
            receiver.results.append(result)
            self.send_response(result.answer.status)
            self.send_header("content-type", result.answer.content_type)
            self.send_header("content-length", str(len(result.answer.body)))
            self.end_headers()
            self.wfile.write(result.answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
