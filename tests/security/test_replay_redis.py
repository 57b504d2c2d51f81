"""The Redis replay guard against a real redis-server: threads, processes, decryptors racing."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from typing import Any

import pytest
from click.testing import CliRunner
from security_support import (
    RACERS,
    DecryptSetup,
    cli_decrypt_args,
    decrypt_racer,
    race,
    redis_racer,
)

from applepay_crypto.cli import main
from applepay_crypto.errors import ConfigurationError, ReplayedTransactionError
from applepay_crypto.replay import DEFAULT_MARGIN, ReplayGuard, ReplayGuardUnavailableError

redis = pytest.importorskip("redis", reason="redis-py is not installed (pip install '.[test]')")

from applepay_crypto.replay_redis import RedisReplayGuard, redact_url  # noqa: E402


def _prefix() -> str:
    return f"applepay-test:{secrets.token_hex(8)}:"


def _txid() -> str:
    return secrets.token_hex(32)


def test_first_sighting_passes_second_is_a_replay(redis_url: str) -> None:
    guard = RedisReplayGuard.from_url(redis_url, prefix=_prefix())
    assert isinstance(guard, ReplayGuard)
    now = dt.datetime.now(dt.timezone.utc)
    txid = _txid()
    assert guard.seen(txid, now) is False
    assert guard.seen(txid, now) is True


def test_key_expires_at_signing_time_plus_window_plus_margin(redis_url: str) -> None:
    prefix = _prefix()
    guard = RedisReplayGuard.from_url(redis_url, prefix=prefix)
    now = dt.datetime.now(dt.timezone.utc)
    txid = _txid()
    guard.seen(txid, now - dt.timedelta(minutes=2))
    ttl = guard.client.pttl(prefix + txid)
    expected = (dt.timedelta(minutes=3) + DEFAULT_MARGIN).total_seconds() * 1000
    assert expected - 2000 < ttl <= expected + 1


def test_stale_signing_time_is_refused(redis_url: str) -> None:
    guard = RedisReplayGuard.from_url(redis_url, prefix=_prefix())
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    with pytest.raises(ReplayedTransactionError):
        guard.seen(_txid(), old)


def test_threads_with_their_own_clients_race_exactly_one_wins(redis_url: str) -> None:
    prefix = _prefix()
    guards = [RedisReplayGuard.from_url(redis_url, prefix=prefix) for _ in range(8)]
    now = dt.datetime.now(dt.timezone.utc)
    for _ in range(20):
        txid = _txid()
        barrier = threading.Barrier(len(guards))
        wins: list[bool] = []

        def run(guard: RedisReplayGuard) -> None:
            barrier.wait()
            wins.append(not guard.seen(txid, now))

        threads = [threading.Thread(target=run, args=(g,)) for g in guards]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wins.count(True) == 1


def test_processes_race_exactly_one_wins(redis_url: str) -> None:
    prefix = _prefix()
    ids = [_txid() for _ in range(15)]
    now = dt.datetime.now(dt.timezone.utc)
    results = race(redis_racer, [(redis_url, prefix, ids, now)] * RACERS)
    for index in range(len(ids)):
        assert sum(wins[index] for wins in results) == 1, index


def test_decryptors_in_processes_race_on_one_token(
    decrypt_setup: DecryptSetup,
    redis_url: str,
) -> None:
    spec = ("redis", f"{redis_url} {_prefix()}")
    outcomes = race(decrypt_racer, [(decrypt_setup, spec)] * RACERS)
    assert sorted(outcomes) == ["ok"] + ["replayed_transaction"] * (RACERS - 1)


def test_unreachable_redis_fails_closed() -> None:
    guard = RedisReplayGuard.from_url("redis://127.0.0.1:1/0", socket_timeout=0.5)
    with pytest.raises(ReplayGuardUnavailableError) as info:
        guard.seen(_txid(), dt.datetime.now(dt.timezone.utc))
    assert info.value.code == "replay_guard_unavailable"
    with pytest.raises(ReplayGuardUnavailableError):
        guard.ping()


def test_bad_url_is_a_configuration_error_without_the_password() -> None:
    with pytest.raises(ConfigurationError) as info:
        RedisReplayGuard.from_url("mysql://admin:s3cret-pw@db/0")
    assert "s3cret-pw" not in str(info.value)
    assert redact_url("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert redact_url("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    assert redact_url("redis://h:1/0") == "redis://h:1/0"


def test_missing_optional_dependency_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def without_redis(name: str, *args: Any) -> Any:
        if name == "redis":
            raise ImportError("No module named 'redis'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_redis)
    with pytest.raises(ConfigurationError, match=r"applepay-toolkit\[redis\]"):
        RedisReplayGuard.from_url("redis://127.0.0.1:6379/0")


def test_cli_decrypt_replay_redis(
    decrypt_setup: DecryptSetup,
    redis_url: str,
    tmp_path: Any,
) -> None:
    args = [*cli_decrypt_args(decrypt_setup, tmp_path), "--replay-redis", redis_url]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, args)
    assert second.exit_code == 1
    assert '"replayed_transaction"' in second.stdout
