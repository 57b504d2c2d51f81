"""``paykka-sign simulate``: run in a subprocess (it serves in the foreground), read the one
JSON object it prints, talk to it with the client, stop the process we started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")

from paykka_sign import public_key_pem, read_public_key
from paykka_sign.cli import main
from paykka_sign.client import PaykkaClient, RetryPolicy
from paykka_sign.errors import PspRefusedError


def _read_json(stream: Any) -> dict[str, Any]:
    lines = []
    for line in stream:
        lines.append(line)
        if line.rstrip("\n") == "}":
            break
    document: dict[str, Any] = json.loads("".join(lines))
    return document


def test_simulate_prints_one_json_object_then_serves(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    (tmp_path / "merchant.pem").write_bytes(public_key_pem(rsa_key))
    (tmp_path / "secret.txt").write_text("s3cret\n")
    (tmp_path / "secret.txt").chmod(0o600)
    argv = [sys.executable, "-c", "from paykka_sign.cli import main; main()", "simulate", "--port", "0", "--json",
            "--merchant-public-key", str(tmp_path / "merchant.pem"),
            "--yabandpay-secret-file", str(tmp_path / "secret.txt"),
            "--out-dir", str(tmp_path / "out")]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        described = _read_json(process.stdout)
        platform_file = tmp_path / "out" / "paykka-platform.pem"
        assert described == {
            "url": f"http://127.0.0.1:{described['port']}",
            "port": described["port"],
            "platform_public_key_file": str(platform_file),
            "merchant_id": "18356675194960",
            "app_id": "978594372956732",
            "yabandpay_user": "016683",
            "client_options": ["--base-url", described["url"], "--platform-key",
                               str(platform_file), "--merchant-id", "18356675194960",
                               "--app-id", "978594372956732"],
        }  # fmt: skip
        with (
            PaykkaClient(
                private_key=rsa_key,
                platform_public_key=read_public_key(platform_file),
                merchant_id="18356675194960",
                app_id="978594372956732",
                base_url=described["url"],
                retry=RetryPolicy(attempts=1),
            ) as paykka,
            pytest.raises(PspRefusedError) as caught,
        ):
            paykka.query_transaction(trans_id="none")
        assert (caught.value.psp_code, caught.value.psp_message) == ("010000", "Not found")
    finally:
        os.kill(process.pid, signal.SIGINT)
        process.communicate(timeout=10)
    assert process.returncode == 0


def test_a_usage_error_with_json_is_one_object_and_does_not_serve() -> None:
    result = CliRunner().invoke(main, ["simulate", "--port", "nope", "--json"])
    assert result.exit_code == 2
    assert set(json.loads(result.stdout)) == {"error"}


def test_a_port_in_use_is_a_setup_error(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    import socket

    (tmp_path / "merchant.pem").write_bytes(public_key_pem(rsa_key))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            main,
            ["simulate", "--port", str(port), "--json", "--out-dir", str(tmp_path / "o"),
             "--merchant-public-key", str(tmp_path / "merchant.pem")],
        )  # fmt: skip
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "invalid_argument"
