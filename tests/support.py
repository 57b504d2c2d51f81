"""Helpers for tests: where the reference material in ../shared is, and its real vectors."""

from __future__ import annotations

import datetime as dt
import json
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
