"""Coverage-guided fuzzing of paykka_sign with atheris (libFuzzer), run by hand.

    python fuzz/fuzz_paykka.py --seed-corpus fuzz/corpus-paykka      # once: seeds per target
    python fuzz/fuzz_paykka.py TARGET fuzz/corpus-paykka/TARGET -max_total_time=300

TARGET is one of ``v12`` (PaykkaV12Verifier on the input as the body, once with a junk
signature and once signed by the test key, so the code after the signature runs),
``v3`` (PaykkaV3Verifier likewise, the input also split into headers), ``yabandpay``
(verify_notification on the input as bytes, as text and parsed, and signed) and
``canonical`` (the input parsed as a field mapping: canonical_string must be refused or
parse back into the normalised mapping: injectivity, review (#11)). An input passes when it
ends in a result or a PaykkaSignError; anything else is a crash (``crash-*``). Record each
in paykka_sign/testing/record_fuzz.py and add a test in tests/paykka_sign.

The RSA key is generated per run (signatures are recomputed per input, so a corpus stays
valid across runs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import atheris
import harness
from harness import text, write_seeds

with atheris.instrument_imports(include=["paykka_sign"]):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from paykka_sign import (
        PaykkaSignError,
        PaykkaV3Signer,
        PaykkaV3Verifier,
        PaykkaV12Signer,
        PaykkaV12Verifier,
        YabandPaySigner,
    )
    from paykka_sign.yabandpay import (
        EmptyValues,
        canonical_string,
        hmac_sha256_hex,
        normalised_fields,
        notification_string_to_sign,
    )

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_NOW = dt.datetime(2025, 9, 9, 3, 11, 7, tzinfo=dt.timezone.utc)
_SECRET = "fuzz-secret"  # noqa: S105 (a test secret)
_V12 = PaykkaV12Verifier(_KEY.public_key(), merchant_id="M1", window=dt.timedelta(days=1))
_V3 = PaykkaV3Verifier(_KEY.public_key(), app_id="A1", clock=lambda: _NOW)
_YB = YabandPaySigner(_SECRET)


def fuzz_v12(data: bytes) -> None:
    for body in (data, text(data)):
        with contextlib.suppress(PaykkaSignError):
            _V12.verify({"signature": "AAAA", "type": "RSA256"}, body, now=_NOW)
    try:
        signed = PaykkaV12Signer(_KEY).sign(data, merchant_id="M1", timestamp=1757387467000)
    except PaykkaSignError:
        return
    with contextlib.suppress(PaykkaSignError):
        message = _V12.verify(signed.headers, signed.body, now=_NOW)
        assert message.merchant_id == "M1"
        message.json()


def fuzz_v3(data: bytes) -> None:
    head, _, body = data.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in text(head).split("\n"):
        name, _, value = line.partition(":")
        headers[name] = value
    for given in (headers, {**headers, "x-paykka-sign": "AAAA"}):
        with contextlib.suppress(PaykkaSignError):
            _V3.verify("POST", "/hooks/paykka", given, body)
    signed = PaykkaV3Signer(_KEY, app_id="A1").sign("POST", "/hooks/paykka", body, now=_NOW)
    merged = {**headers, **signed.headers}
    with contextlib.suppress(PaykkaSignError):
        _V3.verify("POST", "/hooks/paykka", merged, body).json()


def fuzz_yabandpay(data: bytes) -> None:
    for source in (data, text(data)):
        with contextlib.suppress(PaykkaSignError):
            _YB.verify_notification(source)
    try:
        parsed: Any = json.loads(data)
    except (ValueError, RecursionError):
        return
    with contextlib.suppress(PaykkaSignError):
        _YB.verify_notification(parsed)
    inner: Any = parsed.get("data") if isinstance(parsed, dict) else parsed
    try:
        sign = hmac_sha256_hex(_SECRET.encode(), notification_string_to_sign(inner))
    except PaykkaSignError:
        return
    # What was signed comes back: the fields as their text (normalised_fields).
    signed = normalised_fields({k: v for k, v in inner.items() if k != "sign"})
    assert _YB.verify_notification({"sign": sign, "data": inner}) == signed


def _parse_back(string: str) -> dict[str, str]:
    """The one mapping a canonical string can come from: pairs split at "&", each at its
    first "=" (keys hold neither, values no "&")."""
    if not string:
        return {}
    return dict(pair.split("=", 1) for pair in string.split("&"))


def fuzz_canonical(data: bytes) -> None:
    try:
        fields: Any = json.loads(data)
    except (ValueError, RecursionError):
        fields = {text(data[:8]): text(data[8:])}
    policies: tuple[EmptyValues, ...] = ("keep", "omit")
    for policy in policies:
        try:
            string = canonical_string(fields, empty_values=policy)
        except PaykkaSignError:
            continue
        assert _parse_back(string) == normalised_fields(fields, empty_values=policy)


TARGETS = {
    "v12": fuzz_v12,
    "v3": fuzz_v3,
    "yabandpay": fuzz_yabandpay,
    "canonical": fuzz_canonical,
}


def seed_corpus(directory: Path) -> None:
    body = b'{"merchant_id":"M1","timestamp":1757387467000,"amount":445,"data":{"a":[1]}}'
    seeds = {
        "v12": [body, b'{"data":{"merchant_id":"M1","timestamp":"1757387467000"}}', b"[[[]]]"],
        "v3": [
            b"x-paykka-timestamp:1757387467000\nx-paykka-nonce:0123456789abcdef\n"
            b"x-paykka-appid:A1\n\n" + body,
            b"x-paykka-appid:B2\n\n",
        ],
        "yabandpay": [
            json.dumps({"sign": "0" * 64, "data": {"order_id": "o1", "state": "paid"}}).encode(),
            b'{"sign":"00","data":{"remark":"hi&status=paid","n":null,"i":1}}',
        ],
        "canonical": [
            b'{"a":"1","b":"x=y","c":null,"d":7}',
            b'{"remark":"hi&status=paid"}',
            b'{"a=b":"c","":""}',
        ],
    }
    write_seeds(directory, seeds)


def main() -> None:
    harness.main(TARGETS, seed_corpus)


if __name__ == "__main__":
    main()
