"""Issue #14, item 6: the Python API refuses wrong types with its package's error.

Two rules, each over every public callable it concerns (found by walking both packages,
so a new one must be added to a table here):

* every public callable taking ``now`` reads it one way (``applepay_crypto.moments``): an
  aware datetime, a naive one meaning UTC, or ISO 8601 text with a zone (``...Z``); any
  other value (text without a zone, bytes, a Path, a number, None where required, a list)
  is the package's error, never ``AttributeError``/``TypeError``;
* callables that take library objects (a trust root, a key, a body) are fed the wrong
  types a user plausibly passes (str, bytes, Path, int, None, list).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import applepay_crypto
import paykka_sign
from applepay_crypto import (
    ApplePayError,
    MemoryReplayGuard,
    TokenDecryptor,
    TokenVerifier,
    TrustStore,
    decrypt_token,
    parse_token,
    verify_token,
)
from applepay_crypto.batch import BatchConfig
from applepay_crypto.decryptor import decrypt_with_symmetric_key
from applepay_crypto.doctor import diagnose
from applepay_crypto.doctor.findings import Findings
from applepay_crypto.doctor.signature import check_signature
from applepay_crypto.merchant.certinfo import inspect_certificate, inspect_file
from applepay_crypto.merchant.certs import days_left
from applepay_crypto.replay import replay_expiry
from applepay_crypto.signature import check_signing_time
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from paykka_sign import (
    InMemoryNonceStore,
    PaykkaSignError,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    YabandPaySigner,
)
from paykka_sign.applepay_requests import yabandpay_applepay_request
from paykka_sign.clock import check_window

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
PACKAGE_ERRORS = (ApplePayError, PaykkaSignError)

AUTHORITY = TestAuthority.create()
MERCHANT = TestMerchant.create(AUTHORITY, merchant_id="merchant.com.example.types")
TRUST = TrustStore.for_test_roots([AUTHORITY.root.certificate])
TOKEN = mint(sample_payload(), recipient=MERCHANT, authority=AUTHORITY, signing_time=NOW)
DECRYPTOR = TokenDecryptor(MERCHANT.merchant_key, trust=TRUST)
RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
V12 = PaykkaV12Signer(RSA).sign(b'{"merchant_id":"M","timestamp":1772366400000}')
V3 = PaykkaV3Signer(RSA, app_id="A").sign("POST", "/h", b"{}", now=NOW)

Call = Callable[[Any], Any]

#: Every public callable with a ``now`` parameter, called with ``now`` = the value.
NOW_TAKERS: dict[str, Call] = {
    "applepay_crypto.batch.BatchConfig.from_objects": lambda now: BatchConfig.from_objects(
        [MERCHANT.merchant_key], trust=TRUST, now=now
    ),
    "applepay_crypto.decryptor.TokenDecryptor.verify": lambda now: DECRYPTOR.verify(TOKEN, now=now),
    "applepay_crypto.decryptor.TokenDecryptor.decrypt": lambda now: DECRYPTOR.decrypt(
        TOKEN, now=now
    ),
    "applepay_crypto.decryptor.TokenDecryptor.derive_symmetric_key": (
        lambda now: DECRYPTOR.derive_symmetric_key(TOKEN, now=now)
    ),
    "applepay_crypto.decryptor.TokenDecryptor.decrypt_with_symmetric_key": (
        lambda now: DECRYPTOR.decrypt_with_symmetric_key(
            TOKEN, DECRYPTOR.derive_symmetric_key(TOKEN, now=NOW), now=now
        )
    ),
    "applepay_crypto.decryptor.decrypt_token": lambda now: decrypt_token(
        TOKEN, key=MERCHANT.merchant_key, root=TRUST, now=now
    ),
    "applepay_crypto.decryptor.decrypt_with_symmetric_key": lambda now: decrypt_with_symmetric_key(
        TOKEN, DECRYPTOR.derive_symmetric_key(TOKEN, now=NOW), root=TRUST, now=now
    ),
    "applepay_crypto.decryptor.verify_token": lambda now: verify_token(TOKEN, root=TRUST, now=now),
    "applepay_crypto.doctor.diagnose": lambda now: diagnose(
        TOKEN, keys=[MERCHANT.merchant_key], root=TRUST, now=now
    ),
    "applepay_crypto.doctor.signature.check_signature": lambda now: check_signature(
        parse_token(TOKEN), Findings(), root=TRUST, now=now, max_age=dt.timedelta(minutes=5)
    ),
    "applepay_crypto.merchant.certinfo.inspect_certificate": lambda now: inspect_certificate(
        MERCHANT.certificate, now=now
    ),
    "applepay_crypto.merchant.certinfo.inspect_file": lambda now: inspect_file(
        MERCHANT.certificate.public_bytes(serialization.Encoding.PEM), now=now
    ),
    "applepay_crypto.merchant.certs.days_left": lambda now: days_left(MERCHANT.certificate, now),
    "applepay_crypto.replay.replay_expiry": lambda now: replay_expiry(
        "t", NOW, now=now, window=dt.timedelta(minutes=5), margin=dt.timedelta(0)
    ),
    "applepay_crypto.signature.TokenVerifier.verify": lambda now: TokenVerifier(TRUST).verify(
        parse_token(TOKEN), now=now
    ),
    "applepay_crypto.signature.check_signing_time": lambda now: check_signing_time(
        NOW, now, dt.timedelta(minutes=5)
    ),
    "paykka_sign.applepay_requests.yabandpay_applepay_request": (
        lambda now: yabandpay_applepay_request(
            YabandPaySigner("s", user="u"),
            TOKEN,
            order_id="o",
            amount=1,
            currency="EUR",
            description="d",
            notify_url="https://example.com/n",
            now=now,
        )
    ),
    "paykka_sign.clock.check_window": lambda now: check_window(
        1772366400000, now, dt.timedelta(minutes=5)
    ),
    "paykka_sign.paykka_v12.PaykkaV12Signer.sign": lambda now: PaykkaV12Signer(RSA).sign(
        {"merchant_id": "M"}, now=now
    ),
    "paykka_sign.paykka_v12.PaykkaV12Verifier.verify": lambda now: PaykkaV12Verifier(
        RSA.public_key(), merchant_id="M", window=dt.timedelta(minutes=5)
    ).verify(V12.headers, V12.body, now=now),
    "paykka_sign.paykka_v3.PaykkaV3Signer.sign": lambda now: PaykkaV3Signer(RSA, app_id="A").sign(
        "POST", "/h", b"{}", now=now
    ),
    "paykka_sign.paykka_v3.PaykkaV3Verifier.verify": lambda now: PaykkaV3Verifier(
        RSA.public_key(), app_id="A"
    ).verify("POST", "/h", V3.headers, b"{}", now=now),
    "paykka_sign.replay.InMemoryNonceStore.remember": lambda now: InMemoryNonceStore().remember(
        "n" * 16, expires_at=NOW + dt.timedelta(minutes=5), now=now
    ),
    "paykka_sign.yabandpay.YabandPaySigner.sign_request": lambda now: YabandPaySigner(
        "s", user="u"
    ).sign_request({"method": "v3.X", "data": {}}, now=now),
}

#: ``now`` parameters that are not the caller's "now" for a check, with the reason.
NOW_EXEMPT = {
    "applepay_crypto.batch.BatchConfig": "the record from_objects builds (and checks)",
    "applepay_crypto.merchant.session.request_merchant_session": "an HTTPS call to Apple; "
    "its now reaches inspect-like checks of the identity first (tested in test_merchant_session)",
    "paykka_sign.replay.NonceStore.remember": "a Protocol: its implementations are listed",
    "paykka_sign.client.yabandpay.YabandPayClient.applepay": "an HTTP call; its now is read "
    "by yabandpay_applepay_request (listed) before anything is sent",
    "paykka_sign.client.yabandpay.AsyncYabandPayClient.applepay": "as YabandPayClient.applepay",
}

#: Values a user plausibly passes as now that are not a moment. Text without a zone is
#: refused (which zone did it mean?); naive datetimes are UTC (documented).
WRONG_NOW: list[Any] = [
    "yesterday", "2026-03-01T12:00:00", "", b"2026-03-01T12:00:00Z", Path("now"),
    1772366400, 1.5, [NOW], {"now": 1}, object(),
]  # fmt: skip


def _callables_taking_now() -> set[str]:
    found = set()
    for package in (applepay_crypto, paykka_sign):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            parts = info.name.split(".")[1:]
            if any(p.startswith("_") for p in parts) or parts[0] in {"testing", "cli"}:
                continue
            module = importlib.import_module(info.name)
            for name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                if getattr(value, "__module__", "") != info.name:
                    continue
                members = [(name, value)]
                if inspect.isclass(value):
                    members += [
                        (f"{name}.{attr}", getattr(value, attr))
                        for attr in vars(value)
                        if not attr.startswith("_") and callable(getattr(value, attr))
                    ]
                for qualified, member in members:
                    try:
                        parameters = inspect.signature(member).parameters
                    except (TypeError, ValueError):
                        continue
                    if "now" in parameters:
                        found.add(f"{info.name}.{qualified}")
    return found


def test_every_callable_taking_now_is_in_the_table() -> None:
    assert _callables_taking_now() == set(NOW_TAKERS) | set(NOW_EXEMPT)


@pytest.mark.parametrize("name", sorted(NOW_TAKERS))
def test_now_as_a_wrong_type_is_a_package_error(name: str) -> None:
    for value in WRONG_NOW:
        with pytest.raises(PACKAGE_ERRORS):
            NOW_TAKERS[name](value)


@pytest.mark.parametrize("name", sorted(NOW_TAKERS))
def test_now_as_iso_text_with_a_zone_or_naive_utc_is_the_same_moment(name: str) -> None:
    call = NOW_TAKERS[name]
    if name.endswith(("NonceStore.remember", "replay_expiry")):
        pytest.skip("compares now with another datetime given: the same kind is needed")
    for same in ("2026-03-01T12:00:00Z", "2026-03-01T13:00:00+01:00", NOW.replace(tzinfo=None)):
        try:
            call(same)
        except PACKAGE_ERRORS as exc:  # a refusal of the moment itself would be a bug
            assert "now" not in exc.message and "moment" not in exc.message, (name, same)


def test_decrypt_with_iso_now_equals_decrypt_with_datetime() -> None:
    by_text = DECRYPTOR.decrypt(TOKEN, now="2026-03-01T12:00:00Z")
    by_datetime = DECRYPTOR.decrypt(TOKEN, now=NOW)
    assert by_text.payment_data.to_dict() == by_datetime.payment_data.to_dict()
    with pytest.raises(ApplePayError, match="no time zone"):
        DECRYPTOR.decrypt(TOKEN, now="2026-03-01T12:00:00")


# -- library objects given the wrong type -------------------------------------------------

WRONG: list[Any] = ["ca/root.pem", b"not a certificate", Path("no/such/file"), 1, None, [1], []]


def test_for_test_roots_takes_paths_bytes_and_certificates(tmp_path: Path) -> None:
    cert = AUTHORITY.root.certificate
    pem = cert.public_bytes(serialization.Encoding.PEM)
    der = cert.public_bytes(serialization.Encoding.DER)
    (tmp_path / "root.pem").write_bytes(pem)
    (tmp_path / "root.cer").write_bytes(der)
    for roots in (
        [cert], cert, [pem], pem, der, [str(tmp_path / "root.pem")], tmp_path / "root.cer",
        [tmp_path / "root.pem", der],
    ):  # fmt: skip
        store = TrustStore.for_test_roots(roots)
        assert store.roots[0] == cert
        assert verify_token(TOKEN, root=store, now=NOW).signing_time == NOW


@pytest.mark.parametrize("value", [*WRONG, [b"junk"], ["no/such.pem"], [1], {"a": 1}])
def test_for_test_roots_refuses_the_rest_clearly(value: Any) -> None:
    with pytest.raises(ApplePayError) as info:
        TrustStore.for_test_roots(value)
    assert info.value.code in {"invalid_configuration", "configuration_error"}


@pytest.mark.parametrize("value", [b"junk", 1, [1], ["x"]])
def test_apple_root_refuses_wrong_types_clearly(value: Any) -> None:
    with pytest.raises(ApplePayError):
        TrustStore.apple_root(value)


def test_v3_verify_takes_a_str_body_as_utf8() -> None:
    signed = PaykkaV3Signer(RSA, app_id="A").sign("POST", "/h", '{"é":1}', now=NOW)
    verifier = PaykkaV3Verifier(RSA.public_key(), app_id="A")
    message = verifier.verify("POST", "/h", signed.headers, '{"é":1}', now=NOW)
    assert message.body == '{"é":1}'.encode()


#: Constructors that take a loaded key object, fed what users pass instead.
KEY_TAKERS: dict[str, Call] = {
    "PaykkaV12Signer": lambda v: PaykkaV12Signer(v),
    "PaykkaV3Signer": lambda v: PaykkaV3Signer(v, app_id="A"),
    "PaykkaV12Verifier": lambda v: PaykkaV12Verifier(v, merchant_id="M"),
    "PaykkaV3Verifier": lambda v: PaykkaV3Verifier(v, app_id="A"),
    "TokenDecryptor": lambda v: TokenDecryptor(v, trust=TRUST),
    "MemoryReplayGuard(clock)": lambda v: check_replay_with(v),
}


def check_replay_with(value: Any) -> None:
    from applepay_crypto.replay import check_replay

    check_replay(MemoryReplayGuard(), value, NOW)
    check_replay(value, "t", NOW)


@pytest.mark.parametrize("name", sorted(KEY_TAKERS))
@pytest.mark.parametrize("value", [*WRONG, "-----BEGIN PRIVATE KEY-----"])
def test_key_taking_constructors_refuse_wrong_types(name: str, value: Any) -> None:
    with pytest.raises(PACKAGE_ERRORS):
        KEY_TAKERS[name](value)
