"""What the sync and async clients share below the calls: base URLs, timeouts, the mapping
of httpx's failures to this package's errors."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ._extra import require_httpx

require_httpx()

import httpx  # noqa: E402

from ..errors import InvalidArgumentError, NetworkError  # noqa: E402

#: Documented nowhere; ours: 5 s to connect, 30 s for the answer (a payment can take a while:
#: 3-D Secure decisions and the scheme's authorisation happen inside the call).
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(given: Any, environment: Any, table: Mapping[str, str], what: str) -> httpx.URL:
    """``given``, else the documented URL of ``environment``; https only, except on loopback
    (a local simulator): card data never travels in clear over a network."""
    if given is None:
        if not isinstance(environment, str) or environment not in table:
            names = ", ".join(sorted(table))
            raise InvalidArgumentError(
                f"{what} has no documented base URL for that environment (known: {names}); "
                "give base_url="
            )
        given = table[environment]
    if not isinstance(given, str | httpx.URL):
        raise InvalidArgumentError("base_url must be a URL (text)")
    try:
        url = httpx.URL(given)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise InvalidArgumentError("base_url is not a valid URL") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise InvalidArgumentError("base_url must be an https:// URL with a host")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise InvalidArgumentError("base_url must use https (plain http only on loopback)")
    if url.query or url.fragment:
        raise InvalidArgumentError("base_url must not have a query or a fragment")
    return url


def tls_options(url: httpx.URL) -> dict[str, Any]:
    """httpx options for ``url``: plain http (allowed on loopback only, see :func:`base_url`)
    carries no TLS, so no certificate store is loaded for it (~25 ms per client, which a
    local simulator's tests pay many times). Every call goes to this one base URL: paths are
    checked to start with '/', and redirects are not followed."""
    return {"verify": False} if url.scheme == "http" else {}


def check_transport(transport: Any, kind: type) -> None:
    if transport is not None and not isinstance(transport, kind):
        raise InvalidArgumentError(f"transport must be an httpx.{kind.__name__}")


def timeout(value: Any) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise InvalidArgumentError("timeout must be seconds (0 to 600) or an httpx.Timeout")
    return httpx.Timeout(float(value))


def network_error(exc: httpx.HTTPError, *, host: str, outcome_unknown: bool) -> NetworkError:
    """httpx's failure as ``network_error``, named by kind (never the library's text)."""
    if isinstance(exc, httpx.TimeoutException):
        kind = "timed out"
    elif isinstance(exc, httpx.ConnectError):
        kind = "could not connect"
    elif isinstance(exc, httpx.DecodingError):
        kind = "sent an answer that could not be decoded"
    else:
        kind = "failed"
    message = f"the request to {host} {kind}"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return NetworkError(message + " (nothing was sent)")
    if outcome_unknown:
        # review: a timeout after the request left may still have charged the card.
        message += (
            "; the request may have reached the PSP: query the transaction by its id "
            "before sending it again"
        )
    return NetworkError(message)
