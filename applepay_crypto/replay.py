"""Apple's last verification step: a transactionId already processed inside the signing-time
window is a replay.

A guard answers one atomic question, "was this transaction seen? (and remember it if not)".
Entries need to live only as long as a token can pass the signing-time check: after the
window, the signing-time check rejects a replayed token on its own.

Three guards, one per deployment shape:

- :class:`MemoryReplayGuard`: one process (threads share it). Bounded.
- :class:`SQLiteReplayGuard`: several processes on one host, sharing a database file.
- :class:`~applepay_crypto.replay_redis.RedisReplayGuard`: a fleet of decryptors sharing a
  Redis (optional dependency ``redis``).

How long an entry lives, for all three: until ``signing_time + window + margin``. ``window``
is the decryptor's ``max_age`` (the signing-time check accepts a token while
``|now - signing_time| <= max_age``); ``margin`` covers clock differences between the hosts
that share the guard. A guard *refuses* (raises :class:`ReplayedTransactionError`) a
signing time that is already outside ``window + margin`` by its own clock, instead of
ignoring it: such an entry would expire at once, so the guard could not stop the next
copy. This can only happen when the caller overrode "now" (``decrypt(now=...)``) without
giving the guard the same ``clock`` (the CLI's ``--at`` does both), when the guard's window
is shorter than the decryptor's ``max_age``, or when the clocks disagree by more than the
margin; in each case failing closed is the safe answer.
Because expiry and refusal use the same boundary, an entry never disappears while the
guard would still accept the same signing time.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._timetext import utc_text
from .errors import ApplePayError, ConfigurationError, ReplayedTransactionError
from .moments import utc_moment
from .signature import DEFAULT_MAX_AGE, utc_now

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_WINDOW",
    "MemoryReplayGuard",
    "ReplayGuard",
    "ReplayGuardUnavailableError",
    "SQLiteReplayGuard",
    "check_replay",
    "replay_expiry",
]

_log = logging.getLogger(__name__)

#: The decryptor's default ``max_age``: Apple's "a few minutes", 5 in its current text.
DEFAULT_WINDOW = DEFAULT_MAX_AGE
#: Clock differences between the hosts sharing a guard (NTP keeps them well under this).
DEFAULT_MARGIN = dt.timedelta(seconds=30)

Clock = Callable[[], dt.datetime]

#: What a transactionId can be (Apple's are hexadecimal): printable, so logs stay readable.
_TRANSACTION_ID = re.compile(r"[\x21-\x7e]{1,256}")


@runtime_checkable
class ReplayGuard(Protocol):
    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        """Atomically: ``True`` if ``transaction_id`` was recorded before, else record it
        (with ``signing_time``, so it can be forgotten once the window has passed) and
        return ``False``. The guards of this package compare ids in lower case (the
        decryptor passes them so already); a custom guard should do the same."""
        ...


class ReplayGuardUnavailableError(ApplePayError):
    """The guard's store could not answer (database locked past its timeout, Redis down).

    The token was *not* processed: do not charge, and retry later rather than decline.
    """

    code = "replay_guard_unavailable"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def _check_window(window: dt.timedelta, margin: dt.timedelta) -> None:
    if window <= dt.timedelta(0):
        raise ConfigurationError("the replay window must be positive")
    if margin < dt.timedelta(0):
        raise ConfigurationError("the replay margin must not be negative")


def replay_expiry(
    transaction_id: str,
    signing_time: dt.datetime,
    *,
    now: dt.datetime,
    window: dt.timedelta,
    margin: dt.timedelta,
) -> dt.datetime:
    """When the entry for a token signed at ``signing_time`` may be forgotten.

    Raises :class:`ReplayedTransactionError` when ``signing_time`` is already
    ``window + margin`` or more away from ``now`` (on either side): see the module docstring.
    """
    signing_time = utc_moment(signing_time, what="the signing time")
    now = utc_moment(now)
    reach = window + margin
    # Refused from the instant the entry would expire: expiry never reopens a window.
    if abs(now - signing_time) >= reach:
        raise ReplayedTransactionError(
            f"transactionId {transaction_id[:80]} was signed at {utc_text(signing_time)}, "
            f"outside this replay guard's window ({reach.total_seconds():g} s around "
            f"{utc_text(now)}): it cannot be recorded, so it is refused as a possible replay. "
            "Was 'now' overridden (decrypt(now=...)) without giving the guard the same clock?"
        )
    return signing_time + reach


def check_replay(guard: ReplayGuard, transaction_id: str, signing_time: dt.datetime) -> None:
    """Apple's last step for a verified token: raise :class:`ReplayedTransactionError` when
    ``guard`` has seen ``transaction_id``, else record it (atomically, in the guard).

    ``signing_time`` must be the verified one (:class:`~applepay_crypto.VerifiedSignature`,
    :class:`~applepay_crypto.DecryptedToken`). The decision is logged on the
    ``applepay_crypto.replay`` logger with the transactionId only (not card data).
    """
    if not isinstance(guard, ReplayGuard):
        raise ConfigurationError("replay_guard must be a ReplayGuard (a seen() method)")
    if not isinstance(transaction_id, str) or not isinstance(signing_time, dt.datetime):
        raise ConfigurationError("a replay check needs a transactionId and a verified signing time")
    if not _TRANSACTION_ID.fullmatch(transaction_id):
        raise ConfigurationError("a transactionId is 1 to 256 printable ASCII characters")
    transaction_id = transaction_id.lower()
    if guard.seen(transaction_id, signing_time):
        _log.warning("replay refused: transactionId %s was already processed", transaction_id[:80])
        raise ReplayedTransactionError(
            f"transactionId {transaction_id[:80]} was already processed: replay"
        )
    _log.info("replay guard: transactionId %s recorded (first use)", transaction_id[:80])


class MemoryReplayGuard:
    """A thread-safe, in-process guard holding at most ``max_entries`` transactions.

    When full, the entry closest to expiry (the oldest signing time) is evicted and counted
    in :attr:`evictions`. An evicted transaction can be replayed until its window ends:
    under a flood of distinct valid tokens the guarantee weakens. Size ``max_entries``
    above the most tokens you decrypt in ``2 * (window + margin)``, and alert on
    ``evictions > 0``. Several processes need :class:`SQLiteReplayGuard` or Redis.
    """

    def __init__(
        self,
        *,
        window: dt.timedelta = DEFAULT_WINDOW,
        margin: dt.timedelta = DEFAULT_MARGIN,
        max_entries: int = 100_000,
        clock: Clock = utc_now,
    ) -> None:
        _check_window(window, margin)
        if max_entries < 1:
            raise ConfigurationError("max_entries must be at least 1")
        self.window = window
        self.margin = margin
        self.max_entries = max_entries
        self.clock = clock
        #: Live entries dropped because the guard was full; should stay 0.
        self.evictions = 0
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []  # (expiry, id): soonest expiry first
        self._lock = threading.Lock()

    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        transaction_id = transaction_id.lower()  # review (#11): one key per signed id
        now = _aware(self.clock())
        expiry = replay_expiry(
            transaction_id, signing_time, now=now, window=self.window, margin=self.margin
        ).timestamp()
        with self._lock:
            self._purge(now.timestamp())
            if transaction_id in self._expiry:
                return True
            while len(self._expiry) >= self.max_entries:
                _, evicted = heapq.heappop(self._heap)
                del self._expiry[evicted]
                self.evictions += 1
                if self.evictions == 1 or self.evictions % 10_000 == 0:
                    _log.warning(
                        "replay guard full (%d entries): %d live entries evicted so far; "
                        "an evicted transactionId can be replayed until its window ends",
                        self.max_entries,
                        self.evictions,
                    )
            self._expiry[transaction_id] = expiry
            heapq.heappush(self._heap, (expiry, transaction_id))
            return False

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, expired = heapq.heappop(self._heap)
            del self._expiry[expired]

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def __bool__(self) -> bool:
        return True  # even when empty: callers write ``guard or default``

    def __repr__(self) -> str:
        return (
            f"MemoryReplayGuard(window={self.window.total_seconds():g}s, "
            f"entries={len(self._expiry)}/{self.max_entries}, evictions={self.evictions})"
        )


_TABLE = "applepay_replay"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
    " transaction_id TEXT PRIMARY KEY NOT NULL,"
    " expires_at INTEGER NOT NULL"  # Unix milliseconds
    ") WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_expires ON {_TABLE} (expires_at)",
)
# Inserts, or revives a row whose entry expired but was not purged yet; a live row is left
# alone and the statement changes nothing (rowcount 0): that is "seen".
_RECORD = (
    f"INSERT INTO {_TABLE} (transaction_id, expires_at) VALUES (?, ?) "  # noqa: S608
    "ON CONFLICT (transaction_id) DO UPDATE SET expires_at = excluded.expires_at "
    f"WHERE {_TABLE}.expires_at <= ?"
)
_PURGE = f"DELETE FROM {_TABLE} WHERE expires_at <= ?"  # noqa: S608


def _millis(moment: dt.datetime, rounding: Callable[[float], int]) -> int:
    return rounding(moment.timestamp() * 1000)


class SQLiteReplayGuard:
    """A guard in a SQLite database file, shared by the processes of one host.

    Each check-and-record is one ``BEGIN IMMEDIATE`` transaction (an upsert whose row count
    says whether the id was new), so of several processes racing on one transactionId
    exactly one wins. WAL journal, ``synchronous=FULL`` (a recorded id survives a power
    cut), a busy timeout of ``timeout`` seconds, expired rows purged every
    ``purge_interval``. Not for network file systems (SQLite's locking is unreliable there):
    a fleet of hosts needs Redis.

    Safe to share between threads, and across ``fork``: a child process opens its own
    connection. Pickles as its configuration (for ``multiprocessing`` spawn).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        window: dt.timedelta = DEFAULT_WINDOW,
        margin: dt.timedelta = DEFAULT_MARGIN,
        timeout: float = 10.0,
        purge_interval: dt.timedelta = dt.timedelta(minutes=1),
        clock: Clock = utc_now,
    ) -> None:
        _check_window(window, margin)
        self.path = Path(path)
        self.window = window
        self.margin = margin
        self.timeout = timeout
        self.purge_interval = purge_interval
        self.clock = clock
        self._reset()
        self._connection()  # a wrong path or an unreadable file fails here, not per token

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._next_purge = 0.0

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            # Inherited through fork: never touch the parent's connection, open our own.
            self._reset()
        if self._conn is None:
            try:
                self._conn = self._open()
            except sqlite3.Error as exc:
                raise ConfigurationError(
                    f"cannot use {os.fspath(self.path)!r} as a replay database: {exc}"
                ) from None
        return self._conn

    def _open(self) -> sqlite3.Connection:
        # Processes opening a new database at the same moment can get "database is locked"
        # at once from the journal-mode switch, without the busy handler: retry until the
        # timeout, with jitter.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self._open_once()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter, not a secret

    def _open_once(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            raise
        return conn

    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        transaction_id = transaction_id.lower()  # review (#11): one key per signed id
        now = _aware(self.clock())
        expiry = replay_expiry(
            transaction_id, signing_time, now=now, window=self.window, margin=self.margin
        )
        now_ms = _millis(now, math.floor)  # expiry rounds up, now down: never early
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    recorded = conn.execute(
                        _RECORD, (transaction_id, _millis(expiry, math.ceil), now_ms)
                    ).rowcount
                    if now_ms >= self._next_purge:
                        conn.execute(_PURGE, (now_ms,))
                        self._next_purge = now_ms + self.purge_interval.total_seconds() * 1000
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise ReplayGuardUnavailableError(
                    f"the replay database {os.fspath(self.path)!r} did not answer: {exc}"
                ) from None
        return recorded != 1

    def purge(self) -> int:
        """Delete expired rows now; returns how many."""
        now_ms = _millis(_aware(self.clock()), math.floor)
        with self._lock:
            try:
                return self._connection().execute(_PURGE, (now_ms,)).rowcount
            except sqlite3.Error as exc:
                raise ReplayGuardUnavailableError(
                    f"the replay database {os.fspath(self.path)!r} did not answer: {exc}"
                ) from None

    def __bool__(self) -> bool:
        return True  # even when empty: callers write ``guard or default``

    def __len__(self) -> int:
        """Rows in the table, expired ones not yet purged included."""
        with self._lock:
            row = self._connection().execute(f"SELECT count(*) FROM {_TABLE}").fetchone()  # noqa: S608
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __enter__(self) -> SQLiteReplayGuard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in ("_lock", "_conn", "_pid", "_next_purge"):
            state.pop(name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    def __repr__(self) -> str:
        return (
            f"SQLiteReplayGuard({os.fspath(self.path)!r}, window={self.window.total_seconds():g}s)"
        )
