"""Google's root signing keys: the ``keys.json`` format, files, and fetching with a cache.

Format (Tink ``PaymentMethodTokenRecipient.Builder.senderVerifyingKeys``; Google's
"Payment data cryptography for merchants", "Root signing keys")::

    {"keys": [{"keyValue": "<base64 X.509 SubjectPublicKeyInfo, P-256>",
               "protocolVersion": "ECv2", "keyExpiration": "<ms since the epoch>"}, ...]}

An entry whose ``keyExpiration`` is not in the future is not used; an entry without one is
used only for ECv1 (Tink ``parseTrustedSigningKeysJson``). Other members, and entries of
versions this library does not know, are kept and ignored (Google may add them).

:class:`RootKeyFetcher` downloads the file from Google and keeps it as long as the
response's ``Cache-Control: max-age`` (less its ``Age``) says, or until its ``Expires``;
Tink's ``GooglePaymentsPublicKeysManager`` caches the same way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec

from ._json import loads_strict
from ._time import parse_millis
from .errors import ConfigurationError, RootKeysError, RootKeysUnavailableError
from .signatures import load_p256_public_key

__all__ = [
    "PRODUCTION_KEYS_URL",
    "TEST_KEYS_URL",
    "RootKeyFetcher",
    "RootKeySource",
    "RootSigningKey",
    "RootSigningKeys",
    "cache_lifetime",
    "load_root_keys",
    "parse_root_keys",
]

#: Documented by Google ("Payment data cryptography for merchants", "Root signing keys"),
#: and Tink's ``GooglePaymentsPublicKeysManager``.
PRODUCTION_KEYS_URL = "https://payments.developers.google.com/paymentmethodtoken/keys.json"
TEST_KEYS_URL = "https://payments.developers.google.com/paymentmethodtoken/test/keys.json"

#: keys.json is about 1 KB; a response far larger is not it.
MAX_DOCUMENT_BYTES = 256 * 1024
_FILE_OPTION = "give the keys as a file instead (load_root_keys(path); --root-keys FILE)"


@dataclass(frozen=True, eq=False)
class RootSigningKey:
    """One entry of keys.json."""

    public_key: ec.EllipticCurvePublicKey
    protocol_version: str
    #: Milliseconds since the epoch, or ``None`` when the entry has none.
    key_expiration: int | None

    def usable(self, protocol_version: str, now_ms: int) -> bool:
        """Whether this entry may verify ``protocol_version`` tokens at ``now_ms``."""
        if self.protocol_version != protocol_version:
            return False
        if self.key_expiration is None:
            return protocol_version == "ECv1"
        return self.key_expiration > now_ms


@dataclass(frozen=True, eq=False)
class RootSigningKeys:
    """A parsed keys.json: every entry, whatever its version."""

    keys: tuple[RootSigningKey, ...]

    def for_version(
        self, protocol_version: str, now_ms: int
    ) -> tuple[ec.EllipticCurvePublicKey, ...]:
        """The public keys usable for ``protocol_version`` at ``now_ms``."""
        return tuple(k.public_key for k in self.keys if k.usable(protocol_version, now_ms))

    def current(self) -> RootSigningKeys:
        """A :class:`RootKeySource` that never changes."""
        return self

    def __repr__(self) -> str:
        versions = ", ".join(f"{k.protocol_version} until {k.key_expiration}" for k in self.keys)
        return f"RootSigningKeys({versions})"


@runtime_checkable
class RootKeySource(Protocol):
    """Where a recipient gets the root keys for each token: fixed keys, or a fetcher."""

    def current(self) -> RootSigningKeys: ...


def _entry(value: Any, index: int) -> RootSigningKey:
    where = f"keys.json keys[{index}]"
    if not isinstance(value, dict):
        raise RootKeysError(f"{where} is not an object")
    key_value, version = value.get("keyValue"), value.get("protocolVersion")
    if not isinstance(version, str) or not version:
        raise RootKeysError(f"{where}.protocolVersion is missing or not a string")
    key = load_p256_public_key(key_value) if isinstance(key_value, str) else None
    if key is None:
        raise RootKeysError(
            f"{where}.keyValue is missing or not base64 of a P-256 public key (X.509 "
            "SubjectPublicKeyInfo)"
        )
    expiration = None
    if "keyExpiration" in value:
        raw = value["keyExpiration"]
        expiration = parse_millis(raw) if isinstance(raw, str) else None
        if expiration is None:
            raise RootKeysError(
                f"{where}.keyExpiration is not milliseconds since the epoch as a decimal string"
            )
    return RootSigningKey(key, version, expiration)


def parse_root_keys(document: str | bytes) -> RootSigningKeys:
    """Google's keys.json text (``{"keys": [...]}``), every entry checked."""
    value = loads_strict(document, RootKeysError, "keys.json")
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise RootKeysError('keys.json is not an object with a "keys" array')
    entries = value["keys"]
    if len(entries) > 64:
        raise RootKeysError("keys.json holds more than 64 keys")
    return RootSigningKeys(tuple(_entry(item, i) for i, item in enumerate(entries)))


def load_root_keys(path: str | Path) -> RootSigningKeys:
    """:func:`parse_root_keys` of a file (a copy of Google's keys.json)."""
    try:
        file = Path(path)
        with file.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, TypeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
        raise ConfigurationError(f"cannot read the root keys file: {reason}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise RootKeysError(f"the root keys file is larger than {MAX_DOCUMENT_BYTES} bytes")
    return parse_root_keys(data)


def _seconds(value: str) -> int | None:
    value = value.strip().strip('"')
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def _http_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


def cache_lifetime(headers: Mapping[str, str]) -> dt.timedelta:
    """How long a response may be used (RFC 9111 section 4.2.1): ``Cache-Control``
    ``max-age`` less ``Age``; else ``Expires`` less ``Date``; ``no-store``/``no-cache`` or
    nothing at all: not at all. ``headers`` are looked up case-insensitively."""
    lowered = {name.lower(): value for name, value in headers.items()}
    directives: dict[str, str | None] = {}
    for part in lowered.get("cache-control", "").split(","):
        directive, _, argument = part.strip().partition("=")
        if directive:
            directives[directive.lower()] = argument or None
    if "no-store" in directives or "no-cache" in directives:
        return dt.timedelta(0)
    age = _seconds(lowered.get("age", "")) or 0
    max_age = directives.get("max-age")
    seconds = _seconds(max_age) if max_age is not None else None
    if seconds is not None:  # a private cache: s-maxage is for shared ones
        return dt.timedelta(seconds=max(0, seconds - age))
    expires, date = _http_date(lowered.get("expires")), _http_date(lowered.get("date"))
    if expires is not None and date is not None:
        return max(dt.timedelta(0), expires - date - dt.timedelta(seconds=age))
    return dt.timedelta(0)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _check_url(url: object) -> str:
    """https, or http to this machine only (a local stand-in for Google's server): root keys
    fetched in clear text could be anyone's."""
    if not isinstance(url, str):
        raise ConfigurationError("the root keys URL must be a string")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ConfigurationError("the root keys URL is not a URL") from None
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host in ("127.0.0.1", "localhost", "::1"):
        return url
    raise ConfigurationError("the root keys URL must be https (or http to 127.0.0.1)")


class RootKeyFetcher:
    """Google's keys.json fetched over HTTPS, kept as the response's cache headers say.

    ``current()`` returns the cached keys while they are fresh and fetches them again once
    they are not. When a refetch fails, keys fetched before stay in use for
    ``stale_if_error`` more (Google's servers being down should not stop payments; every
    root key still has its own ``keyExpiration``, checked per token). With nothing to fall
    back on it raises :class:`RootKeysUnavailableError`, which names the file option.
    Thread-safe: one fetch at a time.
    """

    def __init__(
        self,
        url: str = PRODUCTION_KEYS_URL,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        timeout: float = 10.0,
        stale_if_error: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self.url = _check_url(url)
        self.clock = clock or _utc_now
        self.timeout = timeout
        self.stale_if_error = stale_if_error
        self._lock = threading.Lock()
        self._keys: RootSigningKeys | None = None
        self._fresh_until: dt.datetime | None = None
        #: How many HTTP requests were made (for tests and metrics).
        self.fetches = 0

    @classmethod
    def production(cls, **options: Any) -> RootKeyFetcher:
        """Google's production keys (tokens from the PRODUCTION environment)."""
        return cls(PRODUCTION_KEYS_URL, **options)

    @classmethod
    def test_environment(cls, **options: Any) -> RootKeyFetcher:
        """Google's TEST-environment keys (tokens from ``environment: 'TEST'``)."""
        return cls(TEST_KEYS_URL, **options)

    def __repr__(self) -> str:
        return f"RootKeyFetcher({self.url!r})"

    def current(self) -> RootSigningKeys:
        """The keys: cached while fresh, else fetched."""
        with self._lock:
            now = self.clock()
            if not isinstance(now, dt.datetime) or now.utcoffset() is None:
                raise ConfigurationError("the fetcher's clock must give timezone-aware datetimes")
            if self._keys is not None and self._fresh_until is not None and now < self._fresh_until:
                return self._keys
            try:
                keys, lifetime = self._fetch()
            except RootKeysUnavailableError:
                if (
                    self._keys is not None
                    and self._fresh_until is not None
                    and now < self._fresh_until + self.stale_if_error
                ):
                    return self._keys
                raise
            self._keys, self._fresh_until = keys, now + lifetime
            return keys

    def _fetch(self) -> tuple[RootSigningKeys, dt.timedelta]:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked: _check_url)
            self.url, headers={"Accept": "application/json", "User-Agent": "googlepay-crypto"}
        )
        self.fetches += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_DOCUMENT_BYTES + 1)
                headers = {name: value for name, value in response.headers.items()}
        except urllib.error.HTTPError as exc:
            raise RootKeysUnavailableError(
                f"Google's root signing keys could not be fetched from {self.url}: HTTP "
                f"{exc.code}; {_FILE_OPTION}"
            ) from None
        except (OSError, ValueError) as exc:  # URLError, timeouts, refused, hung up
            reason = getattr(exc, "reason", None)
            detail = (
                type(reason).__name__ if isinstance(reason, BaseException) else type(exc).__name__
            )
            raise RootKeysUnavailableError(
                f"Google's root signing keys could not be fetched from {self.url} "
                f"({detail}: offline?); {_FILE_OPTION}"
            ) from None
        if len(body) > MAX_DOCUMENT_BYTES:
            raise RootKeysUnavailableError(
                f"the response from {self.url} is larger than {MAX_DOCUMENT_BYTES} bytes: it "
                f"is not keys.json; {_FILE_OPTION}"
            )
        return parse_root_keys(body), cache_lifetime(headers)
