"""Shared fixtures: the reference material in ../shared and a session-wide test authority."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from applepay_crypto.testing import TestAuthority, TestMerchant

from support import APPLE_ROOT_PATH, REPO, SOFTHSM_PIN, require_shared


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


_SOFTHSM_MODULES = [
    os.environ.get("PKCS11_MODULE", ""),
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
]


@pytest.fixture(scope="session")
def softhsm_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Fresh SoftHSM2 tokens in a temporary store, for the whole session: "merchant",
    "spare", and "unopened", which no test logs in to (PKCS#11 logs in the application, so
    a wrong PIN shows only at a process's first login to a token). SoftHSM2 reads
    SOFTHSM2_CONF once, when a process first loads it, so every test file that uses a token
    shares this store. The PIN is in a file (mode 0600)."""
    pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed (pip install '.[test]')")
    util = shutil.which("softhsm2-util")
    if util is None:
        pytest.skip("softhsm2-util is not on PATH (apt-get install softhsm2)")
    module = next((m for m in _SOFTHSM_MODULES if m and Path(m).is_file()), None)
    if module is None:
        pytest.skip("SoftHSM2's module libsofthsm2.so is absent (apt-get install softhsm2)")
    directory: Path = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    for label in ("merchant", "spare", "unopened"):
        secrets = ["--pin", SOFTHSM_PIN, "--so-pin", "2718"]
        subprocess.run(
            [util, "--init-token", "--free", "--label", label, *secrets],
            check=True,
            capture_output=True,
            env=env,
        )
    pin_file = directory / "pin"
    pin_file.write_text(SOFTHSM_PIN + "\n")
    pin_file.chmod(0o600)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # also for worker processes started by tests
    yield {"module": module, "pin_file": pin_file, "dir": directory, "conf": conf}
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


# --- the suite never writes into the working tree ---------------------------------------
# A property test once wrote 74 key files named after generated JSON into tests/paykka_sign/,
# and they were committed. Every run now compares the untracked files before and after.


def _untracked_files() -> set[str] | None:
    if shutil.which("git") is None:
        return None
    result = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all", "-z"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return None  # not a git checkout (an sdist, say): nothing to compare
    entries = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {entry[3:] for entry in entries if entry.startswith("?? ")}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_UNTRACKED_BEFORE] = _untracked_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller checks
    before = session.config.stash.get(_UNTRACKED_BEFORE, None)
    after = _untracked_files()
    if before is None or after is None:
        return
    written = sorted(after - before)
    if written:
        shown = ", ".join(repr(name) for name in written[:5])
        more = f" and {len(written) - 5} more" if len(written) > 5 else ""
        session.config.get_terminal_writer().line(
            f"\nthe test run wrote {len(written)} file(s) into the working tree: {shown}{more}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_UNTRACKED_BEFORE = pytest.StashKey[set[str] | None]()
