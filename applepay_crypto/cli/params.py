"""Click parameter types shared by ``applepay-crypto`` and ``paykka-sign``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click

__all__ = ["Duration", "Timestamp"]


class Timestamp(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """ISO-8601; ``Z`` or an offset; a time without offset is UTC."""

    name = "ISO-8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO-8601 time such as 2024-01-08T17:54:44Z", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class Duration(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """Seconds, or a number with s, m, h or d."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
        if not match:
            self.fail(f"{value!r} is not a duration such as 300, 5m or 1h", param, ctx)
        return dt.timedelta(seconds=float(match[1]) * _UNITS[match[2]])


_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
