""" "Now" as callers give it: one reading for every ``now=`` of the package (issue #14, item 6).

Accepted: an aware :class:`datetime.datetime`; a naive one, taken as UTC (never the
server's zone: Apple's signing times and certificates are in UTC); ISO 8601 text with a
zone, ``2026-03-01T12:00:00Z`` or ``...+01:00`` (what the command lines' ``--at`` takes).
Text without a zone is refused: which zone it meant cannot be known. Anything else is a
:class:`~applepay_crypto.errors.ConfigurationError`, never an ``AttributeError``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .errors import ConfigurationError

__all__ = ["utc_moment"]


def utc_moment(value: Any, *, what: str = "now") -> dt.datetime:
    """``value`` as an aware UTC datetime, or a clear refusal naming ``what``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, str):
        return _from_text(value, what)
    raise ConfigurationError(
        f"{what} must be a datetime (aware, or naive meaning UTC) or ISO 8601 text such as "
        f"2026-03-01T12:00:00Z, not {type(value).__name__}"
    )


def _from_text(text: str, what: str) -> dt.datetime:
    if len(text) > 64:
        raise ConfigurationError(f"{what} is too long for an ISO 8601 time")
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigurationError(
            f"{what} is not an ISO 8601 time (expected e.g. 2026-03-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise ConfigurationError(
            f"{what} has no time zone: end it with Z (UTC) or an offset such as +01:00"
        )
    try:
        return moment.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ConfigurationError(f"{what} is outside the years 1 to 9999 in UTC") from None
