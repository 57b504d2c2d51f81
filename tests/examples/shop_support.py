"""Serving the example shop (examples/applepay_shop) in tests: a real uvicorn server on
127.0.0.1 in a thread, and the PayKKa side it talks to.

The PayKKa side is a stand-in on 127.0.0.1 (tests/paykka_client_support.py's LocalPsp) that
checks the shop's v3 signature with the shop's public key, as PayKKa does, and answers the
calls the shop makes signed with a test platform key by PayKKa's documented rules. It is
wrapped in :class:`PspSide`, the one thing the tests know of the PSP: replacing it by the
simulator changes this file only.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from paykka_client_support import Answer, LocalPsp, Received, envelope, local_psp, v3_answer

from paykka_sign import InMemoryNonceStore, PaykkaSignError, PaykkaV3Signer, PaykkaV3Verifier

MERCHANT_ID, APP_ID = "18356675194960", "978594372956732"
#: The session object PayKKa's Apple Pay session API hands back (base64 in ``data``).
SESSION_OBJECT = {
    "epochTimestamp": 1796237573133,
    "expiresAt": 1796241173133,
    "merchantSessionIdentifier": "SSH5A1C2E3F4B5D6E7F8091A2B3C4D5E6F7_916523AAED1343F5BC5815E12BEE9250",
    "nonce": "0c4b5d3f",
    "merchantIdentifier": "4D9F4A9E2C1B0A99887766554433221100FFEEDDCCBBAA998877665544332211",
    "domainName": "shop.example",
    "displayName": "Example Shop",
    "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCAMII",
    "operationalAnalyticsIdentifier": "Example Shop:4D9F4A9E2C1B0A99",
    "retries": 0,
    "pspId": "4D9F4A9E2C1B0A99887766554433221100FFEEDDCCBBAA998877665544332211",
}


@dataclass
class PspSide:
    """PayKKa as the shop sees it: its URL, the keys and ids, what it received, and signed
    webhooks from it."""

    url: str
    merchant_key: rsa.RSAPrivateKey  # the shop's; PayKKa holds its public half
    platform_key: rsa.RSAPrivateKey  # PayKKa's; the shop holds its public half
    server: LocalPsp

    @property
    def payments(self) -> list[dict[str, Any]]:
        """The bodies of the payments PayKKa received (whose signature checked out)."""
        return [json.loads(r.body) for r in self.server.received if r.path == "/v3/payment/acq"]

    def webhook(
        self, path: str, event: dict[str, Any], *, app_id: str = APP_ID
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as PayKKa sends it: v3-signed over the webhook's path (inferred)."""
        body = json.dumps({"merchant_id": MERCHANT_ID, **event}, separators=(",", ":")).encode()
        signed = PaykkaV3Signer(self.platform_key, app_id=app_id).sign("POST", path, body)
        return {"content-type": "application/json", **signed.headers}, body


def _paykka(psp: LocalPsp, merchant: rsa.RSAPrivateKey, platform: rsa.RSAPrivateKey) -> None:
    """Answer as PayKKa: refuse a request whose signature fails, else the call's answer."""
    verifier = PaykkaV3Verifier(
        merchant.public_key(), app_id=APP_ID, nonce_store=InMemoryNonceStore()
    )

    def respond(request: Received) -> Answer:
        try:
            verifier.verify(request.method, request.path, request.headers, request.body)
        except PaykkaSignError:
            psp.received.remove(request)
            refusal = envelope(ret_code="010000", ret_msg="Invalid signature")
            return v3_answer(platform, APP_ID, refusal, status=401)(request)
        body = json.loads(request.body)
        if request.path == "/v3/payment/acq/apple-pay/create-session":
            data: Any = base64.b64encode(json.dumps(SESSION_OBJECT).encode()).decode()
        elif request.path == "/v3/payment/acq":
            data = {
                "merchant_id": MERCHANT_ID,
                "trans_id": body["trans_id"],
                "order_id": "GW206194332333335",
                "status": "SUCCESS",
                "amount": body["amount"],
                "currency": body["currency"],
            }
        else:
            return v3_answer(
                platform, APP_ID, envelope(ret_code="010000", ret_msg="Invalid request"), status=404
            )(request)
        return v3_answer(platform, APP_ID, envelope(data))(request)

    psp.answer(respond)


@contextmanager
def paykka_side(merchant: rsa.RSAPrivateKey, platform: rsa.RSAPrivateKey) -> Iterator[PspSide]:
    with local_psp() as server:
        _paykka(server, merchant, platform)
        yield PspSide(server.url, merchant, platform, server)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` behind a real uvicorn on 127.0.0.1 (a free port), in a thread; its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # start-up, not a timing assertion
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
