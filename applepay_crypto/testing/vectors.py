"""The recorded vector format, and running one vector through the library.

A vector is one self-contained JSON file::

    {
      "format": "applepay-crypto-vector/1",
      "name": "...", "description": "...", "recorded_by": "...",
      "input": {"json": <token object>} | {"text": "<token as sent>"},
      "trust": {"root_pem": "<test root>"} | {"apple": true},
      "keys": [{"private_key_pem": "...", "certificate_pem": "..." | null,
                "merchant_id": "..." | null}],
      "verify_at": "2026-01-15T12:00:30Z",
      "max_age_seconds": 300,
      "expected": {"payment_data": {...}, "version": "...", "transaction_id": "..."}
                | {"verified": true}            (no keys: signature only)
                | {"error": "<code>"}
    }

``trust.apple`` vectors need Apple Root CA - G3, which this repository does not hold:
their runner is given the root by the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509

from ..decryptor import TokenDecryptor
from ..errors import ApplePayError
from ..keys import MerchantKey, load_certificate
from ..signature import TokenVerifier
from ..token import parse_token
from ..trust import TrustStore

__all__ = ["FORMAT", "load_vector", "recorder_main", "run_vector", "vector_files"]

FORMAT = "applepay-crypto-vector/1"


def vector_files(directory: str | Path) -> list[Path]:
    return sorted(p for p in Path(directory).rglob("*.json") if _is_vector(p))


def _is_vector(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text()).get("format") == FORMAT)
    except (ValueError, AttributeError, UnicodeDecodeError):
        return False


def load_vector(path: str | Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(Path(path).read_text())
    if document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    return document


def _trust(vector: dict[str, Any], apple_root: x509.Certificate | None) -> TrustStore:
    if vector["trust"].get("apple"):
        if apple_root is None:
            raise LookupError("this vector needs Apple Root CA - G3")
        return TrustStore.apple_root(apple_root)
    return TrustStore.for_test_roots([load_certificate(vector["trust"]["root_pem"].encode())])


def _keys(vector: dict[str, Any]) -> list[MerchantKey]:
    return [
        MerchantKey.load(
            entry["private_key_pem"].encode(),
            certificate=entry["certificate_pem"].encode() if entry.get("certificate_pem") else None,
            merchant_id=entry.get("merchant_id"),
        )
        for entry in vector["keys"]
    ]


def run_vector(
    vector: dict[str, Any], *, apple_root: x509.Certificate | None = None
) -> dict[str, Any]:
    """The outcome, in the shape of ``expected``."""
    token_input = vector["input"]
    source: Any = token_input["json"] if "json" in token_input else token_input["text"]
    now = dt.datetime.fromisoformat(vector["verify_at"].replace("Z", "+00:00"))
    max_age = dt.timedelta(seconds=vector["max_age_seconds"])
    try:
        trust = _trust(vector, apple_root)
        if not vector["keys"]:
            TokenVerifier(trust, max_age=max_age).verify(parse_token(source), now=now)
            return {"verified": True}
        result = TokenDecryptor(_keys(vector), trust=trust, max_age=max_age).decrypt(
            source, now=now
        )
    except ApplePayError as exc:
        return {"error": exc.code}
    return {
        "payment_data": result.payment_data.to_dict(),
        "version": result.version,
        "transaction_id": result.transaction_id,
    }


def recorder_main(
    record: Callable[[Path], int], *, command: str, what: str, argv: list[str] | None
) -> int:
    """The command line of every recorder: ``COMMAND DIRECTORY``, then one summary line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: {command} DIRECTORY", file=sys.stderr)
        return 2
    count = record(Path(args[0]))
    print(f"recorded {count} {what} under {args[0]}")
    return 0
