"""pytest fixtures for the PayKKa/YabandPay simulator.

Enable with ``pytest_plugins = ["paykka_sign.simulator.pytest_plugin"]`` in a conftest.py
(installed packages also register it through the ``pytest11`` entry point
``paykka_simulator``).

* ``paykka_merchant_key``: an RSA-2048 private key, the merchant's (one per session);
* ``yabandpay_secret``: the YabandPay secret key (text);
* ``paykka_simulator``: a running :class:`~paykka_sign.simulator.Simulator` on a free port
  of 127.0.0.1 trusting both, stopped after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ..keys import generate_private_key
from .server import Simulator

YABANDPAY_TEST_SECRET = "simulator-yabandpay-secret"  # noqa: S105 - a test secret


@pytest.fixture(scope="session")
def paykka_merchant_key() -> rsa.RSAPrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def paykka_platform_key() -> rsa.RSAPrivateKey:
    return generate_private_key()


@pytest.fixture
def yabandpay_secret() -> str:
    return YABANDPAY_TEST_SECRET


@pytest.fixture
def paykka_simulator(
    paykka_merchant_key: rsa.RSAPrivateKey,
    paykka_platform_key: rsa.RSAPrivateKey,
    yabandpay_secret: str,
) -> Iterator[Simulator]:
    with Simulator(
        merchant_public_key=paykka_merchant_key.public_key(),
        platform_key=paykka_platform_key,
        yabandpay_secret=yabandpay_secret,
    ) as simulator:
        yield simulator
