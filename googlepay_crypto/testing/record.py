"""Record the project's Google Pay vectors: ``python -m googlepay_crypto.testing.record OUTDIR``.

Every case is sealed afresh under new test keys, run through the library, and written only if
the library's outcome is the one the case declares: the recorder never records a vector that
fails. The ``*.json`` files of OUTDIR are replaced whole; its README.md is left alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .._time import from_millis, utc_text
from .cases import Case, cases
from .keys import private_pem
from .vectors import FORMAT, run_vector

__all__ = ["document", "main", "record"]

_RECORDED_BY = "python -m googlepay_crypto.testing.record"


def document(case: Case) -> dict[str, Any]:
    roots = case.root_keys or case.world.roots
    intermediate = case.intermediate or case.world.intermediate
    signing = case.world.roots
    return {
        "format": FORMAT,
        "name": case.name,
        "description": case.description,
        "recorded_by": _RECORDED_BY,
        "protocol_version": case.protocol_version,
        "sender_id": "Google",
        "recipient_id": case.recipient_id,
        "root_keys_json": roots.keys_json(),
        "keys": {
            "merchant_private_keys_pem": [private_pem(k) for k in case.merchant_keys],
            "root_private_keys_pem": {
                k.protocol_version: private_pem(k.private_key) for k in signing.keys
            },
            "intermediate_private_key_pem": private_pem(intermediate.private_key),
        },
        "token": case.token,
        "now": case.now_ms,
        "now_iso": utc_text(from_millis(case.now_ms)),
        "call": case.call,
        "expect": case.expect,
    }


def record(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    documents = [document(case) for case in cases()]
    for doc in documents:
        outcome = run_vector(doc)
        if outcome != doc["expect"]:
            raise SystemExit(
                f"{doc['name']}: the library gives {outcome}, expected {doc['expect']}"
            )
    for old in directory.glob("*.json"):
        old.unlink()
    paths = []
    for doc in documents:
        path = directory / f"{doc['name']}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m googlepay_crypto.testing.record OUTDIR", file=sys.stderr)
        return 2
    paths = record(Path(args[0]))
    print(f"wrote {len(paths)} vectors to {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
