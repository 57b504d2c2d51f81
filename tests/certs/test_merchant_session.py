"""Merchant session: mutual TLS to a local server that requires a client certificate.

The server runs on 127.0.0.1 with certificates made here; nothing reaches the internet.
"""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from certs_support import make_certificate, merchant_name, run
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from applepay_crypto.errors import ConfigurationError
from applepay_crypto.keys import save_private_key
from applepay_crypto.merchant.certfiles import export_pkcs12
from applepay_crypto.merchant.session import (
    APPLE_VALIDATION_HOSTS,
    SessionError,
    SessionHostNotAllowedError,
    SessionRejectedError,
    SessionTimeoutError,
    SessionTLSError,
    check_validation_url,
    request_merchant_session,
)
from applepay_crypto.testing import TestAuthority

#: Apple's answer is opaque: odd spacing and key order must come back byte for byte.
SESSION = (
    b'{"epochTimestamp":1700000000000, "expiresAt":1700003600000,'
    b'"merchantSessionIdentifier":"SSH0123456789ABCDEF","nonce":"3c2f1b0a",'
    b'"merchantIdentifier":"ABCDEF0123","domainName":"shop.example.com",'
    b'"displayName":"Example Shop","signature":"MIAGCSqGSIb3DQEHAqCAMIACAQEx","retries":0}'
)
REJECTION = (
    b'{"statusMessage":"Payment Services Exception: domain not verified","statusCode":"400"}'
)


@dataclass
class Server:
    url: str
    server_ca: Path
    requests: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def path(self, path: str) -> str:
        return f"{self.url}{path}"


def _server_certificate(
    authority: TestAuthority,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = make_certificate(
        key,
        subject,
        issuer=authority.root,
        extra=(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
        ),
        not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1),
        not_after=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30),
    )
    return cert, key


@pytest.fixture(scope="module")
def server(authority: TestAuthority, tmp_path_factory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("server")
    cert, key = _server_certificate(authority)
    (base / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    save_private_key(key, base / "server.key")
    ca = base / "ca.pem"
    ca.write_bytes(authority.root.certificate.public_bytes(serialization.Encoding.PEM))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(base / "server.pem", base / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED  # the point: no client certificate, no session
    context.load_verify_locations(ca)
    state = Server(url="", server_ca=ca)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            peer = self.connection.getpeercert()
            subject = dict(item for rdn in peer["subject"] for item in rdn)
            state.requests.append(
                {
                    "path": self.path,
                    "body": json.loads(body),
                    "peer": subject,
                    "content_type": self.headers["Content-Type"],
                }
            )
            if self.path == "/slow":
                state.release.wait(10)
            status, answer = (400, REJECTION) if self.path == "/reject" else (200, SESSION)
            if self.path == "/not-json":
                answer = b"<html>maintenance</html>"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.url = f"https://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()


def request(server: Server, identity, path: str = "/paymentservices/paymentSession", **overrides):
    arguments = {
        "certificate": identity.certificate,
        "private_key": identity.key,
        "display_name": "Example Shop",
        "initiative_context": "shop.example.com",
        "allow_hosts": ["127.0.0.1"],
        "server_ca": server.server_ca,
        "timeout": 10.0,
    }
    arguments.update(overrides)
    return request_merchant_session(server.path(path), **arguments)


def test_session_is_returned_untouched(server, identity) -> None:
    session = request(server, identity, merchant_identifier="merchant.com.example.ec")
    assert session.raw == SESSION
    assert session.data == json.loads(SESSION)
    seen = server.requests[-1]
    assert seen["path"] == "/paymentservices/paymentSession"
    assert seen["content_type"] == "application/json"
    assert seen["body"] == {
        "merchantIdentifier": "merchant.com.example.ec",
        "displayName": "Example Shop",
        "initiative": "web",
        "initiativeContext": "shop.example.com",
    }
    # The server saw the merchant identity certificate as the TLS client certificate.
    assert seen["peer"]["commonName"] == "Apple Pay Merchant Identity:merchant.com.example.ec"


def test_merchant_identifier_defaults_to_the_certificate_uid(server, identity) -> None:
    request(server, identity, initiative="messaging", initiative_context="https://psp.example/pay")
    assert server.requests[-1]["body"]["merchantIdentifier"] == identity.merchant_id
    assert server.requests[-1]["body"]["initiative"] == "messaging"


def test_identity_from_a_p12(server, identity, tmp_path) -> None:
    p12 = export_pkcs12(
        identity.key, identity.certificate, tmp_path / "identity.p12", password=b"pw"
    )
    session = request(server, identity, certificate=p12, private_key=None, password=b"pw")
    assert session.raw == SESSION


def test_non_200_answer(server, identity) -> None:
    with pytest.raises(SessionRejectedError) as caught:
        request(server, identity, path="/reject")
    assert caught.value.code == "session_rejected"
    assert caught.value.status == 400 and caught.value.body == REJECTION
    assert caught.value.message == (
        "127.0.0.1 answered 400: Payment Services Exception: domain not verified"
    )


def test_answer_that_is_not_json(server, identity) -> None:
    with pytest.raises(SessionError, match="answered 200 but not with JSON") as caught:
        request(server, identity, path="/not-json")
    assert caught.value.code == "session_failed"


def test_wrong_client_certificate(server, tmp_path) -> None:
    stranger = TestAuthority.create()  # a client certificate from a CA the server does not trust
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_certificate(
        key,
        merchant_name(
            "merchant.com.example.ec", "Apple Pay Merchant Identity:merchant.com.example.ec"
        ),
        issuer=stranger.root,
        not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1),
    )
    before = len(server.requests)
    with pytest.raises(SessionTLSError) as caught:
        request_merchant_session(
            server.path("/paymentservices/paymentSession"),
            certificate=cert,
            private_key=key,
            display_name="Example Shop",
            initiative_context="shop.example.com",
            allow_hosts=["127.0.0.1"],
            server_ca=server.server_ca,
            timeout=10.0,
        )
    assert caught.value.code == "session_tls_failed"
    assert len(server.requests) == before


def test_no_client_certificate(server, identity, monkeypatch) -> None:
    # As if the identity certificate never made it into the TLS context.
    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", lambda self, *a, **k: None)
    with pytest.raises(SessionTLSError) as caught:
        request(server, identity)
    assert caught.value.code == "session_tls_failed"


def test_untrusted_server(server, identity) -> None:
    with tempfile.NamedTemporaryFile(suffix=".pem") as other:
        other.write(
            TestAuthority.create().root.certificate.public_bytes(serialization.Encoding.PEM)
        )
        other.flush()
        with pytest.raises(SessionTLSError, match="server certificate is not trusted"):
            request(server, identity, server_ca=other.name)


def test_timeout(server, identity) -> None:
    with pytest.raises(SessionTimeoutError) as caught:
        request(server, identity, path="/slow", timeout=0.3)
    assert caught.value.message == "127.0.0.1 did not answer within 0.3 s"
    assert caught.value.code == "session_timeout"


def test_connection_refused(identity, server) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SessionError, match=f"cannot connect to 127.0.0.1:{port}") as caught:
        request_merchant_session(
            f"https://127.0.0.1:{port}/paymentSession",
            certificate=identity.certificate,
            private_key=identity.key,
            display_name="Shop",
            initiative_context="shop.example.com",
            allow_hosts=["127.0.0.1"],
            timeout=5.0,
        )
    assert caught.value.code == "session_failed"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "https://127.0.0.1:8443/paymentSession",
            "127.0.0.1 is not one of Apple's merchant validation hosts",
        ),
        ("http://apple-pay-gateway.apple.com/paymentservices/paymentSession", "must use https"),
        (
            "https://apple-pay-gateway.apple.com.evil.example/paymentSession",
            "is not one of Apple's",
        ),
        ("https://evil.example/?apple-pay-gateway.apple.com", "is not one of Apple's"),
        (
            "https://user:pw@apple-pay-gateway.apple.com/paymentSession",
            "must not carry credentials",
        ),
        ("https://apple-pay-gateway.apple.com:8443/paymentSession", "port 443 only"),
        ("https://apple-pay-gateway.apple.com:99999/paymentSession", "invalid port"),
    ],
)
def test_host_allow_list(url, reason, server, identity) -> None:
    before = len(server.requests)
    with pytest.raises(SessionHostNotAllowedError, match=reason):
        request_merchant_session(
            url,
            certificate=identity.certificate,
            private_key=identity.key,
            display_name="Shop",
            initiative_context="shop.example.com",
        )
    assert len(server.requests) == before  # nothing was sent


def test_apple_hosts() -> None:
    for host in (
        "apple-pay-gateway.apple.com",
        "cn-apple-pay-gateway.apple.com",
        "apple-pay-gateway-cert.apple.com",
        "apple-pay-gateway-nc-pod5.apple.com",
        "apple-pay-gateway-pr-pod1-dr.apple.com",
        "cn-apple-pay-gateway-tj-pod3.apple.com",
    ):
        assert host in APPLE_VALIDATION_HOSTS
    assert check_validation_url(
        "https://APPLE-PAY-GATEWAY-NC-POD3.apple.com/paymentservices/startSession"
    ) == ("apple-pay-gateway-nc-pod3.apple.com", 443, "/paymentservices/startSession")
    assert len(APPLE_VALIDATION_HOSTS) == 36


def test_configuration_errors(identity, rsa_merchant) -> None:
    url = "https://apple-pay-gateway-cert.apple.com/paymentservices/paymentSession"
    common = {"display_name": "Shop", "initiative_context": "shop.example.com"}
    with pytest.raises(ConfigurationError, match="does not belong to the identity certificate"):
        request_merchant_session(
            url, certificate=identity.certificate, private_key=rsa_merchant.private_key, **common
        )
    with pytest.raises(ConfigurationError, match="Apple will refuse it"):
        request_merchant_session(
            url,
            certificate=identity.certificate,
            private_key=identity.key,
            now=dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
            **common,
        )
    with pytest.raises(ConfigurationError, match="private key is missing"):
        request_merchant_session(url, certificate=identity.certificate, **common)
    with pytest.raises(ConfigurationError, match="displayName must be 1 to 64 characters"):
        request_merchant_session(
            url,
            certificate=identity.certificate,
            private_key=identity.key,
            display_name="x" * 65,
            initiative_context="shop.example.com",
        )


@pytest.fixture
def identity_files(identity, tmp_path) -> dict[str, Path]:
    cert = tmp_path / "identity.pem"
    cert.write_bytes(identity.certificate.public_bytes(serialization.Encoding.PEM))
    return {"cert": cert, "key": save_private_key(identity.key, tmp_path / "identity.key")}


def cli_args(server: Server, files: dict[str, Path], path: str) -> list[str | Path]:
    return [
        "session", server.path(path), "--cert", files["cert"], "--key", files["key"],
        "--display-name", "Example Shop", "--domain", "shop.example.com",
        "--allow-host", "127.0.0.1", "--server-ca", server.server_ca,
    ]  # fmt: skip


def test_cli(server, identity_files, tmp_path) -> None:
    args = cli_args(server, identity_files, "/paymentservices/paymentSession")
    ok = run(*args)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.encode() == SESSION + b"\n"
    out = tmp_path / "session.json"
    assert run(*args, "--out", out).exit_code == 0
    assert out.read_bytes() == SESSION

    rejected = run(*cli_args(server, identity_files, "/reject"), "--json")
    assert rejected.exit_code == 1
    assert json.loads(rejected.stdout)["error"] == {
        "code": "session_rejected",
        "message": "127.0.0.1 answered 400: Payment Services Exception: domain not verified",
    }
    not_allowed = run(*[a for a in args if a not in ("--allow-host", "127.0.0.1")])
    assert not_allowed.exit_code == 2
    assert "is not one of Apple's merchant validation hosts" in not_allowed.output
