"""Fixtures for the security tests: a Redis server for the replay guard."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from security_support import DecryptSetup
from surfaces_support import Surfaces

from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

REDIS_URL_ENV = "APPLEPAY_TEST_REDIS_URL"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, deadline: float) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.5)
    while True:
        try:
            client.ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``APPLEPAY_TEST_REDIS_URL`` (CI sets it: .ci/run starts a server), else a
    redis-server started here on a free port, else skip."""
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        pytest.importorskip("redis", reason=f"{REDIS_URL_ENV} is set but redis-py is missing")
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip(
            f"no redis-server on PATH and {REDIS_URL_ENV} is unset "
            "(apt-get install redis-server, or point the variable at a server)"
        )
    pytest.importorskip("redis", reason="redis-py is not installed (pip install '.[test]')")
    directory: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url, time.monotonic() + 10)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def decrypt_setup(authority: TestAuthority, ec_merchant: TestMerchant) -> DecryptSetup:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=now)
    return DecryptSetup(
        key_pem=ec_merchant.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        certificate_pem=ec_merchant.certificate.public_bytes(serialization.Encoding.PEM),
        root_pem=authority.root.certificate.public_bytes(serialization.Encoding.PEM),
        token=token,
        now=now + dt.timedelta(seconds=5),
    )


@pytest.fixture(scope="module")
def surfaces(
    authority: TestAuthority,
    ec_merchant: TestMerchant,
    rsa_merchant: TestMerchant,
    tmp_path_factory: pytest.TempPathFactory,
) -> Surfaces:
    """Every output surface (library, both CLIs), set up once per test module."""
    directory: Path = tmp_path_factory.mktemp("surfaces")
    return Surfaces.create(authority, ec_merchant, rsa_merchant.private_key, directory)
