"""The bounded in-memory nonce store: expiry, bound, atomicity, the protocol."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from paykka_sign import InMemoryNonceStore, InvalidArgumentError, NonceStore

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)


def test_is_a_nonce_store() -> None:
    assert isinstance(InMemoryNonceStore(), NonceStore)


def test_remembers_until_expiry() -> None:
    store = InMemoryNonceStore()
    assert store.remember("n1", expires_at=T0 + 5 * MINUTE, now=T0)
    assert not store.remember("n1", expires_at=T0 + 6 * MINUTE, now=T0 + 4 * MINUTE)
    assert store.remember("n1", expires_at=T0 + 10 * MINUTE, now=T0 + 5 * MINUTE)
    assert len(store) == 1


def test_expired_entries_are_purged() -> None:
    store = InMemoryNonceStore()
    for i in range(10):
        store.remember(f"n{i}", expires_at=T0 + (i + 1) * MINUTE, now=T0)
    store.remember(
        "late", expires_at=T0 + 20 * MINUTE, now=T0 + 5 * MINUTE + dt.timedelta(seconds=1)
    )
    assert len(store) == 6  # n5..n9 and late


def test_out_of_order_expiries_still_purge_correctly() -> None:
    store = InMemoryNonceStore()
    store.remember("far", expires_at=T0 + 10 * MINUTE, now=T0)
    store.remember("near", expires_at=T0 + 1 * MINUTE, now=T0)
    store.remember("mid", expires_at=T0 + 5 * MINUTE, now=T0)
    store.remember("probe", expires_at=T0 + 30 * MINUTE, now=T0 + 2 * MINUTE)
    assert len(store) == 3  # "near" gone although inserted after "far"
    assert not store.remember("mid", expires_at=T0 + 30 * MINUTE, now=T0 + 2 * MINUTE)
    assert not store.remember("far", expires_at=T0 + 30 * MINUTE, now=T0 + 2 * MINUTE)


def test_bounded_with_counted_evictions() -> None:
    store = InMemoryNonceStore(max_entries=3)
    for i in range(5):
        assert store.remember(f"n{i}", expires_at=T0 + (i + 1) * MINUTE, now=T0)
    assert len(store) == 3
    assert store.evictions == 2
    # The entries closest to expiry went first.
    assert store.remember("n0", expires_at=T0 + 9 * MINUTE, now=T0)
    assert not store.remember("n4", expires_at=T0 + 9 * MINUTE, now=T0)
    with pytest.raises(InvalidArgumentError):
        InMemoryNonceStore(max_entries=0)


def test_concurrent_remember_accepts_a_nonce_once() -> None:
    store = InMemoryNonceStore()
    results: list[bool] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        results.append(store.remember("same", expires_at=T0 + MINUTE, now=T0))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1
