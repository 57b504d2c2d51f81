"""When the client tries a call again: only calls that change nothing, and only after a
failure that says nothing happened or that the PSP was momentarily unable to answer.

* Retried: the calls ``endpoints`` marks ``retry_safe`` (queries, the Apple Pay session),
  after a network failure or timeout, or an HTTP status in ``PAYKKA_HTTP_RETRYABLE`` (429,
  5xx). Each attempt is signed afresh (new timestamp, new nonce): PayKKa refuses a nonce twice.
* Never retried: initiating a payment or a checkout session. PayKKa documents no idempotency
  for a repeated ``trans_id``, so a retry after a timeout could charge twice; the error says
  the outcome is unknown and the caller queries the transaction by ``trans_id``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import (
    HttpStatusError,
    InvalidArgumentError,
    NetworkError,
    PaykkaSignError,
    PspRefusedError,
)
from .endpoints import PAYKKA_HTTP_RETRYABLE, Endpoint

__all__ = ["RetryPolicy"]

logger = logging.getLogger("paykka_sign.client")

_MAX_ATTEMPTS = 10
_MAX_DELAY = 5.0


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all (1: never retry), waiting ``backoff * 2**n`` seconds (at most 5 s)
    between them."""

    attempts: int = 3
    backoff: float = 0.2

    def __post_init__(self) -> None:
        if (
            isinstance(self.attempts, bool)
            or not isinstance(self.attempts, int)
            or not 1 <= self.attempts <= _MAX_ATTEMPTS
        ):
            raise InvalidArgumentError(f"attempts must be an integer from 1 to {_MAX_ATTEMPTS}")
        if (
            isinstance(self.backoff, bool)
            or not isinstance(self.backoff, int | float)
            or not 0 <= self.backoff <= _MAX_DELAY
        ):
            raise InvalidArgumentError(f"backoff must be seconds from 0 to {_MAX_DELAY}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
            raise InvalidArgumentError("attempt must be a positive integer")
        return float(min(self.backoff * 2 ** min(attempt - 1, 16), _MAX_DELAY))

    def attempts_for(self, retry_safe: bool) -> int:
        """How many attempts a call gets: one unless it is safe to repeat."""
        return self.attempts if retry_safe is True else 1


def is_retryable(error: Exception) -> bool:
    """A failure after which a retry-safe call may be tried again."""
    if isinstance(error, NetworkError):
        return True
    if isinstance(error, HttpStatusError | PspRefusedError):
        return error.status in PAYKKA_HTTP_RETRYABLE
    return False


def give_up(target: Endpoint, attempt: int, attempts: int, error: PaykkaSignError) -> bool:
    """True when ``error`` ends the call; logs the retry otherwise."""
    if attempt >= attempts or not is_retryable(error):
        return True
    logger.info(
        "PayKKa %s %s failed (%s), attempt %d of %d; retrying (a query, safe to repeat)",
        target.method,
        target.path,
        error.code,
        attempt,
        attempts,
    )
    return False
