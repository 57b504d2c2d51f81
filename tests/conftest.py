"""Shared fixtures: the reference material in ../shared and a session-wide test authority."""

from __future__ import annotations

from pathlib import Path

import pytest

from applepay_crypto.testing import TestAuthority, TestMerchant

from support import APPLE_ROOT_PATH, require_shared


@pytest.fixture(scope="session")
def apple_root_path() -> Path:
    return require_shared(APPLE_ROOT_PATH)


@pytest.fixture(scope="session")
def authority() -> TestAuthority:
    return TestAuthority.create()


@pytest.fixture(scope="session")
def ec_merchant(authority: TestAuthority) -> TestMerchant:
    return TestMerchant.create(authority, merchant_id="merchant.com.example.ec", key_type="ec")


@pytest.fixture(scope="session")
def rsa_merchant(authority: TestAuthority) -> TestMerchant:
    return TestMerchant.create(authority, merchant_id="merchant.com.example.rsa", key_type="rsa")


@pytest.fixture(autouse=True)
def _no_installed_root(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never see the developer's installed root or APPLEPAY_ROOT_CA."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("APPLEPAY_ROOT_CA", raising=False)
    monkeypatch.delenv("APPLEPAY_REPLAY_REDIS_URL", raising=False)
