"""Apple's last verification step: a transactionId already processed inside the signing-time
window is a replay.

A guard answers one atomic question, "was this transaction seen? (and remember it if not)".
Entries need to live only as long as a token can pass the signing-time check: after the
window, the signing-time check rejects a replayed token on its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

__all__ = ["ReplayGuard"]


@runtime_checkable
class ReplayGuard(Protocol):
    def seen(self, transaction_id: str, signing_time: dt.datetime) -> bool:
        """Atomically: ``True`` if ``transaction_id`` was recorded before, else record it
        (with ``signing_time``, so it can be forgotten once the window has passed) and
        return ``False``."""
        ...
