"""Every file in vectors/ is a test: adding a vector adds a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from applepay_crypto.cli import main
from applepay_crypto.keys import load_certificate
from applepay_crypto.testing.record import VERIFY_AT, record
from applepay_crypto.testing.vectors import load_vector, run_vector, vector_files

from support import APPLE_ROOT_PATH, REPO, SHARED, require_shared

VECTORS = REPO / "vectors"
FILES = vector_files(VECTORS)


def test_vectors_are_present() -> None:
    names = {p.stem for p in FILES}
    assert len(names) >= 40
    for required in (
        "ec-v1-3dsecure",
        "rsa-v1-3dsecure",
        "tamper-signature",
        "other-root",
        "oversized",
    ):
        assert required in names


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(VECTORS)) for p in FILES])
def test_vector(path: Path) -> None:
    vector = load_vector(path)
    apple_root = None
    if vector["trust"].get("apple"):
        apple_root = load_certificate(require_shared(APPLE_ROOT_PATH))
    assert run_vector(vector, apple_root=apple_root) == vector["expected"]


def test_every_rejection_code_has_a_vector() -> None:
    codes = {load_vector(p)["expected"].get("error") for p in FILES}
    for code in (
        "malformed_token",
        "unsupported_version",
        "signature_invalid",
        "certificate_invalid",
        "untrusted_root",
        "signing_time_out_of_window",
        "key_not_found",
        "decryption_failed",
    ):
        assert code in codes


def test_recorder_rerun_produces_the_same_set_of_passing_vectors(tmp_path: Path) -> None:
    count = record(tmp_path, shared=SHARED)
    fresh = vector_files(tmp_path / "minted")
    assert len(fresh) == count
    assert {p.relative_to(tmp_path) for p in fresh} == {
        p.relative_to(VECTORS) for p in vector_files(VECTORS / "minted")
    }
    for path in fresh:  # the recorder checks each one before writing; check again from disk
        vector = load_vector(path)
        assert run_vector(vector) == vector["expected"], path.name


def test_readme_main_job_decrypts_the_demo_token() -> None:
    demo = VECTORS / "demo"
    result = CliRunner().invoke(
        main,
        [
            "decrypt",
            str(demo / "token.json"),
            "--key",
            str(demo / "merchant.key"),
            "--cert",
            str(demo / "merchant.pem"),
            "--root",
            str(demo / "ca" / "root.pem"),
            "--at",
            VERIFY_AT.isoformat(),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["verified"] is True
    assert document["payment_data"]["applicationPrimaryAccountNumber"] == "411111******1111"
    assert document["payment_data"]["cardholderName"] == "Jane Appleseed"
