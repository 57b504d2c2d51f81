"""The ``client`` extra: ``httpx`` is imported only by the client's modules."""

from __future__ import annotations

from ..errors import MissingDependencyError

EXTRA_HINT = "pip install 'applepay-toolkit[client]'"


def httpx_available() -> bool:
    try:
        import httpx  # noqa: F401
    except ImportError:
        return False
    return True


def missing_httpx() -> MissingDependencyError:
    return MissingDependencyError(f"the PayKKa/YabandPay HTTP client needs httpx: {EXTRA_HINT}")


def require_httpx() -> None:
    """Raise :class:`MissingDependencyError` (naming the extra) when httpx is absent."""
    if not httpx_available():
        raise missing_httpx()
