"""Apple Root CA - G3: pinned by fingerprint, found in the documented places, installed safely."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from applepay_crypto import (
    TrustRootMissingError,
    TrustStore,
    UntrustedRootError,
    install_apple_root,
    load_apple_root,
)
from applepay_crypto.trust import APPLE_ROOT_CA_G3_SHA256, fingerprint, user_root_path


def test_pinned_fingerprint_matches_the_reference_copy(apple_root_path: Path) -> None:
    root = load_apple_root(apple_root_path)
    assert fingerprint(root) == APPLE_ROOT_CA_G3_SHA256
    assert (
        root.subject.rfc4514_string()
        == "C=US,O=Apple Inc.,OU=Apple Certification Authority,CN=Apple Root CA - G3"
    )


def test_missing_root_says_how_to_install(monkeypatch) -> None:
    with pytest.raises(TrustRootMissingError) as caught:
        load_apple_root()
    assert caught.value.code == "trust_root_missing"
    assert "applepay-crypto trust install" in caught.value.message
    assert "APPLEPAY_ROOT_CA" in caught.value.message
    with pytest.raises(TrustRootMissingError):
        TrustStore.apple_root()


def test_environment_variable(apple_root_path, monkeypatch) -> None:
    monkeypatch.setenv("APPLEPAY_ROOT_CA", str(apple_root_path))
    assert fingerprint(load_apple_root()) == APPLE_ROOT_CA_G3_SHA256
    monkeypatch.setenv("APPLEPAY_ROOT_CA", "/nonexistent/root.cer")
    with pytest.raises(TrustRootMissingError, match="APPLEPAY_ROOT_CA"):
        load_apple_root()


def test_pem_and_der_are_both_read(apple_root_path, tmp_path) -> None:
    pem = tmp_path / "root.pem"
    pem.write_bytes(load_apple_root(apple_root_path).public_bytes(Encoding.PEM))
    assert fingerprint(load_apple_root(pem)) == APPLE_ROOT_CA_G3_SHA256


def test_another_certificate_is_refused_whatever_its_source(
    authority, tmp_path, monkeypatch
) -> None:
    impostor = tmp_path / "AppleRootCA-G3.cer"
    impostor.write_bytes(authority.root.certificate.public_bytes(Encoding.DER))
    with pytest.raises(UntrustedRootError, match="not Apple Root CA - G3"):
        load_apple_root(impostor)
    monkeypatch.setenv("APPLEPAY_ROOT_CA", str(impostor))
    with pytest.raises(UntrustedRootError):
        load_apple_root()
    with pytest.raises(UntrustedRootError):
        TrustStore.apple_root(authority.root.certificate)
    with pytest.raises(UntrustedRootError):
        install_apple_root(source=impostor, destination=tmp_path / "installed.cer")
    assert not (tmp_path / "installed.cer").exists()


def test_install_from_file_to_the_user_location(apple_root_path) -> None:
    target = install_apple_root(source=apple_root_path)
    assert target == user_root_path()
    assert target.read_bytes() == apple_root_path.read_bytes()
    assert fingerprint(load_apple_root()) == APPLE_ROOT_CA_G3_SHA256
    assert TrustStore.apple_root().apple


class _OneFile(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve():
    servers = []

    def start(body: bytes) -> str:
        handler = type("Handler", (_OneFile,), {"body": body})
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/AppleRootCA-G3.cer"

    yield start
    for server in servers:
        server.shutdown()


def test_install_downloads_and_checks_the_fingerprint(
    apple_root_path, authority, serve, tmp_path
) -> None:
    target = install_apple_root(
        url=serve(apple_root_path.read_bytes()), destination=tmp_path / "root.cer"
    )
    assert fingerprint(load_apple_root(target)) == APPLE_ROOT_CA_G3_SHA256
    fake = authority.root.certificate.public_bytes(Encoding.DER)
    with pytest.raises(UntrustedRootError):
        install_apple_root(url=serve(fake), destination=tmp_path / "fake.cer")
    with pytest.raises(UntrustedRootError, match="is not a certificate"):
        install_apple_root(url=serve(b"<html>"), destination=tmp_path / "fake.cer")
    assert not (tmp_path / "fake.cer").exists()


def test_plain_http_elsewhere_is_refused(tmp_path) -> None:
    from applepay_crypto import ConfigurationError

    with pytest.raises(ConfigurationError, match="https"):
        install_apple_root(url="http://example.com/AppleRootCA-G3.cer", destination=tmp_path / "x")


def test_installed_root_file_is_world_readable_not_writable(apple_root_path, tmp_path) -> None:
    target = install_apple_root(source=apple_root_path, destination=tmp_path / "r.cer")
    assert os.stat(target).st_mode & 0o777 == 0o644


def test_test_roots_are_injectable(authority) -> None:
    store = TrustStore.for_test_roots([authority.root.certificate])
    assert store.apple is False and store.roots == (authority.root.certificate,)


def test_chain_cache_is_bounded(authority) -> None:
    import datetime as dt

    store = TrustStore([authority.root.certificate], apple=False, cache_size=2)
    at = dt.datetime.now(dt.timezone.utc)
    for _ in range(4):
        variant = authority.with_leaves(
            not_before=at - dt.timedelta(days=1), not_after=at + dt.timedelta(days=1)
        )
        store.validate_chain(variant.ec_leaf.certificate, [variant.intermediate.certificate], at)
    assert len(store._cache) == 2
