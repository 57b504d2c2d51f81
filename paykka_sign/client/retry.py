"""When the client tries a call again: only calls that change nothing (queries)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all (1 = no retry), waiting ``backoff * 2**n`` seconds between them."""

    attempts: int = 3
    backoff: float = 0.2
