"""Helpers for the security tests: racing processes, and the secrets to search output for."""

from __future__ import annotations

import base64
import datetime as dt
import json
import multiprocessing
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from applepay_crypto import ApplePayError, MerchantKey, TokenDecryptor, TrustStore
from applepay_crypto.keys import load_certificate
from applepay_crypto.replay import SQLiteReplayGuard
from applepay_crypto.testing import luhn_check_digit

RACERS = 4


def context() -> Any:
    """fork where there is one (fast; also exercises a guard inherited by a child)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def race(target: Callable[..., None], args: Iterable[tuple[Any, ...]]) -> list[Any]:
    """Run ``target(*args, barrier, queue)`` in one process per args tuple, all released at
    once by a barrier; returns what each put on the queue."""
    ctx = context()
    arg_list = list(args)
    barrier = ctx.Barrier(len(arg_list))
    queue = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*a, barrier, queue)) for a in arg_list]
    for process in processes:
        process.start()
    results: list[Any] = []
    deadline = time.monotonic() + 60
    while len(results) < len(processes):
        try:
            results.append(queue.get(timeout=0.2))
        except Empty:
            failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            assert not failed and time.monotonic() < deadline, f"racers failed: {failed}"
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return results


def sqlite_racer(
    guard: SQLiteReplayGuard, ids: list[str], signing_time: dt.datetime, barrier: Any, queue: Any
) -> None:
    wins = []
    for transaction_id in ids:
        barrier.wait(timeout=30)
        wins.append(not guard.seen(transaction_id, signing_time))
    queue.put(wins)


def sqlite_open_racer(
    paths: list[str], transaction_id: str, signing_time: dt.datetime, barrier: Any, queue: Any
) -> None:
    """Open a guard on a new database at the same moment as the others, then race."""
    wins = []
    for path in paths:
        barrier.wait(timeout=30)
        wins.append(not SQLiteReplayGuard(path).seen(transaction_id, signing_time))
    queue.put(wins)


def redis_racer(
    url: str, prefix: str, ids: list[str], signing_time: dt.datetime, barrier: Any, queue: Any
) -> None:
    from applepay_crypto.replay_redis import RedisReplayGuard

    guard = RedisReplayGuard.from_url(url, prefix=prefix)  # one client per process
    wins = []
    for transaction_id in ids:
        barrier.wait(timeout=30)
        wins.append(not guard.seen(transaction_id, signing_time))
    queue.put(wins)


@dataclass(frozen=True)
class DecryptSetup:
    """Everything a child process needs to decrypt a minted token (picklable)."""

    key_pem: bytes
    certificate_pem: bytes
    root_pem: bytes
    token: dict[str, Any]
    now: dt.datetime

    def decryptor(self, guard: Any) -> TokenDecryptor:
        return TokenDecryptor(
            MerchantKey.load(self.key_pem, certificate=self.certificate_pem),
            trust=TrustStore.for_test_roots([load_certificate(self.root_pem)]),
            replay_guard=guard,
        )


def decrypt_outcome(decryptor: TokenDecryptor, token: Any, now: dt.datetime) -> str:
    try:
        decryptor.decrypt(token, now=now)
    except ApplePayError as exc:
        return exc.code
    return "ok"


def decrypt_racer(
    setup: DecryptSetup, guard_spec: tuple[str, str], barrier: Any, queue: Any
) -> None:
    kind, where = guard_spec
    guard: Any
    if kind == "sqlite":
        guard = SQLiteReplayGuard(where)
    else:
        from applepay_crypto.replay_redis import RedisReplayGuard

        url, prefix = where.split(" ", 1)
        guard = RedisReplayGuard.from_url(url, prefix=prefix)
    decryptor = setup.decryptor(guard)
    barrier.wait(timeout=30)
    queue.put(decrypt_outcome(decryptor, setup.token, setup.now))


def cli_decrypt_args(setup: DecryptSetup, directory: Path) -> list[str]:
    (directory / "token.json").write_text(json.dumps(setup.token))
    (directory / "key.pem").write_bytes(setup.key_pem)
    (directory / "key.pem").chmod(0o600)
    (directory / "cert.pem").write_bytes(setup.certificate_pem)
    (directory / "root.pem").write_bytes(setup.root_pem)
    return [
        "decrypt",
        str(directory / "token.json"),
        "--key",
        str(directory / "key.pem"),
        "--cert",
        str(directory / "cert.pem"),
        "--root",
        str(directory / "root.pem"),
        "--at",
        setup.now.isoformat(),
        "--json",
    ]


# --- secrets ---------------------------------------------------------------------------


def distinctive_pan() -> str:
    """A Luhn-valid 16-digit number whose digits after the BIN are random: finding them in
    output cannot be a coincidence."""
    body = "400009" + "".join(str(secrets.randbelow(10)) for _ in range(9))
    return body + luhn_check_digit(body)


def distinctive_cryptogram() -> str:
    return base64.b64encode(b"CRYPTOGRAM" + secrets.token_bytes(14)).decode("ascii")


def payload_needles(payload: dict[str, Any]) -> dict[str, str]:
    """What must never appear: the PAN (whole, and everything after the BIN that a mask
    would hide), the cryptogram, EMV data, PIN block and every authenticationData."""
    pan = payload["applicationPrimaryAccountNumber"]
    needles = {"pan": pan, "pan-hidden-digits": pan[6:-4]}
    inner = payload.get("paymentData", {})
    for field in ("onlinePaymentCryptogram", "emvData", "encryptedPINData"):
        if isinstance(inner.get(field), str):
            needles[field] = inner[field]
            raw = _b64_or_none(inner[field])
            if raw is not None and len(raw) >= 8:
                needles[f"{field}-hex"] = raw.hex()
    # Review (#11): each merchant's cryptogram in a multi-merchant payment.
    responses = payload.get("authenticationResponses")
    for index, response in enumerate(responses if isinstance(responses, list) else []):
        data = response.get("authenticationData") if isinstance(response, dict) else None
        if isinstance(data, str) and len(data) >= 8:
            needles[f"authenticationData-{index}"] = data
    return needles


def _b64_or_none(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def key_needles(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> dict[str, str]:
    """The private key as PEM body lines, DER in base64 and hex, and its secret numbers."""
    needles: dict[str, str] = {}
    for name, fmt in (
        ("pkcs8", serialization.PrivateFormat.PKCS8),
        ("traditional", serialization.PrivateFormat.TraditionalOpenSSL),
    ):
        der = key.private_bytes(serialization.Encoding.DER, fmt, serialization.NoEncryption())
        needles[f"{name}-der-hex"] = der.hex()
        b64 = base64.b64encode(der).decode("ascii")
        # Any 64-character PEM line of the key body (skipping the first: it is a common
        # ASN.1 prefix shared with other keys).
        for index in range(64, len(b64) - 64, 64):
            needles[f"{name}-pem-line-{index // 64}"] = b64[index : index + 64]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        secret_numbers = {"d": key.private_numbers().private_value}
    else:
        numbers = key.private_numbers()
        secret_numbers = {"d": numbers.d, "p": numbers.p, "q": numbers.q}
    for name, value in secret_numbers.items():
        needles[f"{name}-decimal"] = str(value)
        needles[f"{name}-hex"] = format(value, "x")
        needles[f"{name}-HEX"] = format(value, "X")
    return needles


def leaks(text: str, needles: dict[str, str]) -> list[str]:
    """The names of the needles found in ``text``."""
    return [name for name, needle in needles.items() if needle and needle in text]
