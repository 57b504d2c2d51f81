"""Issue #14, item 1: the charging step takes the replay guards of ``decrypt``.

``paykka-sign applepay-request`` (``--replay-db`` / ``--replay-redis``) and the builders of
``paykka_sign.applepay_requests`` (``replay_guard=``) refuse a second request from one
token with ``replayed_transaction``; a request refused for a fixable reason leaves the
token unused. SQLite and a real Redis (the ``redis_url`` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import (
    MemoryReplayGuard,
    ReplayedTransactionError,
    SQLiteReplayGuard,
    TokenDecryptor,
    TrustStore,
    verify_token,
)
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from paykka_sign import YabandPaySigner
from paykka_sign.applepay_requests import (
    paykka_decrypted_payment,
    paykka_token_payment,
    yabandpay_applepay_request,
)
from paykka_sign.cli import main
from paykka_sign.errors import AmountMismatchError, PaykkaSignError

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
AT = "2026-03-01T12:00:00Z"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    authority = TestAuthority.create()
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.replay")
    directory = tmp_path_factory.mktemp("charging-replay")
    paths = dict(merchant.save(directory))
    root = directory / "root.pem"
    root.write_bytes(authority.root.certificate.public_bytes(serialization.Encoding.PEM))
    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (directory / "signing.pem").write_bytes(
        signing.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "secret.txt").write_text("yabandpay-secret\n")
    for path in (directory / "signing.pem", directory / "secret.txt"):
        path.chmod(0o600)
    return {
        "authority": authority,
        "merchant": merchant,
        "dir": directory,
        "root": root,
        "trust": TrustStore.for_test_roots([authority.root.certificate]),
        **paths,
    }


def _token(world: dict[str, Any]) -> dict[str, Any]:
    payload = sample_payload(amount=1000, currency_code="978")
    token: dict[str, Any] = mint(
        payload, recipient=world["merchant"], authority=world["authority"], signing_time=NOW
    )
    return token


def _token_file(world: dict[str, Any]) -> Path:
    path = world["dir"] / f"token-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(_token(world)))
    return path


# -- the library ---------------------------------------------------------------------------


def _guards(tmp_path: Path, redis_url: str | None = None) -> list[Any]:
    clock = {"clock": lambda: NOW}
    guards: list[Any] = [
        MemoryReplayGuard(**clock),
        SQLiteReplayGuard(tmp_path / "replay.db", **clock),
    ]
    if redis_url is not None:
        from applepay_crypto.replay_redis import RedisReplayGuard

        guards.append(
            RedisReplayGuard.from_url(redis_url, prefix=f"charging-{uuid.uuid4().hex}:", **clock)
        )
    return guards


def _check_each_builder(world: dict[str, Any], guard: Any) -> None:
    decryptor = TokenDecryptor(world["merchant"].merchant_key, trust=world["trust"])
    # merchant decryption: the decrypted token is the proof
    token = _token(world)
    decrypted = decryptor.decrypt(token, now=NOW)
    with pytest.raises(AmountMismatchError):  # a fixable refusal does not use the token
        paykka_decrypted_payment(decrypted, amount=999, currency="EUR", replay_guard=guard)
    paykka_decrypted_payment(decrypted, amount=1000, currency="EUR", replay_guard=guard)
    with pytest.raises(ReplayedTransactionError) as replay:
        paykka_decrypted_payment(decrypted, amount=1000, currency="EUR", replay_guard=guard)
    assert replay.value.code == "replayed_transaction"
    # PayKKa decryption: verified, not decrypted
    token = _token(world)
    verified = verify_token(token, root=world["trust"], now=NOW)
    paykka_token_payment(token, verified=verified, replay_guard=guard)
    with pytest.raises(ReplayedTransactionError):
        paykka_token_payment(token, verified=verified, replay_guard=guard)
    # YabandPay, verified only
    token = _token(world)
    verified = verify_token(token, root=world["trust"], now=NOW)
    signer = YabandPaySigner("secret", user="u")
    order = {
        "order_id": "o-1",
        "amount": 1000,
        "currency": "EUR",
        "description": "d",
        "notify_url": "https://example.com/n",
    }
    yabandpay_applepay_request(signer, token, **order, verified=verified, replay_guard=guard)
    with pytest.raises(ReplayedTransactionError):
        yabandpay_applepay_request(signer, token, **order, verified=verified, replay_guard=guard)


def test_library_builders_refuse_a_second_request_memory_and_sqlite(
    world: dict[str, Any], tmp_path: Path
) -> None:
    for guard in _guards(tmp_path):
        _check_each_builder(world, guard)


def test_library_builders_refuse_a_second_request_redis(
    world: dict[str, Any], tmp_path: Path, redis_url: str
) -> None:
    _check_each_builder(world, _guards(tmp_path, redis_url)[-1])


def test_a_guard_without_proof_of_verification_is_a_package_error(world: dict[str, Any]) -> None:
    token = _token(world)
    with pytest.raises(PaykkaSignError) as refused:
        paykka_token_payment(token, replay_guard=MemoryReplayGuard())
    assert refused.value.code == "invalid_argument"
    unverified = TokenDecryptor(world["merchant"].merchant_key, verify_signature=False).decrypt(
        token
    )
    with pytest.raises(PaykkaSignError):
        paykka_decrypted_payment(
            unverified, amount=1000, currency="EUR", replay_guard=MemoryReplayGuard()
        )


# -- the command line ------------------------------------------------------------------------


def _request(world: dict[str, Any], token: Path, provider: str, *extra: str) -> Result:
    common = ["applepay-request", str(token), "--root", str(world["root"]), "--at", AT,
              "--amount", "1000", "--currency", "EUR", "--order-id", "order-1", "--json"]  # fmt: skip
    if provider == "paykka":
        options = ["--provider", "paykka", "--key", str(world["key"]),
                   "--cert", str(world["certificate"]),
                   "--signing-key", str(world["dir"] / "signing.pem"),
                   "--paykka-merchant-id", "18356675194960"]  # fmt: skip
    else:  # verified only: no --key
        options = ["--provider", "yabandpay", "--secret-key-file",
                   str(world["dir"] / "secret.txt"), "--user", "u", "--description", "d",
                   "--notify-url", "https://example.com/n"]  # fmt: skip
    return CliRunner().invoke(main, [*common, *options, *extra], catch_exceptions=False)


def _check_cli(world: dict[str, Any], guard_option: list[str]) -> None:
    for provider in ("paykka", "yabandpay"):
        token = _token_file(world)
        if provider == "paykka":  # decrypted: the order is checked, the token stays unused
            wrong = _request(world, token, provider, *guard_option, "--amount", "5")
            assert wrong.exit_code == 1
            assert json.loads(wrong.stdout)["error"]["code"] == "amount_mismatch"
        first = _request(world, token, provider, *guard_option)
        assert first.exit_code == 0, first.output
        assert "body" in json.loads(first.stdout)
        for _ in range(2):
            again = _request(world, token, provider, *guard_option)
            assert again.exit_code == 1, again.output
            assert json.loads(again.stdout)["error"]["code"] == "replayed_transaction"
        # another token passes the same guard
        assert _request(world, _token_file(world), provider, *guard_option).exit_code == 0


def test_cli_replay_db(world: dict[str, Any], tmp_path: Path) -> None:
    _check_cli(world, ["--replay-db", str(tmp_path / "replay.db")])


def test_cli_replay_redis(world: dict[str, Any], redis_url: str) -> None:
    _check_cli(world, ["--replay-redis", redis_url])


def test_cli_without_a_guard_still_signs_each_time(world: dict[str, Any]) -> None:
    token = _token_file(world)
    assert _request(world, token, "paykka").exit_code == 0
    assert _request(world, token, "paykka").exit_code == 0


def test_cli_both_guards_is_a_setup_error(world: dict[str, Any], tmp_path: Path) -> None:
    result = _request(
        world, _token_file(world), "paykka", "--replay-db", str(tmp_path / "r.db"),
        "--replay-redis", "redis://127.0.0.1:1/0",
    )  # fmt: skip
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "invalid_configuration"
