"""``trust install`` without internet, review (#11) class 6: a failure to reach Apple is a
setup error (trust_root_missing, exit 2) with one line saying what to do, never a traceback.
Only 127.0.0.1 is contacted: a closed port, and a local server answering badly."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from applepay_crypto import ApplePayError, install_apple_root
from applepay_crypto.cli import main
from applepay_crypto.testing import TestAuthority


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when this returns


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""
    mode = "ok"

    def do_GET(self) -> None:
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "hangup":
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.mode == "404":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header(
            "Content-Length", str(len(self.body) + (100 if self.mode == "short" else 0))
        )
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/AppleRootCA-G3.cer", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _cli(url: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["trust", "install", "--url", url, "--to", str(tmp_path / "root.cer"), *extra]
    )
    return result.exit_code, result.output


def test_refused_connection_is_a_setup_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/AppleRootCA-G3.cer"
    with pytest.raises(ApplePayError) as caught:
        install_apple_root(url=url, destination=tmp_path / "root.cer", timeout=2)
    assert caught.value.code == "trust_root_missing"
    assert "--from FILE" in caught.value.message
    code, output = _cli(url, tmp_path)
    assert code == 2 and "Traceback" not in output
    assert output.count("\n") == 1 and "trust install --from FILE" in output
    assert not (tmp_path / "root.cer").exists()


@pytest.mark.parametrize("mode", ["hangup", "404"])
def test_a_broken_answer_is_a_setup_error(
    server: tuple[str, type[_Handler]], tmp_path: Path, mode: str
) -> None:
    url, handler = server
    handler.mode, handler.body = mode, b"not a certificate"
    code, output = _cli(url, tmp_path, "--json")
    assert code == 2, output
    assert '"code": "trust_root_missing"' in output and "Traceback" not in output


def test_a_slow_answer_is_a_setup_error(server: tuple[str, type[_Handler]], tmp_path: Path) -> None:
    url, handler = server
    handler.mode = "slow"
    started = time.monotonic()
    with pytest.raises(ApplePayError) as caught:
        install_apple_root(url=url, destination=tmp_path / "root.cer", timeout=0.3)
    assert caught.value.code == "trust_root_missing"
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("body", ["garbage", "wrong_cert"])
def test_garbage_or_another_certificate_is_refused(
    server: tuple[str, type[_Handler]], tmp_path: Path, authority: TestAuthority, body: str
) -> None:
    """Served, but not Apple's root: untrusted_root; installing is setup, so exit 2 (issue
    #14: setup errors exit 2 in every command)."""
    from cryptography.hazmat.primitives import serialization

    url, handler = server
    handler.body = (
        b"\x00\xff<html>captive portal</html>"
        if body == "garbage"
        else authority.root.certificate.public_bytes(serialization.Encoding.DER)
    )
    code, output = _cli(url, tmp_path, "--json")
    assert code == 2 and '"code": "untrusted_root"' in output and "Traceback" not in output
    assert not (tmp_path / "root.cer").exists()


def test_an_unwritable_destination_is_a_setup_error(tmp_path: Path, apple_root_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    result = CliRunner().invoke(
        main,
        ["trust", "install", "--from", str(apple_root_path), "--to", str(blocker / "root.cer")],
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot write" in result.output
