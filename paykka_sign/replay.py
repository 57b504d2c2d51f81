"""Nonce replay protection for PayKKa v3 webhooks and responses.

A v3 message is accepted only while its timestamp is within 5 minutes of "now", so a nonce
needs remembering only until ``timestamp + window``: after that the timestamp check alone
rejects a replay. Verifiers remember a nonce only after the signature and the timestamp
check passed, so forged messages can neither fill the store nor block a real nonce.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Protocol, runtime_checkable

from .errors import InvalidArgumentError

__all__ = ["InMemoryNonceStore", "NonceStore"]


@runtime_checkable
class NonceStore(Protocol):
    """Where seen nonces live until they expire.

    ``remember`` must be atomic: check and insert in one step (a shared store would use
    e.g. Redis ``SET key 1 NX PXAT expires_at``), or two workers could both accept a replay.
    """

    def remember(self, nonce: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Record ``nonce`` until ``expires_at``; False when it is already recorded and live."""
        ...


class InMemoryNonceStore:
    """A bounded, thread-safe, single-process :class:`NonceStore`.

    When full, the entry closest to expiry is dropped (and counted in ``evictions``): size
    ``max_entries`` above the most messages you receive in twice the window (10 minutes).
    For several processes or hosts, implement :class:`NonceStore` over a shared store.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidArgumentError("max_entries must be at least 1")
        self.max_entries = max_entries
        #: Live entries dropped because the store was full; should stay 0.
        self.evictions = 0
        self._expiry: OrderedDict[str, dt.datetime] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def remember(self, nonce: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        if not isinstance(nonce, str):
            raise InvalidArgumentError("a nonce must be text")
        if not isinstance(expires_at, dt.datetime) or not isinstance(now, dt.datetime):
            raise InvalidArgumentError("expires_at and now must be datetime.datetime")
        if (expires_at.tzinfo is None) != (now.tzinfo is None):
            raise InvalidArgumentError("expires_at and now must both be aware, or both naive")
        with self._lock:
            self._purge(now)
            known = self._expiry.get(nonce)
            if known is not None and known > now:
                return False
            if len(self._expiry) >= self.max_entries:
                self._expiry.popitem(last=False)
                self.evictions += 1
            self._expiry[nonce] = expires_at
            # Keep the dict ordered by expiry so that purging stops at the first live entry.
            self._sort_tail(nonce)
            return True

    def _purge(self, now: dt.datetime) -> None:
        while self._expiry:
            nonce, expires_at = next(iter(self._expiry.items()))
            if expires_at > now:
                return
            del self._expiry[nonce]

    def _sort_tail(self, nonce: str) -> None:
        # Expiries arrive almost in order (timestamp + a constant window), so walking back
        # from the end moves at most a few entries.
        expires_at = self._expiry[nonce]
        later = []
        for other in reversed(self._expiry):
            if other == nonce:
                continue
            if self._expiry[other] <= expires_at:
                break
            later.append(other)
        for other in reversed(later):
            self._expiry.move_to_end(other)
