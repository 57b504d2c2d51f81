"""Record paykka_sign's fuzz findings into ``vectors/psp/fuzz``.

    python -m paykka_sign.testing.record_fuzz vectors/psp/fuzz

Every input that once crashed or fooled paykka_sign (review (#11), the hypothesis suite,
``fuzz/fuzz_paykka.py``) is built here deterministically, run through the library, and
written only if the library answers with the expected code. The directory is this
recorder's alone (``vectors/fuzz/`` belongs to applepay_crypto's recorder, which empties
it): it is emptied and rewritten. Nobody edits these files by hand.

Signed cases carry their signature and the TEST public key that checks it; the private
key is generated per run and never written.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto.testing.vectors import recorder_main

from ..errors import PaykkaSignError
from ..keys import load_public_key, public_key_base64
from ..paykka_v3 import PaykkaV3Signer, PaykkaV3Verifier
from ..paykka_v12 import PaykkaV12Signer, PaykkaV12Verifier
from ..yabandpay import YabandPaySigner

__all__ = ["FORMAT", "main", "record", "run_vector"]

FORMAT = "paykka-sign-fuzz-vector/1"
_RECORDED_BY = "python -m paykka_sign.testing.record_fuzz"
#: The verifiers' configuration every vector is run under.
MERCHANT_ID = "M1"
APP_ID = "A1"
SECRET = "paykka-fuzz-test-secret"  # noqa: S105 (a test secret, written into the vectors)
NOW = dt.datetime(2025, 9, 9, 3, 11, 7, tzinfo=dt.timezone.utc)
WEBHOOK_PATH = "/hooks/paykka"


def _body(source: dict[str, Any]) -> Any:
    if "base64" in source:
        return base64.b64decode(source["base64"])
    if "text" in source:
        return source["text"]
    return source["json"]


def run_vector(vector: dict[str, Any]) -> dict[str, str]:
    """``{"error": code}`` or ``{"accepted": "yes"}``; any other exception propagates."""
    target, source = vector["target"], vector["input"]
    try:
        if target == "v12_verify":
            key = load_public_key(vector["public_key"])
            PaykkaV12Verifier(key, merchant_id=MERCHANT_ID).verify(
                source.get("headers", {"signature": "AAAA"}), _body(source)
            )
        elif target == "v3_verify":
            key = load_public_key(vector["public_key"])
            PaykkaV3Verifier(key, app_id=APP_ID).verify(
                "POST", WEBHOOK_PATH, source["headers"], _body(source), now=NOW
            )
        elif target == "yabandpay_notification":
            YabandPaySigner(SECRET).verify_notification(_body(source))
        elif target == "yabandpay_secret":
            YabandPaySigner(_body(source))
        else:
            raise ValueError(f"unknown target {target!r}")
    except PaykkaSignError as exc:
        return {"error": exc.code}
    return {"accepted": "yes"}


def _notification(data: Any, naive_string: str) -> dict[str, Any]:
    """Signed over the string YabandPay's own SDK would build: what a genuine notification
    with these values would carry."""
    sign = hmac.new(SECRET.encode(), naive_string.encode(), hashlib.sha256).hexdigest()
    return {"sign": sign, "data": data}


def _cases(key: rsa.RSAPrivateKey) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """(name, description, target, input, expected code)."""
    deep = "[" * 2048 + "]" * 2048
    yield (
        "v12-body-2k-nested-arrays",
        "crasher (RecursionError before any signature check; review #11): a v1.2 body of "
        "2048 nested arrays",
        "v12_verify",
        {"text": deep},
        "malformed_body",
    )
    yield (
        "v12-merchant-id-lone-surrogate",
        'crasher (UnicodeEncodeError; review #11): a merchant_id "\\ud800" in the body',
        "v12_verify",
        {"text": '{"merchant_id":"\\ud800","timestamp":1}'},
        "malformed_body",
    )
    other = PaykkaV12Signer(key).sign(b'{"merchant_id":"M2","timestamp":1757387467000}')
    yield (
        "v12-signed-for-another-merchant",
        "bypass (review #11): a genuine notification signed by PayKKa for merchant M2, "
        "received by merchant M1's verifier",
        "v12_verify",
        {"text": other.body.decode(), "headers": dict(other.headers)},
        "recipient_mismatch",
    )
    v3 = PaykkaV3Signer(key, app_id="B2").sign("POST", WEBHOOK_PATH, b"{}", now=NOW)
    yield (
        "v3-another-app-id",
        "bypass (review #11): a genuine v3 webhook whose x-paykka-appid names app B2, "
        "received by app A1's verifier",
        "v3_verify",
        {"text": "{}", "headers": dict(v3.headers)},
        "recipient_mismatch",
    )
    yield (
        "v3-body-lone-surrogate-text",
        "crasher (UnicodeEncodeError): a v3 body given as text holding a lone surrogate",
        "v3_verify",
        {"text": "\ud800", "headers": dict(v3.headers)},
        "malformed_body",
    )
    yield (
        "yabandpay-notification-2k-nested-arrays",
        "crasher (RecursionError; review #11): a notification whose data nests 2048 arrays",
        "yabandpay_notification",
        {"text": '{"sign":"00","data":' + deep + "}"},
        "malformed_body",
    )
    for where, data in (("key", '{"\\ud800":"x"}'), ("value", '{"x":"\\udcff"}')):
        yield (
            f"yabandpay-notification-surrogate-{where}",
            f"crasher (UnicodeEncodeError; review #11): a lone surrogate escape in a {where}",
            "yabandpay_notification",
            {"text": '{"sign":"00","data":' + data + "}"},
            "malformed_body",
        )
    parsed_values: list[Any] = [None, True, [], 1]
    for index, parsed in enumerate(parsed_values):
        yield (
            f"yabandpay-notification-parsed-not-object-{index}",
            f"crasher (AttributeError; review #11): already-parsed JSON {json.dumps(parsed)}",
            "yabandpay_notification",
            {"json": parsed},
            "malformed_body",
        )
    yield (
        "yabandpay-folded-field",
        "bypass (review #11): a notification whose remark 'hi&status=paid' was signed is "
        "re-sent with the remark value carrying the folded field; the value with '&' is "
        "refused",
        "yabandpay_notification",
        {"json": _notification({"remark": "hi&status=paid"}, "remark=hi&status=paid")},
        "malformed_body",
    )
    yield (
        "yabandpay-key-with-equals",
        "bypass (review #11): a key holding '=' (a=b: c signs like a: b=c)",
        "yabandpay_notification",
        {"json": _notification({"a=b": "c"}, "a=b=c")},
        "malformed_body",
    )
    yield (
        "yabandpay-secret-not-text",
        "leak (review #11): a secret given as text with a lone surrogate; the codec's "
        "message would quote it",
        "yabandpay_secret",
        {"text": "secret-\ud800"},
        "invalid_key",
    )


def record(directory: Path) -> int:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    count = 0
    for name, description, target, source, code in _cases(key):
        document = {
            "format": FORMAT,
            "name": name,
            "description": description,
            "recorded_by": _RECORDED_BY,
            "target": target,
            "public_key": public_key_base64(key),
            "input": source,
            "expected": {"error": code},
        }
        # Written as it will be read back: JSON escapes for lone surrogates.
        text = json.dumps(document, indent=2) + "\n"
        outcome = run_vector(json.loads(text))
        if outcome != document["expected"]:
            raise SystemExit(f"{name}: the library gives {outcome}, expected {code}")
        (directory / f"{name}.json").write_text(text, encoding="ascii")
        count += 1
    (directory / "README.md").write_text(
        f"Recorded by `{_RECORDED_BY} vectors/psp/fuzz`; do not edit.\n\n"
        "Inputs that crashed or fooled paykka_sign (review #11, tests/paykka_sign, "
        "fuzz/fuzz_paykka.py); each must be refused with the code in `expected`. Run by "
        "tests/paykka_sign/test_fuzz_vectors.py. Keys are TEST keys.\n"
    )
    return count


def main(argv: list[str] | None = None) -> int:
    return recorder_main(record, command=_RECORDED_BY, what="paykka_sign fuzz vectors", argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
