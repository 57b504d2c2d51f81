"""A replay guard shared by a fleet of decryptors through Redis (optional extra ``redis``).

One command per token: ``SET <prefix><transactionId> 1 NX PX <ms>``. Redis executes it
atomically, so of any number of clients racing on one transactionId exactly one sets the
key (and wins); the key expires on its own at ``signing_time + window + margin``. The TTL
is computed from this host's clock and counted down by Redis's, so the hosts' clocks only
need to agree within ``margin`` (see :mod:`applepay_crypto.replay`).

Install with ``pip install 'applepay-toolkit[redis]'``; ``redis`` is imported only when a
guard is created.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError
from .replay import (
    DEFAULT_MARGIN,
    DEFAULT_WINDOW,
    Clock,
    ReplayGuardUnavailableError,
    _aware,
    _check_window,
    replay_expiry,
)
from .signature import utc_now

__all__ = ["DEFAULT_PREFIX", "RedisReplayGuard", "redact_url"]

DEFAULT_PREFIX = "applepay-crypto:replay:"


def _redis() -> ModuleType:
    try:
        return importlib.import_module("redis")
    except ImportError:
        raise ConfigurationError(
            "the Redis replay guard needs the optional dependency redis: "
            "pip install 'applepay-toolkit[redis]'"
        ) from None


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = f"{parts.username}:" if parts.username else ":"
        return urlunsplit(parts._replace(netloc=f"{user}***@{netloc}"))
    except ValueError:
        return "<unparsable URL>"


class RedisReplayGuard:
    """A guard in Redis: for several hosts (or processes) decrypting the same tokens.

    ``client`` is a ``redis.Redis`` (or anything with its ``set(name, value, nx=, px=)``);
    :meth:`from_url` makes one. Keys are ``prefix + transactionId``. When Redis cannot be
    reached, :meth:`seen` raises :class:`ReplayGuardUnavailableError`: the token is not
    processed (fail closed).
    """

    def __init__(
        self,
        client: Any,
        *,
        window: dt.timedelta = DEFAULT_WINDOW,
        margin: dt.timedelta = DEFAULT_MARGIN,
        prefix: str = DEFAULT_PREFIX,
        clock: Clock = utc_now,
    ) -> None:
        _check_window(window, margin)
        self._errors = _redis().RedisError
        self.client = client
        self.window = window
        self.margin = margin
        self.prefix = prefix
        self.clock = clock

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        window: dt.timedelta = DEFAULT_WINDOW,
        margin: dt.timedelta = DEFAULT_MARGIN,
        prefix: str = DEFAULT_PREFIX,
        socket_timeout: float = 5.0,
        clock: Clock = utc_now,
    ) -> RedisReplayGuard:
        """A guard over a new client for ``url`` (``redis://``, ``rediss://``, ``unix://``).

        Nothing is sent until the first token; call :meth:`ping` to check the setup early.
        """
        redis = _redis()
        try:
            url.encode("utf-8")  # review (#11): a surrogate would fail only at the first token
            client = redis.Redis.from_url(
                url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout
            )
        except ValueError as exc:  # UnicodeEncodeError too
            # Review (#11): neither redis's text nor the URL is repeated: "redis://:secret"
            # (no host) reads the password as a port, which both quote and redact_url keeps.
            hint = (
                "it must start with redis://, rediss:// or unix://"
                if "scheme" in str(exc)
                else "check its host, port and options"
            )
            raise ConfigurationError(
                f"not a usable Redis URL ({hint}); it is not shown, as it may hold a password"
            ) from None
        return cls(client, window=window, margin=margin, prefix=prefix, clock=clock)

    def ping(self) -> None:
        """Raise :class:`ReplayGuardUnavailableError` unless Redis answers."""
        try:
            self.client.ping()
        except self._errors as exc:
            raise ReplayGuardUnavailableError(
                f"Redis did not answer: {type(exc).__name__}"
            ) from None

    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        transaction_id = transaction_id.lower()  # review (#11): one key per signed id
        now = _aware(self.clock())
        expiry = replay_expiry(
            transaction_id, signing_time, now=now, window=self.window, margin=self.margin
        )
        ttl_ms = max(1, math.ceil((expiry - now).total_seconds() * 1000))
        try:
            created = self.client.set(self.prefix + transaction_id, b"1", nx=True, px=ttl_ms)
        except self._errors as exc:
            # The exception text can carry the server address; its type is enough here.
            raise ReplayGuardUnavailableError(
                f"Redis did not answer the replay check: {type(exc).__name__}"
            ) from None
        return not created

    def __repr__(self) -> str:
        return f"RedisReplayGuard(prefix={self.prefix!r}, window={self.window.total_seconds():g}s)"
