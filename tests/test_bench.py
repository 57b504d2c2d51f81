"""``applepay-crypto bench``: the figures are computed from real runs (no timing asserted)."""

from __future__ import annotations

import importlib
import json

import pytest
from click.testing import CliRunner

from applepay_crypto import bench
from applepay_crypto.cli import main


@pytest.mark.parametrize("version", ["EC_v1", "RSA_v1"])
def test_warm_figures(version: str) -> None:
    # Every timed loop verifies and decrypts for real: a wrong key, signature or payload
    # in the floor, the bare sequence or the full path raises instead of timing nothing.
    figures = bench.measure_warm(version, tokens=2, rounds=1)
    assert set(figures) == {
        "tokens_per_second",
        "full_us",
        "floor_us",
        "ratio",
        "bare_us",
        "bare_ratio",
    }
    assert figures["full_us"] > 0 and figures["floor_us"] > 0 and figures["bare_us"] > 0
    assert figures["ratio"] == pytest.approx(figures["full_us"] / figures["floor_us"], rel=0.01)
    assert figures["bare_ratio"] == pytest.approx(
        figures["bare_us"] / figures["floor_us"], rel=0.01
    )


def test_batch_figures() -> None:
    figures = bench.measure_batch(lines=40, workers=2)
    assert figures["lines"] == 40 and figures["workers"] == 2
    assert figures["speedup"] == pytest.approx(
        figures["parallel_tokens_per_second"] / figures["single_tokens_per_second"], rel=0.02
    )
    assert figures["machine_scaling"] > 0


def test_cli_text_and_json(monkeypatch) -> None:
    warm = {
        "tokens_per_second": 5000,
        "full_us": 200.0,
        "floor_us": 120.0,
        "ratio": 1.667,
        "bare_us": 160.0,
        "bare_ratio": 1.333,
    }
    report = {
        "machine": bench.machine(),
        "ec_v1": warm,
        "rsa_v1": warm,
        "cold": {
            "ec_v1": {"first_token_ms": 2.5, "configure_ms": 4.0},
            "rsa_v1": {"first_token_ms": 2.7, "configure_ms": 30.0},
        },
        "batch": {
            "lines": 8000,
            "workers": 2,
            "single_tokens_per_second": 4000,
            "parallel_tokens_per_second": 7600,
            "speedup": 1.9,
            "machine_scaling": 1.95,
            "efficiency": 0.97,
        },
    }
    # The package exports the click command under the module's name: patch the module.
    command_module = importlib.import_module("applepay_crypto.cli.bench")
    monkeypatch.setattr(command_module, "run_benchmarks", lambda quick, key: report)
    as_json = CliRunner().invoke(main, ["bench", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == report
    text = CliRunner().invoke(main, ["bench"]).stdout
    assert "ratio 1.67 (no Python code goes below 1.33)" in text
    assert "x1.9; this machine gives 2 independent processes x1.95" in text
