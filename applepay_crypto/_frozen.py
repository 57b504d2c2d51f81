"""Building frozen dataclasses on the hot path.

A frozen dataclass's generated ``__init__`` sets each field with a separate
``object.__setattr__`` call: about 0.2 µs a field, 3.5 µs for the payment data alone,
paid for every token. :func:`build` sets the instance's fields in one step instead. It
applies no defaults and checks no names, so it is for the library's own constructors that
pass every field; ``tests/test_frozen_build.py`` checks that each of them does.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def build(cls: type[T], /, **fields: Any) -> T:
    """An instance of the frozen dataclass ``cls`` holding exactly ``fields``."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance
