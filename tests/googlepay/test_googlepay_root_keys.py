"""Root signing keys: Google's keys.json format, files, and RootKeyFetcher's HTTP cache.

Google's key server is stood in for by a local HTTP server on 127.0.0.1 that the tests start
themselves, serving keys.json as Google documents it (a JSON body, with Cache-Control
max-age). The fetcher's clock is injected, so "later" costs no waiting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import (
    DAY_MS,
    GOOGLEPAY_VECTORS,
    NOW,
    NOW_MS,
    KeyServer,
    Sealer,
    payment_message,
    serve_keys,
)

from googlepay_crypto import (
    PRODUCTION_KEYS_URL,
    TEST_KEYS_URL,
    ConfigurationError,
    GooglePayError,
    Recipient,
    RootKeyFetcher,
    RootKeysError,
    RootKeysUnavailableError,
    load_root_keys,
    parse_root_keys,
)
from googlepay_crypto.root_keys import cache_lifetime

from support import require_shared

SEALER = Sealer.generated()
MERCHANT = ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    with serve_keys(SEALER.root_keys_json().encode()) as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_the_documented_urls() -> None:
    assert (
        PRODUCTION_KEYS_URL == "https://payments.developers.google.com/paymentmethodtoken/keys.json"
    )
    assert (
        TEST_KEYS_URL == "https://payments.developers.google.com/paymentmethodtoken/test/keys.json"
    )
    assert RootKeyFetcher.production().url == PRODUCTION_KEYS_URL
    assert RootKeyFetcher.test_environment().url == TEST_KEYS_URL


def test_fetched_keys_open_a_token(key_server: KeyServer) -> None:
    fetcher = RootKeyFetcher(key_server.url, clock=Clock())
    recipient = Recipient(SEALER.recipient_id, root_keys=fetcher, private_keys=[MERCHANT])
    message = payment_message()
    assert (
        recipient.unseal_plaintext(SEALER.seal(message, MERCHANT.public_key()), now=NOW) == message
    )
    assert key_server.requests == 1


def test_no_second_request_within_max_age_and_a_refetch_after(key_server: KeyServer) -> None:
    clock = Clock()
    fetcher = RootKeyFetcher(key_server.url, clock=clock)
    first = fetcher.current()
    clock.advance(3599)
    assert fetcher.current() is first
    assert key_server.requests == 1
    clock.advance(1)
    second = fetcher.current()
    assert key_server.requests == 2 and second is not first
    assert fetcher.fetches == 2


def test_age_is_subtracted_from_max_age(key_server: KeyServer) -> None:
    key_server.headers = {"Cache-Control": "max-age=3600", "Age": "3000"}
    clock = Clock()
    fetcher = RootKeyFetcher(key_server.url, clock=clock)
    fetcher.current()
    clock.advance(599)
    fetcher.current()
    assert key_server.requests == 1
    clock.advance(1)
    fetcher.current()
    assert key_server.requests == 2


def test_expires_is_used_without_max_age(key_server: KeyServer) -> None:
    key_server.headers = {
        "Date": "Thu, 01 Jan 2026 00:00:00 GMT",
        "Expires": "Thu, 01 Jan 2026 00:10:00 GMT",
    }
    clock = Clock()
    fetcher = RootKeyFetcher(key_server.url, clock=clock)
    fetcher.current()
    clock.advance(599)
    fetcher.current()
    assert key_server.requests == 1
    clock.advance(1)
    fetcher.current()
    assert key_server.requests == 2


@pytest.mark.parametrize("header", ["no-cache", "no-store", "max-age=0", None])
def test_uncacheable_responses_are_fetched_every_time(
    key_server: KeyServer, header: str | None
) -> None:
    key_server.headers = {"Cache-Control": header} if header else {}
    fetcher = RootKeyFetcher(key_server.url, clock=Clock())
    fetcher.current()
    fetcher.current()
    assert key_server.requests == 2


def test_a_failed_refetch_keeps_the_keys_for_stale_if_error(key_server: KeyServer) -> None:
    clock = Clock()
    fetcher = RootKeyFetcher(key_server.url, clock=clock, stale_if_error=dt.timedelta(hours=1))
    first = fetcher.current()
    key_server.status = 503
    clock.advance(3600 + 3599)
    assert fetcher.current() is first
    clock.advance(1)
    with pytest.raises(RootKeysUnavailableError) as caught:
        fetcher.current()
    assert "HTTP 503" in caught.value.message


def test_offline_names_the_file_option() -> None:
    fetcher = RootKeyFetcher("http://127.0.0.1:9/keys.json", clock=Clock(), timeout=2)
    with pytest.raises(RootKeysUnavailableError) as caught:
        fetcher.current()
    assert caught.value.code == "root_keys_unavailable"
    assert "--root-keys FILE" in caught.value.message
    assert "load_root_keys" in caught.value.message


def test_a_body_that_is_not_keys_json(key_server: KeyServer) -> None:
    key_server.body = b"<html>maintenance</html>"
    with pytest.raises(RootKeysError):
        RootKeyFetcher(key_server.url, clock=Clock()).current()


@pytest.mark.parametrize(
    "url",
    ["http://payments.developers.google.com/keys.json", "file:///etc/passwd", "ftp://x/", "", 7],
)
def test_only_https_or_loopback_http(url: Any) -> None:
    with pytest.raises(ConfigurationError):
        RootKeyFetcher(url)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"cache-control": "public, max-age=86400"}, 86400),
        ({"Cache-Control": "max-age=100", "Age": "30"}, 70),
        ({"Cache-Control": "max-age=10", "Age": "30"}, 0),
        ({"Cache-Control": "max-age=junk"}, 0),
        ({"Cache-Control": "private, no-cache, max-age=100"}, 0),
        (
            {"Date": "Thu, 01 Jan 2026 00:00:00 GMT", "Expires": "Thu, 01 Jan 2026 01:00:00 GMT"},
            3600,
        ),
        ({"Date": "junk", "Expires": "Thu, 01 Jan 2026 01:00:00 GMT"}, 0),
        ({}, 0),
    ],
)
def test_cache_lifetime(headers: dict[str, str], seconds: int) -> None:
    assert cache_lifetime(headers) == dt.timedelta(seconds=seconds)


# --- keys.json ---------------------------------------------------------------------------


def _entry(version: str, expiration: str | None) -> dict[str, str]:
    entry = json.loads(SEALER.root_keys_json())["keys"][0]
    entry["protocolVersion"] = version
    if expiration is None:
        del entry["keyExpiration"]
    else:
        entry["keyExpiration"] = expiration
    return entry


def test_usable_entries_follow_tink() -> None:
    keys = parse_root_keys(
        json.dumps(
            {
                "keys": [
                    _entry("ECv2", str(NOW_MS + DAY_MS)),
                    _entry("ECv2", str(NOW_MS)),  # expires now: not usable
                    _entry("ECv2", None),  # no expiration: ECv1 only
                    _entry("ECv1", None),
                    _entry("ECv3", str(NOW_MS + DAY_MS)),  # unknown version: kept, unused
                ],
                "future": "member",
            }
        )
    )
    assert len(keys.keys) == 5
    assert len(keys.for_version("ECv2", NOW_MS)) == 1
    assert len(keys.for_version("ECv2", NOW_MS - 1)) == 2
    assert len(keys.for_version("ECv1", NOW_MS)) == 1
    assert keys.for_version("ECv2SigningOnly", NOW_MS) == ()


@pytest.mark.parametrize(
    "document",
    [
        "",
        "[]",
        '{"keys": {}}',
        '{"keys": [1]}',
        '{"keys": [{"protocolVersion": "ECv2"}]}',
        '{"keys": [{"keyValue": "AAAA", "protocolVersion": "ECv2"}]}',
        '{"keys": [], "keys": []}',
    ],
)
def test_malformed_keys_json(document: str) -> None:
    with pytest.raises(RootKeysError):
        parse_root_keys(document)


def test_bad_expiration_in_keys_json() -> None:
    with pytest.raises(RootKeysError):
        parse_root_keys(json.dumps({"keys": [_entry("ECv2", "tomorrow")]}))


def test_google_test_environment_keys_parse() -> None:
    path = require_shared(GOOGLEPAY_VECTORS / "keys" / "google-test-environment-root-keys.json")
    document = json.loads(path.read_text())
    text = next(v for v in document.values() if isinstance(v, str) and '"keys"' in v)
    keys = parse_root_keys(text)
    versions = {k.protocol_version for k in keys.keys}
    assert {"ECv2", "ECv2SigningOnly"} <= versions


def test_load_root_keys_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(SEALER.root_keys_json())
    keys = load_root_keys(path)
    assert len(keys.for_version("ECv2", NOW_MS)) == 1
    assert keys.current() is keys
    with pytest.raises(ConfigurationError):
        load_root_keys(tmp_path / "absent.json")
    with pytest.raises(GooglePayError):
        load_root_keys(tmp_path)


def test_a_key_of_an_unknown_algorithm_is_refused() -> None:
    """Fuzzing (fuzz_googlepay.py rootkeys): id-ecPublicKey's OID changed to 1.2.832.10045.2.1
    made cryptography raise UnsupportedAlgorithm out of parse_root_keys."""
    import base64

    entry = _entry("ECv2", str(NOW_MS + DAY_MS))
    der = base64.b64decode(entry["keyValue"])
    assert b"\x2a\x86\x48\xce\x3d\x02\x01" in der
    entry["keyValue"] = base64.b64encode(
        der.replace(b"\x2a\x86\x48\xce\x3d\x02\x01", b"\x2a\x86\x40\xce\x3d\x02\x01")
    ).decode()
    with pytest.raises(RootKeysError):
        parse_root_keys(json.dumps({"keys": [entry]}))


def test_threads_share_one_fetch(key_server: KeyServer) -> None:
    """Many threads meeting a cold cache make one request, and all get the same keys."""
    from concurrent.futures import ThreadPoolExecutor

    fetcher = RootKeyFetcher(key_server.url, clock=Clock())
    recipient = Recipient(SEALER.recipient_id, root_keys=fetcher, private_keys=[MERCHANT])
    tokens = [SEALER.seal(payment_message(), MERCHANT.public_key()) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        pans = list(pool.map(lambda t: recipient.unseal(t, now=NOW).pan, tokens))
    assert pans == ["4111111111111111"] * 16
    assert key_server.requests == 1


def test_a_naive_clock_is_a_configuration_error(key_server: KeyServer) -> None:
    fetcher = RootKeyFetcher(key_server.url, clock=lambda: dt.datetime(2026, 1, 1))
    with pytest.raises(ConfigurationError):
        fetcher.current()
    assert key_server.requests == 0
