"""Google's root signing keys: the ``keys.json`` format, files, and fetching with a cache.

Format (Tink ``PaymentMethodTokenRecipient.Builder.senderVerifyingKeys``; Google's
"Payment data cryptography for merchants", "Root signing keys")::

    {"keys": [{"keyValue": "<base64 X.509 SubjectPublicKeyInfo, P-256>",
               "protocolVersion": "ECv2", "keyExpiration": "<ms since the epoch>"}, ...]}

An entry whose ``keyExpiration`` is not in the future is not used; an entry without one is
used only for ECv1 (Tink ``parseTrustedSigningKeysJson``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "PRODUCTION_KEYS_URL",
    "TEST_KEYS_URL",
    "RootKeyFetcher",
    "RootKeySource",
    "RootSigningKey",
    "RootSigningKeys",
    "load_root_keys",
    "parse_root_keys",
]

#: Documented by Google ("Payment data cryptography for merchants", "Root signing keys").
PRODUCTION_KEYS_URL = "https://payments.developers.google.com/paymentmethodtoken/keys.json"
TEST_KEYS_URL = "https://payments.developers.google.com/paymentmethodtoken/test/keys.json"


@dataclass(frozen=True, eq=False)
class RootSigningKey:
    """One entry of keys.json."""

    public_key: ec.EllipticCurvePublicKey
    protocol_version: str
    #: Milliseconds since the epoch, or ``None`` when the entry has none.
    key_expiration: int | None

    def usable(self, protocol_version: str, now_ms: int) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class RootSigningKeys:
    """A parsed keys.json: every entry, whatever its version."""

    keys: tuple[RootSigningKey, ...]

    def for_version(
        self, protocol_version: str, now_ms: int
    ) -> tuple[ec.EllipticCurvePublicKey, ...]:
        raise NotImplementedError

    def current(self) -> RootSigningKeys:
        """A :class:`RootKeySource` that never changes."""
        return self


@runtime_checkable
class RootKeySource(Protocol):
    """Where a recipient gets the root keys for each token: fixed keys, or a fetcher."""

    def current(self) -> RootSigningKeys: ...


def parse_root_keys(document: str | bytes) -> RootSigningKeys:
    raise NotImplementedError


def load_root_keys(path: str | Path) -> RootSigningKeys:
    raise NotImplementedError


class RootKeyFetcher:
    """Google's keys.json fetched over HTTPS and cached as its Cache-Control says."""

    def __init__(
        self,
        url: str = PRODUCTION_KEYS_URL,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        timeout: float = 10.0,
    ) -> None:
        raise NotImplementedError

    @classmethod
    def production(cls, **options: object) -> RootKeyFetcher:
        raise NotImplementedError

    @classmethod
    def test_environment(cls, **options: object) -> RootKeyFetcher:
        raise NotImplementedError

    def current(self) -> RootSigningKeys:
        raise NotImplementedError
