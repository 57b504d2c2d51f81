"""Serving the example shop (examples/applepay_shop) in tests: a real uvicorn server on
127.0.0.1 in a thread, and the PayKKa side it talks to.

The PayKKa side is the simulator (paykka_sign.simulator) on 127.0.0.1, wrapped in
:class:`PspSide`, the one thing the tests know of the PSP. Apple's merchant validation
endpoint is a local https server requiring the identity certificate (:func:`apple_gateway`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from applepay_crypto.keys import save_private_key
from applepay_crypto.testing import TestAuthority
from applepay_crypto.testing.authority import issue_certificate
from paykka_sign import PaykkaV3Signer
from paykka_sign.simulator import Simulator

MERCHANT_ID, APP_ID = "18356675194960", "978594372956732"


@dataclass
class PspSide:
    """PayKKa as the shop sees it: its URL, the keys, what it recorded, and signed webhooks
    from it. Here the simulator (paykka_sign.simulator), which checks the shop's signature,
    timestamp and nonce as PayKKa documents and answers signed with its platform key."""

    url: str
    merchant_key: rsa.RSAPrivateKey  # the shop's; PayKKa holds its public half
    platform_key: rsa.RSAPrivateKey  # PayKKa's; the shop holds its public half
    simulator: Simulator

    @property
    def payments(self) -> list[dict[str, Any]]:
        """The payments PayKKa accepted, as it records them (card numbers masked)."""
        return list(self.simulator.store.transactions.values())

    @property
    def apple_pay_sessions(self) -> list[dict[str, Any]]:
        return list(self.simulator.store.apple_pay_sessions)

    @property
    def calls(self) -> int:
        """How many payments and Apple Pay sessions PayKKa made."""
        return len(self.payments) + len(self.apple_pay_sessions)

    def webhook(
        self, path: str, event: dict[str, Any], *, app_id: str = APP_ID
    ) -> tuple[dict[str, str], bytes]:
        """A webhook as PayKKa sends it: v3-signed over the webhook's path (inferred)."""
        body = json.dumps({"merchant_id": MERCHANT_ID, **event}, separators=(",", ":")).encode()
        signed = PaykkaV3Signer(self.platform_key, app_id=app_id).sign("POST", path, body)
        return {"content-type": "application/json", **signed.headers}, body


@contextmanager
def paykka_side(merchant: rsa.RSAPrivateKey, platform: rsa.RSAPrivateKey) -> Iterator[PspSide]:
    with Simulator(
        merchant_public_key=merchant.public_key(),
        merchant_id=MERCHANT_ID,
        app_id=APP_ID,
        platform_key=platform,
    ) as simulator:
        yield PspSide(simulator.url, merchant, platform, simulator)


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


#: Apple's answer is opaque: the shop must hand it on byte for byte (odd spacing kept).
APPLE_SESSION = (
    b'{"epochTimestamp":1796237573133, "expiresAt":1796241173133,'
    b'"merchantSessionIdentifier":"SSH0123456789ABCDEF","nonce":"3c2f1b0a",'
    b'"merchantIdentifier":"ABCDEF0123","domainName":"shop.example",'
    b'"displayName":"Example Shop","signature":"MIAGCSqGSIb3DQEHAqCAMIACAQEx","retries":0}'
)


@dataclass
class AppleGateway:
    """Apple's merchant validation endpoint as a local https server that requires a client
    certificate from the test root (as Apple requires the merchant identity certificate)."""

    url: str
    server_ca: Path
    requests: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def apple_gateway(authority: TestAuthority, directory: Path) -> Iterator[AppleGateway]:
    now = dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_certificate(
        subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]),
        public_key=key.public_key(),
        issuer=authority.root,
        signing_key=authority.root.private_key,
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=30),
        ca=False,
        extra=(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
        ),
    )
    (directory / "gateway.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    save_private_key(key, directory / "gateway.key")
    ca = directory / "root.pem"
    ca.write_bytes(authority.root.certificate.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "gateway.pem", directory / "gateway.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(ca)
    gateway = AppleGateway(url="", server_ca=ca)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            peer = self.connection.getpeercert()  # type: ignore[attr-defined]
            subject = dict(item for rdn in peer["subject"] for item in rdn)
            gateway.requests.append({"path": self.path, "body": json.loads(body), "peer": subject})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(APPLE_SESSION)))
            self.end_headers()
            self.wfile.write(APPLE_SESSION)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    gateway.url = f"https://127.0.0.1:{server.server_address[1]}/paymentservices/startSession"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
