"""Time: "now" is always injectable, timestamps are integers, the window check is one function."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from applepay_crypto.errors import ApplePayError
from applepay_crypto.moments import utc_moment

from .errors import InvalidArgumentError, TimestampOutOfWindowError

__all__ = [
    "DEFAULT_WINDOW",
    "Clock",
    "aware",
    "check_window",
    "epoch_millis",
    "epoch_seconds",
    "from_millis",
    "utc_now",
]

#: PayKKa v3: "an error margin of no more than 5 minutes from the current time".
DEFAULT_WINDOW = dt.timedelta(minutes=5)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def aware(moment: dt.datetime | str) -> dt.datetime:
    """``moment`` with a time zone; a naive datetime is taken as UTC (never the server's
    zone). ISO 8601 text with a zone (``2026-03-01T12:00:00Z``) is read as
    ``applepay_crypto``'s ``now=`` is (issue #14, item 6); anything else is refused."""
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
    if not isinstance(moment, str):
        raise InvalidArgumentError(
            f"a moment must be a datetime.datetime or ISO 8601 text, not {type(moment).__name__}"
        )
    try:
        return utc_moment(moment, what="the moment")
    except ApplePayError as exc:
        raise InvalidArgumentError(exc.message) from None


def epoch_millis(moment: dt.datetime) -> int:
    """Milliseconds since the Unix epoch (PayKKa's ``timestamp``), exact integer arithmetic."""
    return (aware(moment) - _EPOCH) // dt.timedelta(milliseconds=1)


def from_millis(millis: int) -> dt.datetime:
    """The UTC datetime of a millisecond timestamp."""
    if isinstance(millis, bool) or not isinstance(millis, int):
        raise InvalidArgumentError("a timestamp must be an integer of milliseconds")
    try:
        return _EPOCH + dt.timedelta(milliseconds=millis)
    except OverflowError:
        raise InvalidArgumentError("the timestamp is outside the years 1 to 9999") from None


def epoch_seconds(moment: dt.datetime) -> int:
    """Seconds since the Unix epoch (YabandPay's ``time``)."""
    return epoch_millis(moment) // 1000


def check_window(timestamp_ms: int, now: dt.datetime, window: dt.timedelta) -> None:
    """Refuse a timestamp more than ``window`` before or after ``now`` (clock skew both ways)."""
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int):
        raise InvalidArgumentError("a timestamp must be an integer of milliseconds")
    if not isinstance(window, dt.timedelta):
        raise InvalidArgumentError("the window must be a datetime.timedelta")
    if not -(10**19) < timestamp_ms < 10**19:
        raise TimestampOutOfWindowError("the timestamp is not a plausible time (over 19 digits)")
    skew_ms = timestamp_ms - epoch_millis(now)
    limit_ms = window // dt.timedelta(milliseconds=1)
    if abs(skew_ms) > limit_ms:
        direction = "ahead of" if skew_ms > 0 else "behind"
        raise TimestampOutOfWindowError(
            f"the timestamp is {abs(skew_ms) // 1000} s {direction} the current time; "
            f"at most {int(window.total_seconds())} s is allowed"
        )
