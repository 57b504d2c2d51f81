"""``--replay-db PATH`` / ``--replay-redis URL``: Apple's replay step for the token commands.

Shared by ``decrypt`` and ``decrypt-batch``::

    @replay_options
    def command(..., max_age, replay_db, replay_redis): ...
        guard = replay_guard_from_options(replay_db, replay_redis, window=max_age)
        TokenDecryptor(keys, ..., max_age=max_age, replay_guard=guard)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ConfigurationError
from ..replay import ReplayGuard, ReplayGuardUnavailableError, SQLiteReplayGuard

__all__ = [
    "REDIS_URL_ENV",
    "replay_guard_factory_from_options",
    "replay_guard_from_options",
    "replay_options",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The Redis URL may hold a password: the environment keeps it out of ``ps`` output.
REDIS_URL_ENV = "APPLEPAY_REPLAY_REDIS_URL"


def replay_options(command: F) -> F:
    """Add ``--replay-db`` and ``--replay-redis`` (parameters ``replay_db``, ``replay_redis``)."""
    command = click.option(
        "--replay-redis",
        metavar="URL",
        default=None,
        envvar=REDIS_URL_ENV,
        show_envvar=True,
        help="Refuse a transactionId seen before, remembered in Redis (redis://host:6379/0): "
        "for several hosts. Needs the 'redis' extra.",
    )(command)
    command = click.option(
        "--replay-db",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Refuse a transactionId seen before, remembered in this SQLite file "
        "(created if missing): for the processes of one host.",
    )(command)
    return command


class FixedClock:
    """The command's ``--at``, as the guard's "now" too (picklable, for worker processes):
    verification and replay expiry then agree on what time it is."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def _clock_options(now: dt.datetime | None) -> dict[str, Any]:
    return {"clock": FixedClock(now)} if now is not None else {}


def replay_guard_from_options(
    replay_db: Path | None,
    replay_redis: str | None,
    *,
    window: dt.timedelta,
    now: dt.datetime | None = None,
) -> ReplayGuard | None:
    """The guard the options ask for (``None`` for neither), remembering entries for
    ``window`` (the command's ``--max-age``) plus the default margin. ``now`` (the
    command's ``--at``) becomes the guard's clock."""
    if replay_db is not None and replay_redis is not None:
        raise ConfigurationError("give --replay-db or --replay-redis, not both")
    if window <= dt.timedelta(0) and (replay_db is not None or replay_redis is not None):
        raise ConfigurationError("a replay guard needs a positive --max-age")
    if replay_db is not None:
        return SQLiteReplayGuard(replay_db, window=window, **_clock_options(now))
    if replay_redis is not None:
        # Imported here: the optional dependency is needed only when asked for.
        from ..replay_redis import RedisReplayGuard, redact_url

        guard = RedisReplayGuard.from_url(replay_redis, window=window, **_clock_options(now))
        try:
            guard.ping()
        except ReplayGuardUnavailableError as exc:  # before any token: a setup problem
            raise ConfigurationError(
                f"cannot reach the replay Redis {redact_url(replay_redis)!r}: {exc.message}"
            ) from None
        return guard
    return None


def replay_guard_factory_from_options(
    replay_db: Path | None,
    replay_redis: str | None,
    *,
    window: dt.timedelta,
    now: dt.datetime | None = None,
) -> Callable[[], ReplayGuard] | None:
    """Like :func:`replay_guard_from_options`, as a picklable zero-argument callable that
    builds the guard inside each worker process. The setup is checked once, here."""
    if replay_guard_from_options(replay_db, replay_redis, window=window, now=now) is None:
        return None
    if replay_db is not None:
        return functools.partial(SQLiteReplayGuard, replay_db, window=window, **_clock_options(now))
    assert replay_redis is not None
    return functools.partial(_redis_guard, replay_redis, window, now)


def _redis_guard(url: str, window: dt.timedelta, now: dt.datetime | None) -> ReplayGuard:
    from ..replay_redis import RedisReplayGuard

    return RedisReplayGuard.from_url(url, window=window, **_clock_options(now))
