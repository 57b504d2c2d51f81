"""Record the project's vectors: ``python -m applepay_crypto.testing.record vectors/``.

Every vector is minted afresh under a new test authority, run through the library, and
written only if the library's outcome is the one the case declares: the recorder never
records a vector that fails. Files are written whole; nobody edits them by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding

from ..keys import load_certificate
from .authority import TestAuthority
from .cases import AUTHORITY_FROM, SIGNED_AT, VERIFY_AT, Case, World, negative_cases, positive_cases
from .merchant import TestMerchant
from .mint import mint
from .payload import sample_payload
from .vectors import FORMAT, recorder_main, run_vector

__all__ = ["SIGNED_AT", "VERIFY_AT", "main", "record"]

_RECORDED_BY = "python -m applepay_crypto.testing.record"
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def _pem(cert: Any) -> str:
    return str(cert.public_bytes(Encoding.PEM).decode("ascii"))


def _key_entry(merchant: TestMerchant, *, merchant_id_only: bool) -> dict[str, Any]:
    pem = merchant.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return {
        "private_key_pem": pem,
        "certificate_pem": None if merchant_id_only else _pem(merchant.certificate),
        "merchant_id": merchant.merchant_id if merchant_id_only else None,
    }


def _document(case: Case, world: World) -> dict[str, Any]:
    root = (case.root or world.authority).root.certificate
    return {
        "format": FORMAT,
        "name": case.name,
        "description": case.description,
        "recorded_by": _RECORDED_BY,
        "input": {"json": case.token} if isinstance(case.token, dict) else {"text": case.token},
        "trust": {"root_pem": _pem(root)},
        "keys": [_key_entry(m, merchant_id_only=case.merchant_id_only) for m in case.keys],
        "verify_at": case.verify_at.strftime(_ISO),
        "max_age_seconds": 300,
        "expected": case.expected,
    }


def _write(path: Path, document: dict[str, Any]) -> None:
    outcome = run_vector(document, apple_root=None)
    if outcome != document["expected"]:
        raise SystemExit(
            f"{path.name}: the library gives {outcome}, the case expects {document['expected']}"
        )
    path.write_text(json.dumps(document, indent=2) + "\n")


def record_demo(world: World, directory: Path) -> None:
    """``vectors/demo/``: the files the README's first command decrypts."""
    if directory.exists():
        shutil.rmtree(directory)
    world.authority.save(directory / "ca")
    world.ec.save(directory)
    payload = sample_payload(cardholder_name="Jane Appleseed")
    token = mint(payload, recipient=world.ec, authority=world.authority, signing_time=SIGNED_AT)
    (directory / "token.json").write_text(json.dumps(token, indent=2) + "\n")
    (directory / "README.md").write_text(
        "Recorded by `python -m applepay_crypto.testing.record`; do not edit.\n\n"
        f"A test token signed at {SIGNED_AT.strftime(_ISO)} by the test authority in `ca/`, "
        "encrypted to `merchant.key` / `merchant.pem`:\n\n"
        "    applepay-crypto decrypt vectors/demo/token.json --key vectors/demo/merchant.key \\\n"
        "      --cert vectors/demo/merchant.pem --root vectors/demo/ca/root.pem "
        f"--at {VERIFY_AT.strftime(_ISO)}\n"
    )


def record_real(directory: Path, shared: Path) -> None:
    """The project brief's real sandbox token (signature only), when ../shared is present."""
    source = shared / "vectors" / "real" / "yabandpay-doc-sandbox-2025"
    if not source.is_dir():
        print(f"skipped the real sandbox vector: {source} is absent", file=sys.stderr)
        return
    meta = json.loads((source / "meta.json").read_text())
    signed = dt.datetime.fromisoformat(meta["signing_time"].replace("Z", "+00:00"))
    document = {
        "format": FORMAT,
        "name": "yabandpay-doc-sandbox-2025",
        "description": (
            "real Apple sandbox token from YabandPay's documentation (the project brief); "
            "no merchant key is public: signature only"
        ),
        "recorded_by": _RECORDED_BY,
        "input": {"json": json.loads((source / "token.json").read_text())},
        "trust": {"apple": True},
        "keys": [],
        "verify_at": (signed + dt.timedelta(seconds=30)).strftime(_ISO),
        "max_age_seconds": 300,
        "expected": {"verified": True},
    }
    root = load_certificate(shared / "apple" / "AppleRootCA-G3.cer")
    if run_vector(document, apple_root=root) != document["expected"]:
        raise SystemExit("the real sandbox vector does not verify")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "yabandpay-doc-sandbox-2025.json").write_text(
        json.dumps(document, indent=2) + "\n"
    )


def record(directory: Path, *, shared: Path | None = None) -> int:
    authority = TestAuthority.create(not_before=AUTHORITY_FROM)
    world = World(
        authority=authority,
        ec=TestMerchant.create(authority, merchant_id="merchant.com.example.vectors"),
        rsa=TestMerchant.create(
            authority, merchant_id="merchant.com.example.vectors.rsa", key_type="rsa"
        ),
        ec_renewed=TestMerchant.create(authority, merchant_id="merchant.com.example.vectors"),
    )
    minted = directory / "minted"
    if minted.exists():
        shutil.rmtree(minted)
    minted.mkdir(parents=True)
    count = 0
    for group, cases in (("accept", positive_cases(world)), ("reject", negative_cases(world))):
        (minted / group).mkdir()
        for case in cases:
            _write(minted / group / f"{case.name}.json", _document(case, world))
            count += 1
    record_demo(world, directory / "demo")
    record_real(directory / "real", shared or Path.cwd().parent / "shared")
    return count


def main(argv: list[str] | None = None) -> int:
    what = "minted vectors, the demo and the real sandbox vector"
    return recorder_main(record, command=_RECORDED_BY, what=what, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
