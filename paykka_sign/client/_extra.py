"""The ``client`` extra: ``httpx`` is imported only by the client's modules."""

from __future__ import annotations

import importlib.util

from ..errors import MissingDependencyError

EXTRA_HINT = "pip install 'applepay-toolkit[client]'"


def httpx_available() -> bool:
    return importlib.util.find_spec("httpx") is not None


def missing_httpx() -> MissingDependencyError:
    return MissingDependencyError(f"the PayKKa/YabandPay HTTP client needs httpx: {EXTRA_HINT}")


def require_httpx() -> None:
    """Raise :class:`MissingDependencyError` (naming the extra) when httpx is absent."""
    if not httpx_available():
        raise missing_httpx()
