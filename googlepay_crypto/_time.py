"""Google's times: milliseconds since the epoch, as decimal strings (a JSON number is
accepted too, as Gson's ``getAsString`` does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["EPOCH", "from_millis", "parse_millis", "to_millis", "utc_text"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MILLISECOND = dt.timedelta(milliseconds=1)
#: Larger than any time ``datetime`` holds (year 9999); Java's long is the sender's limit.
_MAX_MILLIS = 2**63 - 1


def parse_millis(value: Any) -> int | None:
    """``value`` as milliseconds, or ``None`` when it is not a non-negative whole number."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_MILLIS:
        return None
    return value


def to_millis(moment: dt.datetime) -> int:
    """An aware datetime as whole milliseconds since the epoch (floor, exact)."""
    return (moment - EPOCH) // _MILLISECOND


def from_millis(millis: int) -> dt.datetime:
    """Milliseconds as an aware UTC datetime; clamped to datetime's range."""
    try:
        return EPOCH + millis * _MILLISECOND
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def utc_text(moment: dt.datetime) -> str:
    """The toolkit's one time format in output: UTC, whole seconds, ``Z``
    (``2026-01-01T00:00:00Z``), as applepay_crypto and paykka_sign write times."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
