"""One way to write a time in every output of both packages (issue #14): UTC, whole
seconds, ``Z``: ``2026-05-05T05:05:05Z``. A naive datetime is taken as UTC."""

from __future__ import annotations

import datetime as dt

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def utc_text_or_none(moment: dt.datetime | None) -> str | None:
    return utc_text(moment) if moment is not None else None
