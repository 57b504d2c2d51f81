"""The paykka-sign command line: outputs, exit codes 0/1/2, JSON errors, end to end."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa

from paykka_sign import (
    PaykkaV12Signer,
    PaykkaV12Verifier,
    load_public_key,
    read_private_key,
    request_string_to_sign,
)
from paykka_sign.cli import main

OpensslVerify = Callable[[bytes, bytes, Path], bool]

BODY = b'{"merchant_id":"18356675194960","timestamp":1700805506000,"amount":445}\n'
SECRET = "yabandpay-test-secret"


def run(*args: str, input: bytes | None = None, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_bytes(BODY)
    return path


def test_keygen(tmp_path: Path) -> None:
    out = tmp_path / "k.pem"
    result = run("keygen", "--out", str(out), "--public-out", str(tmp_path / "pub.txt"))
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert "\n" not in line and "BEGIN" not in line
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    public = load_public_key(line)
    assert public.key_size == 2048
    assert (tmp_path / "pub.txt").read_text().strip() == line
    assert "PayKKa portal" in result.stderr
    again = run("keygen", "--out", str(out), "--json")
    assert again.exit_code == 2
    assert json.loads(again.stdout)["error"]["code"] == "file_exists"


def test_sign_v12_json_and_curl(
    key_dir: Path, body_file: Path, openssl_verify: OpensslVerify
) -> None:
    result = run("sign", "--key", str(key_dir / "key.pem"), "--body", str(body_file))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    headers = output["headers"]
    assert output["api"] == "v1.2"
    assert (headers["type"], headers["version"]) == ("RSA256", "v1.2")
    message = b"merchantId=18356675194960&timestamp=1700805506000&requestBody=" + BODY
    raw = base64.b64decode(unquote(headers["signature"]))
    assert openssl_verify(message, raw, key_dir / "pub.pem")  # the final newline is signed too
    curl = run("sign", "--key", str(key_dir / "key.pem"), "--format", "curl", input=BODY)
    assert curl.exit_code == 0
    assert curl.stdout.splitlines() == [
        "-H 'content-type: application/json'",
        f"-H 'signature: {headers['signature']}'",
        "-H 'type: RSA256'",
        "-H 'version: v1.2'",
    ]


def test_sign_v3(key_dir: Path, body_file: Path, openssl_verify: OpensslVerify) -> None:
    result = run(
        "sign", "--api", "v3", "--key", str(key_dir / "key.pem"), "--body", str(body_file),
        "--app-id", "978594372956732", "--path", "/v3/payment/acq",
        "--nonce", "4326048250346354435", "--at", "2025-09-09T03:11:07.986Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    headers = json.loads(result.stdout)["headers"]
    assert headers["x-paykka-timestamp"] == "1757387467986"
    assert headers["x-paykka-nonce"] == "4326048250346354435"
    message = b"POST\n/v3/payment/acq\n1757387467986\n4326048250346354435\n" + BODY
    raw = base64.b64decode(unquote(headers["x-paykka-sign"]))
    assert openssl_verify(message, raw, key_dir / "pub.pem")


def test_sign_errors(key_dir: Path, tmp_path: Path) -> None:
    key = str(key_dir / "key.pem")
    missing = run("sign", "--key", key, "--json", input=b'{"timestamp":1}')
    assert missing.exit_code == 1
    assert json.loads(missing.stdout) == {
        "error": {
            "code": "missing_field",
            "message": "the body has no merchant_id and none was given",
        }
    }
    human = run("sign", "--key", key, input=b"not json")
    assert human.exit_code == 1
    assert "error [malformed_body]" in human.stderr
    usage = run("sign", "--api", "v3", "--key", key, input=BODY)
    assert usage.exit_code == 2
    (tmp_path / "bad.pem").write_text("nope")
    bad_key = run("sign", "--key", str(tmp_path / "bad.pem"), "--json", input=BODY)
    assert bad_key.exit_code == 2
    assert json.loads(bad_key.stdout)["error"]["code"] == "invalid_key"


def _sign_v12(key_dir: Path, body: bytes) -> str:
    result = run("sign", "--key", str(key_dir / "key.pem"), input=body)
    signature: str = json.loads(result.stdout)["headers"]["signature"]
    return signature


def test_verify_v12(key_dir: Path, body_file: Path, tmp_path: Path) -> None:
    signature = _sign_v12(key_dir, BODY)
    pub = str(key_dir / "pub.pem")
    mid = ("--merchant-id", "18356675194960")
    ok = run(
        "verify", "--public-key", pub, *mid, "--body", str(body_file),
        "-H", f"signature: {signature}",
    )  # fmt: skip
    assert ok.exit_code == 0
    assert "valid" in ok.stdout
    assert "no --window" in ok.stderr  # v1.2 has no documented window: say so
    as_json = run(
        "verify", "--public-key", pub, *mid, "--body", str(body_file),
        "-H", f"Signature: {signature}", "-H", "type: RSA256", "--json",
    )  # fmt: skip
    assert json.loads(as_json.stdout) == {
        "valid": True,
        "api": "v1.2",
        "merchant_id": "18356675194960",
        "timestamp": 1700805506000,
    }
    headers_file = tmp_path / "headers.json"
    headers_file.write_text(json.dumps({"signature": signature, "version": "v1.2"}))
    from_file = run(
        "verify", "--public-key", pub, *mid, "--headers-file", str(headers_file), input=BODY
    )
    assert from_file.exit_code == 0
    tampered = run(
        "verify", "--public-key", pub, *mid, "-H", f"signature: {signature}", "--json",
        input=BODY.replace(b"445", b"446"),
    )  # fmt: skip
    assert tampered.exit_code == 1
    assert json.loads(tampered.stdout)["error"]["code"] == "signature_invalid"
    no_header = run("verify", "--public-key", pub, *mid, "--json", input=BODY)
    assert no_header.exit_code == 1
    assert json.loads(no_header.stdout)["error"]["code"] == "invalid_header"
    usage = run("verify", "--public-key", pub, *mid, "-H", "no colon", input=BODY)
    assert usage.exit_code == 2
    # review (#11): the recipient is required, and another merchant's message refused.
    no_recipient = run("verify", "--public-key", pub, "-H", f"signature: {signature}", input=BODY)
    assert no_recipient.exit_code == 2
    assert "--merchant-id" in no_recipient.stderr
    other = run(
        "verify", "--public-key", pub, "--merchant-id", "99999", "-H", f"signature: {signature}",
        "--json", input=BODY,
    )  # fmt: skip
    assert other.exit_code == 1
    assert json.loads(other.stdout)["error"]["code"] == "recipient_mismatch"


def test_verify_v12_custom_fields_and_window(key_dir: Path) -> None:
    body = b'{"data":{"mid":"M","ts":1700805506000}}'
    # The ids are not at the top level: ``sign`` refuses to sign them (issue #14, item 2),
    # so PayKKa's signature is stood in for by the library's explicit escape hatch.
    refused = run("sign", "--key", str(key_dir / "key.pem"), "--merchant-id", "M",
                  "--timestamp", "1700805506000", "--json", input=body)  # fmt: skip
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["error"]["code"] == "body_field_mismatch"
    signature = (
        PaykkaV12Signer(read_private_key(key_dir / "key.pem"))
        .sign(body, merchant_id="M", timestamp=1700805506000, values_outside_body=True)
        .headers["signature"]
    )
    pub = str(key_dir / "pub.pem")
    args = ["verify", "--public-key", pub, "-H", f"signature: {signature}", "--merchant-id", "M",
            "--merchant-id-field", "data.mid", "--timestamp-field", "data.ts", "--json"]  # fmt: skip
    assert run(*args, input=body).exit_code == 0
    late = run(*args, "--window", "5m", "--at", "2023-11-24T06:03:27Z", input=body)
    assert late.exit_code == 1
    assert json.loads(late.stdout)["error"]["code"] == "timestamp_out_of_window"
    assert run(*args, "--window", "5m", "--at", "2023-11-24T06:03:26Z", input=body).exit_code == 0


def test_verify_v3_webhook(key_dir: Path) -> None:
    signed = run(
        "sign", "--api", "v3", "--key", str(key_dir / "key.pem"), "--app-id", "A",
        "--path", "/hooks/paykka", "--at", "2025-09-09T03:11:07.986Z", input=BODY,
    )  # fmt: skip
    headers = json.loads(signed.stdout)["headers"]
    flags = [arg for name in ("x-paykka-timestamp", "x-paykka-nonce", "x-paykka-sign")
             for arg in ("-H", f"{name}: {headers[name]}")]  # fmt: skip
    base = ["verify", "--api", "v3", "--public-key", str(key_dir / "pub.pem"), *flags, "--json",
            "--app-id", "A"]  # fmt: skip
    ok = run(*base, "--path", "/hooks/paykka", "--at", "2025-09-09T03:15:00Z", input=BODY)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["nonce"] == headers["x-paykka-nonce"]
    wrong_path = run(*base, "--path", "/v3/payment/acq", "--at", "2025-09-09T03:15:00Z", input=BODY)
    assert json.loads(wrong_path.stdout)["error"]["code"] == "signature_invalid"
    stale = run(*base, "--path", "/hooks/paykka", "--at", "2025-09-09T03:17:00Z", input=BODY)
    assert stale.exit_code == 1
    assert json.loads(stale.stdout)["error"]["code"] == "timestamp_out_of_window"
    assert run(*base, input=BODY).exit_code == 2  # no --path
    no_app = [arg for arg in base if arg not in ("--app-id", "A")]
    assert run(*no_app, "--path", "/hooks/paykka", input=BODY).exit_code == 2
    other_app = run(
        *base, "--path", "/hooks/paykka", "--at", "2025-09-09T03:15:00Z",
        "-H", "x-paykka-appid: B", input=BODY,
    )  # fmt: skip
    assert json.loads(other_app.stdout)["error"]["code"] == "recipient_mismatch"


def test_yabandpay_sign_and_verify(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    request = {
        "method": "v3.ApplePay",
        "time": 1721987969,
        "data": {"order_id": "o1", "amount": "0.10"},
    }
    signed = run(
        "yabandpay", "sign", "--secret-key-file", str(secret_file), "--user", "016683",
        input=json.dumps(request).encode(),
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    document = json.loads(signed.stdout)
    message = "amount=0.10&method=v3.ApplePay&order_id=o1&time=1721987969&user=016683"
    assert request_string_to_sign(document) == message
    assert (
        document["sign"] == hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    )
    from_env = run("yabandpay", "sign", "--user", "016683", input=json.dumps(request).encode(),
                   env={"YABANDPAY_SECRET_KEY": SECRET})  # fmt: skip
    assert json.loads(from_env.stdout)["sign"] == document["sign"]
    no_secret = run("yabandpay", "sign", input=b"{}", env={"YABANDPAY_SECRET_KEY": ""})
    assert no_secret.exit_code == 2

    data = {"order_id": "o1", "state": "paid"}
    sign = hmac.new(SECRET.encode(), b"order_id=o1&state=paid", hashlib.sha256).hexdigest()
    notification = json.dumps({"sign": sign, "data": data}).encode()
    verify = ["yabandpay", "verify", "--secret-key-file", str(secret_file), "--json"]
    ok = run(*verify, input=notification)
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == {"valid": True, "data": data}
    forged = notification.replace(b"paid", b"PAID")
    rejected = run(*verify, input=forged)
    assert rejected.exit_code == 1
    assert json.loads(rejected.stdout)["error"]["code"] == "signature_invalid"


# End to end: a token minted by applepay_crypto.testing under a test root.

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
AT = NOW.isoformat().replace("+00:00", "Z")
PAN = "4111111111111111"
CRYPTOGRAM = "AgAAAAAABk4DWZ4C28yUQAAAAAA="


@pytest.fixture(scope="module")
def token_setup(
    psp_authority: Any, psp_merchant: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization

    from applepay_crypto.testing import mint, sample_payload

    directory = tmp_path_factory.mktemp("applepay")
    paths: dict[str, Path] = dict(psp_merchant.save(directory))
    root = directory / "root.pem"
    root.write_bytes(psp_authority.root.certificate.public_bytes(serialization.Encoding.PEM))
    payload = sample_payload(pan=PAN, amount=1000, currency_code="978", cryptogram=CRYPTOGRAM,
                             cardholder_name="Jane Appleseed")  # fmt: skip
    token = mint(payload, recipient=psp_merchant, authority=psp_authority, signing_time=NOW)
    (directory / "token.json").write_text(json.dumps(token))
    return {**paths, "root": root, "token": directory / "token.json", "dir": directory}


def _applepay(setup: dict[str, Path], *extra: str) -> Result:
    return run(
        "applepay-request", str(setup["token"]), "--key", str(setup["key"]),
        "--cert", str(setup["certificate"]), "--root", str(setup["root"]), "--at", AT,
        "--amount", "1000", "--currency", "EUR", "--order-id", "order-1", *extra,
    )  # fmt: skip


def test_applepay_request_paykka_masked_then_revealed(
    token_setup: dict[str, Path], key_dir: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    paykka = ["--provider", "paykka", "--signing-key", str(key_dir / "key.pem"),
              "--paykka-merchant-id", "18356675194960"]  # fmt: skip
    masked = _applepay(token_setup, *paykka)
    assert masked.exit_code == 0, masked.output
    shown = json.loads(masked.stdout)
    assert shown["masked"] is True
    assert PAN not in masked.stdout and CRYPTOGRAM not in masked.stdout
    assert "--reveal" in masked.stderr
    body = json.loads(shown["body"])
    assert body["payment"]["card_no"] == "411111******1111"
    assert body["payment"]["token_authentication"]["cryptogram"] == "<redacted>"
    assert (body["amount"], body["currency"], body["trans_id"]) == (1000, "EUR", "order-1")

    revealed = _applepay(token_setup, *paykka, "--reveal")
    real = json.loads(revealed.stdout)
    assert real["masked"] is False
    real_body = json.loads(real["body"])
    assert real_body["payment"] == {
        "payment_method": "APPLE_PAY",
        "card_no": PAN,
        "exp_year": "2029",
        "exp_month": "12",
        "holder_name": "Jane Appleseed",
        "token_authentication": {
            "cryptogram": CRYPTOGRAM,
            "token_format": "cryptogram_3ds",
            "eci": "7",
        },
    }
    # The masked output carries the signature of the real body (same time, deterministic RSA).
    assert shown["headers"] == real["headers"]
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id="18356675194960")
    verifier.verify(real["headers"], real["body"].encode("utf-8"))


def test_applepay_request_paykka_v3(token_setup: dict[str, Path], key_dir: Path) -> None:
    result = _applepay(
        token_setup, "--provider", "paykka", "--api", "v3", "--app-id", "A1",
        "--signing-key", str(key_dir / "key.pem"), "--paykka-merchant-id", "M",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["url"] == "https://openapi-sandbox.paykka.com/v3/payment/acq"
    assert document["headers"]["x-paykka-appid"] == "A1"


def test_applepay_request_refuses_an_order_differing_from_the_token(
    token_setup: dict[str, Path], key_dir: Path
) -> None:
    paykka = ["--provider", "paykka", "--signing-key", str(key_dir / "key.pem"),
              "--paykka-merchant-id", "M", "--json"]  # fmt: skip
    args = ["applepay-request", str(token_setup["token"]), "--key", str(token_setup["key"]),
            "--cert", str(token_setup["certificate"]), "--root", str(token_setup["root"]),
            "--at", AT, "--order-id", "o", *paykka]  # fmt: skip
    amount = run(*args, "--amount", "999", "--currency", "EUR")
    assert amount.exit_code == 1
    assert json.loads(amount.stdout)["error"]["code"] == "amount_mismatch"
    currency = run(*args, "--amount", "1000", "--currency", "USD")
    assert json.loads(currency.stdout)["error"]["code"] == "currency_mismatch"
    allowed = run(*args, "--amount", "999", "--currency", "EUR", "--allow-mismatch")
    assert allowed.exit_code == 0
    assert json.loads(json.loads(allowed.stdout)["body"])["amount"] == 999


def test_applepay_request_yabandpay(token_setup: dict[str, Path]) -> None:
    secret_file = token_setup["dir"] / "secret.txt"
    secret_file.write_text(SECRET)
    result = _applepay(
        token_setup, "--provider", "yabandpay", "--secret-key-file", str(secret_file),
        "--user", "016683", "--description", "test", "--notify-url", "https://shop.example/n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["url"] == "https://mapi.yabandpay.com/Payments"
    request = json.loads(document["body"])
    assert request["data"]["amount"] == "10.00"
    token = json.loads(token_setup["token"].read_text())
    assert json.loads(base64.b64decode(request["data"]["payment_token_object"])) == token
    expected = hmac.new(
        SECRET.encode(), request_string_to_sign(request).encode(), hashlib.sha256
    ).hexdigest()
    assert request["sign"] == expected


def test_applepay_request_paykka_decryption_without_keys(
    token_setup: dict[str, Path], key_dir: Path
) -> None:
    result = run(
        "applepay-request", str(token_setup["token"]), "--root", str(token_setup["root"]),
        "--at", AT, "--amount", "1000", "--currency", "EUR", "--order-id", "o",
        "--provider", "paykka", "--decryption", "paykka", "--signing-key",
        str(key_dir / "key.pem"), "--paykka-merchant-id", "M",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "NOT checked" in result.stderr
    payment = json.loads(json.loads(result.stdout)["body"])["payment"]
    assert json.loads(payment["token_data"]) == json.loads(token_setup["token"].read_text())


def test_applepay_request_setup_errors(
    token_setup: dict[str, Path], key_dir: Path, tmp_path: Path
) -> None:
    from applepay_crypto.trust import ROOT_ENV_VAR

    yabandpay = ["--provider", "yabandpay", "--order-id", "o", "--description", "d",
                 "--notify-url", "https://n.example", "--json"]  # fmt: skip
    # No --root and no installed Apple root: a setup error, exit 2.
    no_root = {"XDG_CONFIG_HOME": str(tmp_path), ROOT_ENV_VAR: None}
    result = run(
        "applepay-request", str(token_setup["token"]), "--key", str(token_setup["key"]),
        "--cert", str(token_setup["certificate"]), "--amount", "1000", "--currency", "EUR",
        *yabandpay, env=no_root,
    )  # fmt: skip
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "trust_root_missing"
    # A token too old for --max-age: rejected, exit 1.
    late = _applepay(token_setup, *yabandpay, "--max-age", "1s",
                     "--at", (NOW + dt.timedelta(minutes=1)).isoformat())  # fmt: skip
    assert late.exit_code == 1
    assert json.loads(late.stdout)["error"]["code"] == "signing_time_out_of_window"
    # Missing provider options are usage errors, found before the token is touched.
    missing = _applepay(token_setup, "--provider", "paykka")
    assert missing.exit_code == 2
    assert "--signing-key" in missing.output
    no_key = run("applepay-request", str(token_setup["token"]), "--provider", "paykka",
                 "--amount", "1", "--currency", "EUR", "--order-id", "o", "--signing-key",
                 str(key_dir / "key.pem"), "--paykka-merchant-id", "M")  # fmt: skip
    assert no_key.exit_code == 2
    assert "needs --key" in no_key.output


def test_applepay_request_shows_only_allow_listed_fields(
    token_setup: dict[str, Path], key_dir: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Review (#11): the printed body is masked by allow-list. An --extra field nobody
    declared safe is redacted even when the token stays encrypted for PayKKa; a body with
    nothing to hide is printed as signed, byte for byte, ready to send."""
    paykka = ["--provider", "paykka", "--signing-key", str(key_dir / "key.pem"),
              "--paykka-merchant-id", "M", "--decryption", "paykka"]  # fmt: skip
    plain = _applepay(token_setup, *paykka)
    assert plain.exit_code == 0, plain.output
    document = json.loads(plain.stdout)
    assert document["masked"] is False and "--reveal" not in plain.stderr
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id="M")
    verifier.verify(document["headers"], document["body"].encode())

    extra = token_setup["dir"] / "extra.json"
    extra.write_text(json.dumps({"notify_url": "https://shop.example/n", "shopper_email": "j@x"}))
    masked = _applepay(token_setup, *paykka, "--extra", str(extra))
    assert masked.exit_code == 0, masked.output
    document = json.loads(masked.stdout)
    assert document["masked"] is True and "--reveal" in masked.stderr
    body = json.loads(document["body"])
    assert body["shopper_email"] == "<redacted>"
    assert body["notify_url"] == "https://shop.example/n"
    assert json.loads(body["payment"]["token_data"]) == json.loads(token_setup["token"].read_text())
    revealed = json.loads(_applepay(token_setup, *paykka, "--extra", str(extra), "--reveal").stdout)
    assert json.loads(revealed["body"])["shopper_email"] == "j@x"
    assert revealed["headers"] == document["headers"]  # the signature covers the real body


def test_applepay_request_yabandpay_masks_unknown_extra_fields(
    token_setup: dict[str, Path],
) -> None:
    secret_file = token_setup["dir"] / "secret.txt"
    secret_file.write_text(SECRET)
    extra = token_setup["dir"] / "yabandpay-extra.json"
    extra.write_text(json.dumps({"request_id": "r-1", "shopper": "Jane"}))
    yabandpay = ["--provider", "yabandpay", "--secret-key-file", str(secret_file), "--user",
                 "016683", "--description", "t", "--notify-url", "https://shop.example/n",
                 "--extra", str(extra)]  # fmt: skip
    masked = json.loads(_applepay(token_setup, *yabandpay).stdout)
    assert masked["masked"] is True
    data = json.loads(masked["body"])["data"]
    assert (data["shopper"], data["request_id"]) == ("<redacted>", "r-1")
    real = json.loads(_applepay(token_setup, *yabandpay, "--reveal").stdout)
    assert real["masked"] is False
    request = json.loads(real["body"])
    assert request["data"]["shopper"] == "Jane"
    expected = hmac.new(
        SECRET.encode(), request_string_to_sign(request).encode(), hashlib.sha256
    ).hexdigest()
    assert request["sign"] == expected == json.loads(masked["body"])["sign"]
