"""Every recorded paykka_sign fuzz finding (vectors/psp/fuzz) is refused with its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from paykka_sign.testing.record_fuzz import FORMAT, record, run_vector

DIRECTORY = Path(__file__).resolve().parents[2] / "vectors" / "psp" / "fuzz"
FILES = sorted(DIRECTORY.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="ascii"))
    assert document["format"] == FORMAT
    return document


def test_findings_are_recorded() -> None:
    names = {path.stem for path in FILES}
    assert len(names) >= 15
    for required in (
        "v12-body-2k-nested-arrays",
        "v12-signed-for-another-merchant",
        "v3-another-app-id",
        "yabandpay-notification-2k-nested-arrays",
        "yabandpay-folded-field",
    ):
        assert required in names


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_vector(path: Path) -> None:
    vector = _load(path)
    assert run_vector(vector) == vector["expected"]


def test_recorder_rerun_gives_the_same_set(tmp_path: Path) -> None:
    count = record(tmp_path / "fuzz")
    assert count == len(FILES)
    assert {p.name for p in (tmp_path / "fuzz").glob("*.json")} == {p.name for p in FILES}
