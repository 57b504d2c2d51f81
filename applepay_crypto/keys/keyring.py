"""Merchant keys chosen by the publicKeyHash a token names."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator

from ..errors import ConfigurationError, KeyNotFoundError
from .merchant_key import MerchantKey
from .seams import KeyLookup

__all__ = ["Keyring"]


class Keyring:
    """Merchant keys by ``publicKeyHash``: the token says which one it needs.

    Keys given here are held; ``lookup`` is asked for any other hash. Safe to share between
    threads: the held keys never change after construction.
    """

    def __init__(
        self, keys: Iterable[MerchantKey] = (), *, lookup: KeyLookup | None = None
    ) -> None:
        self._by_hash: dict[bytes, MerchantKey] = {}
        self._lookup = lookup
        for key in keys:
            if key.public_key_hash in self._by_hash:
                raise ConfigurationError(f"the key {key.public_key_hash_b64} is given twice")
            self._by_hash[key.public_key_hash] = key
        if not self._by_hash and lookup is None:
            raise ConfigurationError("a keyring needs at least one merchant key or a key lookup")

    def __iter__(self) -> Iterator[MerchantKey]:
        """The keys held (not those a lookup would find)."""
        return iter(self._by_hash.values())

    def __len__(self) -> int:
        return len(self._by_hash)

    def find(self, public_key_hash: bytes, *, version: str | None = None) -> MerchantKey:
        """The key whose public key hashes to ``public_key_hash``."""
        key = self._by_hash.get(public_key_hash)
        if key is None:
            key = self._look_up(public_key_hash)
        if version is not None and key.version != version:
            raise KeyNotFoundError(
                f"the key with publicKeyHash {key.public_key_hash_b64} is {key.kind}, "
                f"which cannot decrypt a {version} token"
            )
        return key

    def _look_up(self, public_key_hash: bytes) -> MerchantKey:
        key = self._lookup.find(public_key_hash) if self._lookup is not None else None
        if key is None:
            wanted = base64.b64encode(public_key_hash).decode("ascii")
            held = ", ".join(k.public_key_hash_b64 for k in self._by_hash.values())
            looked = " and the key lookup has none" if self._lookup is not None else ""
            raise KeyNotFoundError(
                f"no merchant key has publicKeyHash {wanted}; the keys given have "
                f"{held or 'none'}{looked}. "
                "The token was encrypted to another payment processing certificate "
                "(renewed, or another merchant id)."
            )
        if key.public_key_hash != public_key_hash:
            # A lookup that answers with another key would decrypt nothing and blame the
            # token: say where the fault is.
            raise ConfigurationError(
                f"the key lookup answered {base64.b64encode(public_key_hash).decode()} with "
                f"the key {key.public_key_hash_b64}"
            )
        return key

    def __repr__(self) -> str:
        lookup = f", lookup={type(self._lookup).__name__}" if self._lookup is not None else ""
        return f"Keyring({', '.join(repr(k) for k in self)}{lookup})"
