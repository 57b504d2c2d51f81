"""``paykka-sign send``, ``paykka ...`` and ``yabandpay pay`` against the local stand-in on
127.0.0.1: verified answers printed masked, exit codes 0/1/2, JSON errors."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")

from paykka_client_support import Answer, LocalPsp, Received, envelope, local_psp, v3_answer

from paykka_sign import PaykkaV3Verifier, notification_string_to_sign
from paykka_sign.cli import main

MID, APP = "18356675194960", "978594372956732"
PAN = "4111111111111111"
CRYPTOGRAM = "AgAAAAAABk4DWZ4C28yUQAAAAAA="
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
AT = NOW.isoformat().replace("+00:00", "Z")
SECRET = "yabandpay-test-secret"


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("platform") / "paykka-platform.pem"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, path


@pytest.fixture
def psp() -> Iterator[LocalPsp]:
    with local_psp() as server:
        yield server


def _connection(key_dir: Path, platform_pub: Path, url: str) -> list[str]:
    return ["--signing-key", str(key_dir / "key.pem"), "--platform-key", str(platform_pub),
            "--merchant-id", MID, "--app-id", APP, "--base-url", url]  # fmt: skip


def _tx(**data: Any) -> bytes:
    return envelope({"merchant_id": MID, "trans_id": "order-1", "status": "SUCCESS", **data})


def test_send_prints_the_verified_answer_masked(
    psp: LocalPsp, key_dir: Path, platform: tuple[rsa.RSAPrivateKey, Path], tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
) -> None:  # fmt: skip
    key, pub = platform
    psp.answer(v3_answer(key, APP, _tx(card_no=PAN)))
    body = tmp_path / "query.json"
    body.write_bytes(b'{"merchant_id":"18356675194960","trans_id":"order-1"}\n')
    args = ["send", *_connection(key_dir, pub, psp.url), "--path", "/v3/payment/acq/query",
            "--body", str(body), "--at", AT]  # fmt: skip
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "verified": True, "status": 200, "ret_code": "000000", "ret_msg": "Success",
        "data": {"merchant_id": MID, "trans_id": "order-1", "status": "SUCCESS",
                 "card_no": "411111******1111"},
    }  # fmt: skip
    assert "--reveal" in result.stderr
    got = psp.received[0]
    assert got.body == body.read_bytes()  # byte for byte, final newline included
    PaykkaV3Verifier(rsa_key.public_key(), app_id=APP).verify(
        "POST", got.path, got.headers, got.body
    )
    revealed = run(*args, "--reveal", "--json")
    assert json.loads(revealed.stdout)["data"]["card_no"] == PAN


def _tamper(respond: Any) -> Any:
    def tamper(request: Received) -> Answer:
        answer: Answer = respond(request)
        return Answer(answer.status, answer.headers, answer.body.replace(b"SUCCESS", b"FAILURE"))

    return tamper


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_exit_codes(psp: LocalPsp, key_dir: Path, platform: tuple[rsa.RSAPrivateKey, Path]) -> None:
    key, pub = platform
    query = ["paykka", "query", "--trans-id", "order-1", "--json"]
    psp.answer(_tamper(v3_answer(key, APP, _tx())))
    tampered = run(*query, *_connection(key_dir, pub, psp.url))
    assert tampered.exit_code == 1
    assert json.loads(tampered.stdout)["error"]["code"] == "signature_invalid"

    psp.answer(v3_answer(key, APP, envelope(ret_code="1004", ret_msg="Merchant does not "
                                             "support this payment method")))  # fmt: skip
    refused = run(*query, *_connection(key_dir, pub, psp.url))
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"] == {
        "code": "psp_refused",
        "message": "PayKKa refused the request (HTTP 200): ret_code '1004', "
        "ret_msg 'Merchant does not support this payment method'",
    }

    offline = run(*query, *_connection(key_dir, pub, _closed_port()))
    assert offline.exit_code == 2
    assert json.loads(offline.stdout)["error"]["code"] == "network_error"
    assert "Traceback" not in offline.output

    no_app = run("paykka", "query", "--trans-id", "o", "--signing-key", str(key_dir / "key.pem"),
                 "--platform-key", str(pub), "--merchant-id", MID)  # fmt: skip
    assert no_app.exit_code == 2 and "--app-id" in no_app.output


def test_paykka_query_session_and_checkout(
    psp: LocalPsp, key_dir: Path, platform: tuple[rsa.RSAPrivateKey, Path]
) -> None:
    key, pub = platform
    connection = _connection(key_dir, pub, psp.url)
    psp.answer(v3_answer(key, APP, _tx()))
    text = run("paykka", "query", "--trans-id", "order-1", *connection)
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("verified: True\nstatus: SUCCESS\ntrans_id: order-1\ndata:\n")

    session_object = {"merchantSessionIdentifier": "SSH1", "displayName": "Shop"}
    data = base64.b64encode(json.dumps(session_object).encode()).decode()
    psp.answer(v3_answer(key, APP, envelope(data)))
    session = run("paykka", "session", "--domain-name", "shop.example", *connection, "--json")
    assert json.loads(session.stdout) == {"verified": True, "data": session_object}

    answer = {"session_id": "S1", "session_url": "https://pay.example/S1"}
    psp.answer(v3_answer(key, APP, envelope(answer)))
    checkout = run("paykka", "checkout", "--trans-id", "o2", "--amount", "1000", "--currency",
                   "EUR", "--session-mode", "EMBEDDED", *connection, "--json")  # fmt: skip
    assert checkout.exit_code == 0, checkout.output
    assert json.loads(checkout.stdout)["session_url"] == "https://pay.example/S1"
    sent = json.loads(psp.received[-1].body)
    assert (sent["session_mode"], sent["allowed_payment_methods"]) == ("EMBEDDED", ["APPLE_PAY"])

    psp.answer(v3_answer(key, APP, envelope({"session_id": "S1", "status": "PAID"})))
    status = run("paykka", "checkout-status", "S1", *connection, "--json")
    assert json.loads(status.stdout)["status"] == "PAID"


@pytest.fixture(scope="module")
def minted(
    psp_authority: Any, psp_merchant: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    from applepay_crypto.testing import mint, sample_payload

    directory = tmp_path_factory.mktemp("applepay-client")
    paths: dict[str, Path] = dict(psp_merchant.save(directory))
    root = directory / "root.pem"
    root.write_bytes(psp_authority.root.certificate.public_bytes(serialization.Encoding.PEM))
    payload = sample_payload(pan=PAN, amount=1000, currency_code="978", cryptogram=CRYPTOGRAM)
    token = mint(payload, recipient=psp_merchant, authority=psp_authority, signing_time=NOW)
    (directory / "token.json").write_text(json.dumps(token))
    return {**paths, "root": root, "token": directory / "token.json"}


def test_paykka_pay_decrypts_checks_and_masks(
    psp: LocalPsp, key_dir: Path, platform: tuple[rsa.RSAPrivateKey, Path], minted: dict[str, Path]
) -> None:
    key, pub = platform
    psp.answer(v3_answer(key, APP, _tx(order_id="GW1", card_no=PAN)))
    apple = ["--key", str(minted["key"]), "--cert", str(minted["certificate"]),
             "--root", str(minted["root"]), "--at", AT]  # fmt: skip
    pay = ["paykka", "pay", str(minted["token"]), *_connection(key_dir, pub, psp.url), *apple,
           "--trans-id", "order-1", "--currency", "EUR", "--json"]  # fmt: skip
    result = run(*pay, "--amount", "1000")
    assert result.exit_code == 0, result.output
    assert PAN not in result.stdout and CRYPTOGRAM not in result.stdout
    assert json.loads(result.stdout)["order_id"] == "GW1"
    sent = json.loads(psp.received[0].body)["payment"]
    assert (sent["card_no"], sent["token_authentication"]["cryptogram"]) == (PAN, CRYPTOGRAM)

    mismatch = run(*pay, "--amount", "999")
    assert mismatch.exit_code == 1
    assert json.loads(mismatch.stdout)["error"]["code"] == "amount_mismatch"
    assert len(psp.received) == 1  # refused before anything was sent


def test_yabandpay_pay(psp: LocalPsp, minted: dict[str, Path], tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    data = {"order_id": "Y1", "trade_id": "T9", "state": "paid"}
    sign = hmac.new(
        SECRET.encode(), notification_string_to_sign(data).encode(), hashlib.sha256
    ).hexdigest()
    body = json.dumps({"status": True, "code": 200, "message": "ok", "data": data, "sign": sign})
    psp.answer(lambda request: Answer(200, {"content-type": "application/json"}, body.encode()))
    result = run(
        "yabandpay", "pay", str(minted["token"]), "--amount", "1000", "--currency", "EUR",
        "--order-id", "Y1", "--description", "Order 42", "--notify-url", "https://shop.example/n",
        "--user", "016683", "--secret-key-file", str(secret), "--base-url", psp.url,
        "--key", str(minted["key"]), "--cert", str(minted["certificate"]),
        "--root", str(minted["root"]), "--at", AT, "--operation", "authorisation", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"verified": True, "code": 200, "message": "ok",
                                         "data": data}  # fmt: skip
    request = json.loads(psp.received[0].body)
    assert (request["method"], request["data"]["operation"]) == ("v3.ApplePay", "2")
    assert request["time"] == int(NOW.timestamp())


def test_an_unexpected_exception_is_internal_error(
    monkeypatch: pytest.MonkeyPatch, key_dir: Path, platform: tuple[rsa.RSAPrivateKey, Path]
) -> None:
    import paykka_sign.cli.client as commands

    def broken(path: str, *, what: str) -> bytes:
        raise RuntimeError(f"a library's text quoting {PAN}")

    monkeypatch.setattr(commands, "read_input", broken)
    _, pub = platform
    result = run("send", *_connection(key_dir, pub, "http://127.0.0.1:9"), "--path", "/p",
                 "--json")  # fmt: skip
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": "internal_error",
        "message": "unexpected RuntimeError; please report this as a bug",
    }
    assert PAN not in result.output
