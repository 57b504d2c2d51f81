"""Apple's step 6: the in-memory and SQLite replay guards, alone, in a decryptor, in the CLI."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from security_support import (
    RACERS,
    DecryptSetup,
    cli_decrypt_args,
    decrypt_outcome,
    decrypt_racer,
    race,
    sqlite_open_racer,
    sqlite_racer,
)

from applepay_crypto import ReplayedTransactionError, ReplayGuard, TokenDecryptor
from applepay_crypto.cli import main
from applepay_crypto.errors import ConfigurationError
from applepay_crypto.replay import (
    DEFAULT_MARGIN,
    MemoryReplayGuard,
    ReplayGuardUnavailableError,
    SQLiteReplayGuard,
)
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
WINDOW = dt.timedelta(minutes=5)


class Clock:
    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _txid() -> str:
    return secrets.token_hex(32)


@pytest.fixture(params=["memory", "sqlite"])
def make_guard(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    def make(clock: Clock, **options: Any) -> Any:
        if request.param == "memory":
            return MemoryReplayGuard(clock=clock, **options)
        return SQLiteReplayGuard(tmp_path / "replay.db", clock=clock, **options)

    return make


def test_guards_implement_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryReplayGuard(), ReplayGuard)
    assert isinstance(SQLiteReplayGuard(tmp_path / "r.db"), ReplayGuard)


def test_first_sighting_passes_second_is_a_replay(make_guard: Any) -> None:
    guard = make_guard(Clock())
    txid = _txid()
    assert guard.seen(txid, T0) is False
    assert guard.seen(txid, T0) is True
    assert guard.seen(_txid(), T0) is False


def test_entry_lives_until_signing_time_plus_window_plus_margin(make_guard: Any) -> None:
    clock = Clock()
    guard = make_guard(clock)
    txid = _txid()
    signed = T0 - dt.timedelta(minutes=4)
    assert guard.seen(txid, signed) is False
    clock.now = signed + WINDOW + DEFAULT_MARGIN - dt.timedelta(milliseconds=1)
    assert guard.seen(txid, signed) is True
    clock.now = signed + WINDOW + DEFAULT_MARGIN  # from here on refused, never accepted
    with pytest.raises(ReplayedTransactionError):
        guard.seen(txid, signed)


def test_signing_time_outside_the_window_is_refused_not_ignored(make_guard: Any) -> None:
    """Such an entry would expire at once: the guard could not stop the next copy."""
    clock = Clock()
    guard = make_guard(clock)
    txid = _txid()
    too_old = T0 - WINDOW - DEFAULT_MARGIN
    too_new = T0 + WINDOW + DEFAULT_MARGIN
    for signed in (too_old, too_new):
        with pytest.raises(ReplayedTransactionError, match="outside this replay guard's window"):
            guard.seen(txid, signed)
    # and nothing was recorded by the refusals
    assert guard.seen(txid, T0) is False


def test_expiry_never_reopens_a_window(make_guard: Any) -> None:
    """After the entry expires the same signing time is refused, never accepted again."""
    clock = Clock()
    guard = make_guard(clock)
    txid = _txid()
    assert guard.seen(txid, T0) is False
    for late in (dt.timedelta(0), dt.timedelta(milliseconds=1), dt.timedelta(hours=1)):
        clock.now = T0 + WINDOW + DEFAULT_MARGIN + late
        with pytest.raises(ReplayedTransactionError):
            guard.seen(txid, T0)


def test_naive_times_are_utc(make_guard: Any) -> None:
    guard = make_guard(Clock())
    txid = _txid()
    assert guard.seen(txid, T0.replace(tzinfo=None)) is False
    assert guard.seen(txid, T0) is True


def test_window_is_a_constructor_argument(make_guard: Any) -> None:
    clock = Clock()
    guard = make_guard(clock, window=dt.timedelta(minutes=10), margin=dt.timedelta(0))
    txid = _txid()
    assert guard.seen(txid, T0 - dt.timedelta(minutes=9)) is False
    assert guard.seen(txid, T0 - dt.timedelta(minutes=9)) is True
    with pytest.raises(ConfigurationError):
        make_guard(clock, window=dt.timedelta(0))


def test_memory_guard_is_bounded_evicting_the_oldest_and_counting() -> None:
    clock = Clock()
    guard = MemoryReplayGuard(max_entries=3, clock=clock)
    ids = [_txid() for _ in range(4)]
    for offset, txid in enumerate(ids):  # signed one second apart, the first is the oldest
        assert guard.seen(txid, T0 - dt.timedelta(seconds=10 - offset)) is False
    assert len(guard) == 3
    assert guard.evictions == 1
    assert guard.seen(ids[0], T0 - dt.timedelta(seconds=10)) is False  # forgotten: weaker
    assert guard.seen(ids[3], T0 - dt.timedelta(seconds=7)) is True
    assert "evictions=2" in repr(guard)


def test_memory_guard_eviction_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    guard = MemoryReplayGuard(max_entries=1, clock=Clock())
    guard.seen(_txid(), T0)
    guard.seen(_txid(), T0)
    assert "replay guard full" in caplog.text


def test_memory_guard_purges_expired_entries() -> None:
    clock = Clock()
    guard = MemoryReplayGuard(clock=clock)
    for _ in range(50):
        guard.seen(_txid(), T0)
    clock.now = T0 + WINDOW + DEFAULT_MARGIN + dt.timedelta(seconds=1)
    guard.seen(_txid(), clock.now)
    assert len(guard) == 1
    assert guard.evictions == 0


def test_memory_guard_threads_race_exactly_one_wins() -> None:
    guard = MemoryReplayGuard()
    now = dt.datetime.now(dt.timezone.utc)
    for _ in range(20):
        txid = _txid()
        barrier = threading.Barrier(8)
        wins: list[bool] = []

        def run() -> None:
            barrier.wait()
            wins.append(not guard.seen(txid, now))

        threads = [threading.Thread(target=run) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wins.count(True) == 1


def test_sqlite_purges_expired_rows(tmp_path: Path) -> None:
    clock = Clock()
    guard = SQLiteReplayGuard(tmp_path / "r.db", clock=clock)
    for _ in range(10):
        guard.seen(_txid(), T0)
    assert len(guard) == 10
    clock.now = T0 + WINDOW + DEFAULT_MARGIN + dt.timedelta(seconds=1)
    assert guard.purge() == 10
    assert len(guard) == 0


def test_sqlite_periodic_purge_runs_inside_seen(tmp_path: Path) -> None:
    clock = Clock()
    guard = SQLiteReplayGuard(tmp_path / "r.db", clock=clock, purge_interval=dt.timedelta(0))
    for _ in range(5):
        guard.seen(_txid(), T0)
    clock.now = T0 + dt.timedelta(minutes=6)
    guard.seen(_txid(), clock.now)
    assert len(guard) == 1


def test_sqlite_survives_reopening_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    clock = Clock()
    txid = _txid()
    with SQLiteReplayGuard(path, clock=clock) as first:
        assert first.seen(txid, T0) is False
    second = SQLiteReplayGuard(path, clock=clock)
    assert second.seen(txid, T0) is True
    mode = second._connection().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_sqlite_guard_pickles_as_its_configuration(tmp_path: Path) -> None:
    guard = SQLiteReplayGuard(tmp_path / "r.db")
    txid = _txid()
    now = dt.datetime.now(dt.timezone.utc)
    guard.seen(txid, now)
    copy = pickle.loads(pickle.dumps(guard))
    assert copy.seen(txid, now) is True


def test_sqlite_unusable_path_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="replay database"):
        SQLiteReplayGuard(tmp_path / "missing-dir" / "r.db")
    (tmp_path / "not-a-db").write_bytes(b"this is not a sqlite file" * 100)
    with pytest.raises(ConfigurationError):
        SQLiteReplayGuard(tmp_path / "not-a-db")


def test_sqlite_locked_past_timeout_is_unavailable_not_a_pass(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    guard = SQLiteReplayGuard(path, timeout=0.05)
    blocker = SQLiteReplayGuard(path)._connection()
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ReplayGuardUnavailableError) as info:
            guard.seen(_txid(), dt.datetime.now(dt.timezone.utc))
        assert info.value.code == "replay_guard_unavailable"
    finally:
        blocker.execute("ROLLBACK")


def test_sqlite_processes_race_exactly_one_wins(tmp_path: Path) -> None:
    """Several OS processes, one guard inherited (fork) or unpickled (spawn) by each."""
    guard = SQLiteReplayGuard(tmp_path / "race.db")
    ids = [_txid() for _ in range(15)]
    now = dt.datetime.now(dt.timezone.utc)
    results = race(sqlite_racer, [(guard, ids, now)] * RACERS)
    for index in range(len(ids)):
        assert sum(wins[index] for wins in results) == 1, index


def test_sqlite_processes_creating_the_database_at_once(tmp_path: Path) -> None:
    """Several processes opening a database that does not exist yet: none fails."""
    paths = [str(tmp_path / f"new-{index}.db") for index in range(8)]
    now = dt.datetime.now(dt.timezone.utc)
    results = race(sqlite_open_racer, [(paths, _txid(), now)] * RACERS)
    for index in range(len(paths)):
        assert sum(wins[index] for wins in results) == 1, index


# --- in a decryptor ----------------------------------------------------------------------


def test_decryptor_refuses_the_second_decryption(decrypt_setup: DecryptSetup) -> None:
    decryptor = decrypt_setup.decryptor(MemoryReplayGuard())
    decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now)
    with pytest.raises(ReplayedTransactionError) as info:
        decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now)
    assert info.value.code == "replayed_transaction"


def test_transaction_id_case_does_not_escape_the_guard(decrypt_setup: DecryptSetup) -> None:
    guard = MemoryReplayGuard()
    assert not guard.seen(decrypt_setup.token["header"]["transactionId"].lower(), decrypt_setup.now)
    with pytest.raises(ReplayedTransactionError):
        decrypt_setup.decryptor(guard).decrypt(decrypt_setup.token, now=decrypt_setup.now)


def test_a_token_that_fails_is_not_recorded(decrypt_setup: DecryptSetup, tmp_path: Path) -> None:
    guard = SQLiteReplayGuard(tmp_path / "r.db")
    decryptor = decrypt_setup.decryptor(guard)
    with pytest.raises(Exception):
        decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now + dt.timedelta(hours=1))
    assert len(guard) == 0
    decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now)
    assert len(guard) == 1


def test_a_per_call_guard_alone_is_used_even_when_empty(
    decrypt_setup: DecryptSetup, tmp_path: Path
) -> None:
    """An empty guard must not read as "no guard" (``guard or default``)."""
    for guard in (MemoryReplayGuard(), SQLiteReplayGuard(tmp_path / "r.db")):
        assert guard
        decryptor = decrypt_setup.decryptor(None)
        decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now, replay_guard=guard)
        with pytest.raises(ReplayedTransactionError):
            decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now, replay_guard=guard)


def test_the_per_call_guard_overrides_the_decryptor_s(decrypt_setup: DecryptSetup) -> None:
    decryptor = decrypt_setup.decryptor(MemoryReplayGuard())
    other = MemoryReplayGuard()
    decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now, replay_guard=other)
    with pytest.raises(ReplayedTransactionError):
        decryptor.decrypt(decrypt_setup.token, now=decrypt_setup.now, replay_guard=other)


def test_decryptors_in_processes_race_on_one_token(
    decrypt_setup: DecryptSetup, tmp_path: Path
) -> None:
    spec = ("sqlite", str(tmp_path / "race.db"))
    outcomes = race(decrypt_racer, [(decrypt_setup, spec)] * RACERS)
    assert sorted(outcomes) == ["ok"] + ["replayed_transaction"] * (RACERS - 1)


def test_decrypt_outcome_with_a_guard_needs_verification(decrypt_setup: DecryptSetup) -> None:
    with pytest.raises(ConfigurationError):
        TokenDecryptor(
            decrypt_setup.decryptor(None).keyring,
            verify_signature=False,
            replay_guard=MemoryReplayGuard(),
        )
    assert decrypt_outcome(
        decrypt_setup.decryptor(MemoryReplayGuard()), "{", decrypt_setup.now
    ) == ("malformed_token")


# --- CLI -------------------------------------------------------------------------------


def test_cli_decrypt_replay_db(decrypt_setup: DecryptSetup, tmp_path: Path) -> None:
    args = [*cli_decrypt_args(decrypt_setup, tmp_path), "--replay-db", str(tmp_path / "seen.db")]
    runner = CliRunner()
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, args)
    assert second.exit_code == 1
    assert json.loads(second.stdout)["error"]["code"] == "replayed_transaction"


def test_cli_decrypt_at_a_past_time_uses_at_as_the_guard_s_clock(
    authority: TestAuthority, ec_merchant: TestMerchant, tmp_path: Path
) -> None:
    signed = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=signed)
    past = DecryptSetup(
        key_pem=ec_merchant.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        certificate_pem=ec_merchant.certificate.public_bytes(serialization.Encoding.PEM),
        root_pem=authority.root.certificate.public_bytes(serialization.Encoding.PEM),
        token=token,
        now=signed + dt.timedelta(seconds=30),
    )
    args = [*cli_decrypt_args(past, tmp_path), "--replay-db", str(tmp_path / "seen.db")]
    runner = CliRunner()
    assert runner.invoke(main, args).exit_code == 0
    second = runner.invoke(main, args)
    assert json.loads(second.stdout)["error"]["code"] == "replayed_transaction"


def test_cli_replay_options_are_exclusive_and_need_verification(
    decrypt_setup: DecryptSetup, tmp_path: Path
) -> None:
    args = cli_decrypt_args(decrypt_setup, tmp_path)
    runner = CliRunner()
    both = runner.invoke(
        main, [*args, "--replay-db", str(tmp_path / "s.db"), "--replay-redis", "redis://x"]
    )
    assert both.exit_code == 2
    assert json.loads(both.stdout)["error"]["code"] == "invalid_configuration"
    unverified = runner.invoke(main, [*args, "--no-verify", "--replay-db", str(tmp_path / "s.db")])
    assert unverified.exit_code == 2
    assert json.loads(unverified.stdout)["error"]["code"] == "invalid_configuration"


def test_cli_unreachable_redis_is_a_setup_error_without_the_password(
    decrypt_setup: DecryptSetup, tmp_path: Path
) -> None:
    pytest.importorskip("redis")
    url = "redis://user:hunter2-secret@127.0.0.1:1/0"
    result = CliRunner().invoke(
        main, [*cli_decrypt_args(decrypt_setup, tmp_path), "--replay-redis", url]
    )
    assert result.exit_code == 2
    assert "hunter2-secret" not in result.output
    assert json.loads(result.stdout)["error"]["code"] == "invalid_configuration"


def test_cli_redis_url_from_the_environment(
    decrypt_setup: DecryptSetup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("redis")
    monkeypatch.setenv("APPLEPAY_REPLAY_REDIS_URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(main, cli_decrypt_args(decrypt_setup, tmp_path))
    assert result.exit_code == 2  # the guard was asked for through the environment
