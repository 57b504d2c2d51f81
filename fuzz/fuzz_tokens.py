"""Coverage-guided fuzzing of applepay_crypto with atheris (libFuzzer), run by hand.

    python fuzz/fuzz_tokens.py --seed-corpus fuzz/corpus        # once: seeds per target
    python fuzz/fuzz_tokens.py TARGET fuzz/corpus/TARGET -max_total_time=600 -rss_limit_mb=1024

TARGET is one of ``token`` (parse_token on bytes and text), ``cms`` (parse_signed_data),
``signature`` (the input becomes the CMS of a valid minted token, then full verify and
decrypt), ``decrypt`` (the input is the token JSON, full verify and decrypt with the
right key and test root), ``payment`` (PaymentData.from_json), ``parsed`` (the input's
JSON value, of any type, into parse_token and the decryptor) and ``batch`` (the input as
decrypt-batch lines: one ordered result per line). An input passes when
it ends in a result or an ApplePayError; anything else is a crash, which libFuzzer saves
as ``crash-*``. Turn each into a vector with ``python -m applepay_crypto.testing.record_fuzz``
(add a case there) and a test in tests/security/test_hostile_inputs.py.

Keys and tokens come from a recorded minted vector (vectors/minted/accept), so a corpus
stays meaningful until the vectors are recorded again. Real tokens from
../shared/vectors/real join the seeds when present (they are never copied into the repo;
fuzz/corpus/ is ignored by git).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import atheris
import harness
from harness import text, write_seeds

with atheris.instrument_imports(include=["applepay_crypto", "asn1crypto"]):
    from applepay_crypto import ApplePayError, PaymentData, TokenDecryptor, parse_token
    from applepay_crypto.batch import BatchConfig, decrypt_blocks
    from applepay_crypto.cms import parse_signed_data
    from applepay_crypto.describe import describe_token
    from applepay_crypto.testing.vectors import _keys, _trust, load_vector

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "vectors"
REAL = REPO.parent / "shared" / "vectors" / "real"
_BASE = load_vector(VECTORS / "minted" / "accept" / "ec-v1-3dsecure.json")
_RSA = load_vector(VECTORS / "minted" / "accept" / "rsa-v1-3dsecure.json")
_NOW = dt.datetime.fromisoformat(_BASE["verify_at"].replace("Z", "+00:00"))
_DECRYPTOR = TokenDecryptor(
    [*_keys(_BASE), *_keys(_RSA)], trust=_trust(_BASE, None), max_age=dt.timedelta(minutes=5)
)
_TOKEN: dict[str, Any] = _BASE["input"]["json"]
_PLAINTEXT = _DECRYPTOR.decrypt(_TOKEN, now=_NOW).payment_data.raw_json
_BATCH = BatchConfig.from_objects(
    [*_keys(_BASE), *_keys(_RSA)], trust=_trust(_BASE, None), now=_NOW
)


def fuzz_token(data: bytes) -> None:
    for source in (data, text(data)):
        with contextlib.suppress(ApplePayError):
            parse_token(source)


def fuzz_cms(data: bytes) -> None:
    with contextlib.suppress(ApplePayError):
        parse_signed_data(data)


def fuzz_signature(data: bytes) -> None:
    token = {**_TOKEN, "signature": base64.b64encode(data).decode("ascii")}
    try:
        result = _DECRYPTOR.decrypt(token, now=_NOW)
    except ApplePayError:
        pass
    else:  # a CMS that still verifies must have been signed over the same token
        assert result.payment_data.raw_json == _PLAINTEXT
    with contextlib.suppress(ApplePayError):
        describe_token(parse_token(token))


def fuzz_decrypt(data: bytes) -> None:
    with contextlib.suppress(ApplePayError):
        _DECRYPTOR.decrypt(data, now=_NOW)


def fuzz_payment(data: bytes) -> None:
    try:
        payment = PaymentData.from_json(data)
    except ApplePayError:
        return
    repr(payment)
    payment.masked_dict()
    payment.to_dict()


def fuzz_parsed(data: bytes) -> None:
    """Review (#11): the input as already-parsed JSON of any type, as a framework hands it."""
    try:
        value = json.loads(text(data))
    except (ValueError, RecursionError):
        return
    for call in (parse_token, _DECRYPTOR.decrypt, _DECRYPTOR.verify):
        with contextlib.suppress(ApplePayError):
            call(value)


def fuzz_batch(data: bytes) -> None:
    """Review (#11): the input as decrypt-batch lines: one ordered result per line, never
    an exception."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    outputs: list[bytes] = []
    for block, codes in decrypt_blocks([data + b"\n"], _BATCH):
        produced = block.splitlines()
        assert len(produced) == len(codes)
        outputs += produced
    assert len(outputs) == len(lines)
    for output in outputs:
        json.loads(output)


TARGETS = {
    "token": fuzz_token,
    "cms": fuzz_cms,
    "signature": fuzz_signature,
    "decrypt": fuzz_decrypt,
    "payment": fuzz_payment,
    "parsed": fuzz_parsed,
    "batch": fuzz_batch,
}


def _seed_tokens() -> list[dict[str, Any]]:
    tokens = []
    for path in sorted(VECTORS.rglob("*.json")):
        try:
            vector = json.loads(path.read_text())
        except (ValueError, RecursionError):
            continue
        source = vector.get("input", {}) if isinstance(vector, dict) else {}
        if isinstance(source.get("json"), dict):
            tokens.append(source["json"])
    if REAL.is_dir():
        tokens += [json.loads(p.read_text()) for p in sorted(REAL.glob("*/token.json"))]
    return tokens


def seed_corpus(directory: Path) -> None:
    """A directory per target, seeded from the vectors (and ../shared's real tokens)."""
    tokens = _seed_tokens()
    seeds: dict[str, list[bytes]] = {name: [] for name in TARGETS}
    for token in tokens:
        raw = json.dumps(token).encode()
        seeds["token"].append(raw)
        seeds["decrypt"].append(raw)
        inner = token.get("paymentData", token.get("token", {}).get("paymentData", token))
        if isinstance(inner, dict) and isinstance(inner.get("signature"), str):
            signature = base64.b64decode(inner["signature"])
            seeds["cms"].append(signature)
            seeds["signature"].append(signature)
    seeds["payment"].append(_PLAINTEXT)
    seeds["parsed"] += [b"null", b"[]", b"1", b'{"token": null}', *seeds["token"][:8]]
    seeds["batch"] += [b'{"id":1,"token":[]}\n{"token":null}\n' + raw for raw in seeds["token"][:8]]
    write_seeds(directory, seeds)


def main() -> None:
    harness.main(TARGETS, seed_corpus)


if __name__ == "__main__":
    main()
