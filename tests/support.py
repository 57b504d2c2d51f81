"""Helpers for tests: where the reference material in ../shared is, and its real vectors."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
APPLE_ROOT_PATH = SHARED / "apple" / "AppleRootCA-G3.cer"
REAL_VECTORS = SHARED / "vectors" / "real"
#: The user PIN of the SoftHSM2 tokens the tests create (conftest.softhsm_store).
SOFTHSM_PIN = "314159"


def require_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"{path} is absent: the reference material in ../shared is not checked out here"
        )
    return path


@dataclass(frozen=True)
class RealVector:
    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def signing_time(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.meta["signing_time"].replace("Z", "+00:00"))

    @property
    def decryptable(self) -> bool:
        return bool(self.meta["decryptable"])

    def expected(self) -> dict[str, Any]:
        return json.loads((self.path / "expected.json").read_text())


def real_vector_names() -> list[str]:
    if not REAL_VECTORS.is_dir():
        return ["(absent)"]
    return sorted(p.name for p in REAL_VECTORS.iterdir() if (p / "token.json").is_file())


def load_real_vector(name: str) -> RealVector:
    path = require_shared(REAL_VECTORS / name)
    return RealVector(name, path, json.loads((path / "meta.json").read_text()))


def pans_decrypted_in_threads(
    decryptor: Any, tokens: list[Any], *, threads: int, now: dt.datetime
) -> list[str]:
    """Every token decrypted by one shared ``decryptor`` from ``threads`` threads started
    together (issue #12, part 6); the PANs in token order. Any thread's error is raised."""
    results: dict[int, str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(worker: int) -> None:
        barrier.wait()
        try:
            for i in range(worker, len(tokens), threads):
                results[i] = decryptor.decrypt(tokens[i], now=now).payment_data.pan
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    started = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(tokens))]
