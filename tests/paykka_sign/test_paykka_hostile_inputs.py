"""review (#11), class 6: every public entry point of paykka_sign, library and CLI, refuses
hostile input with a PaykkaSignError and its code: never another exception, never a traceback.

Found by the review: RecursionError on 2 KB of nested arrays (v1.2 verifier, YabandPay
notifications, ``paykka-sign yabandpay verify``), UnicodeEncodeError on a ``"\\ud800"`` in a
key, value or merchant id, TypeError/AttributeError on parsed JSON that is not an object.
The property generates the whole class: every JSON type, nesting up to 5000 levels, lone
surrogates in keys and values, non-object top levels, as bytes, str and parsed objects;
each goes into every argument that carries outside data. ``ENTRY_POINTS`` must name every
public callable: a new one fails ``test_every_public_entry_point_is_covered`` until added.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import pkgutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paykka_sign
from applepay_crypto import ApplePayError, MemoryReplayGuard
from paykka_sign import (
    InMemoryNonceStore,
    PaykkaSignError,
    PaykkaV3Signer,
    PaykkaV3Verifier,
    PaykkaV12Signer,
    PaykkaV12Verifier,
    VerifiedMessage,
    YabandPaySigner,
    by_alpha,
    clock,
    keys,
    messages,
    paykka,
    yabandpay,
)
from paykka_sign import applepay_requests as ar
from paykka_sign import googlepay_requests as gr
from paykka_sign.cli import main

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = KEY.public_key()
NOW = dt.datetime(2025, 9, 9, 3, 11, 7, tzinfo=dt.timezone.utc)
SECRET = "hostile-test-secret"
_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# --- the class of inputs --------------------------------------------------------------

_text = st.text(max_size=12) | st.sampled_from(["\ud800", "a\udcff", "&", "=", "a&b=c", ""])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | _text
    | st.sampled_from([10**30, -1, 0, 1700805506000])
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


def _nest(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def _nested_text(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


_deep = st.tuples(st.integers(1, 5000), st.sampled_from(["list", "dict"]))


@st.composite
def hostile(draw: st.DrawFn) -> Any:
    """A parsed JSON value, or its text as str or bytes (surrogates as escapes), or invalid
    UTF-8, or deep nesting as text or object."""
    kind = draw(st.sampled_from(["object", "str", "bytes", "deep-text", "deep-object", "raw"]))
    if kind in ("deep-text", "deep-object"):
        depth, shape = draw(_deep)
        if kind == "deep-object":
            return _nest(depth, shape)
        text = _nested_text(depth, shape)
        return text if draw(st.booleans()) else text.encode()
    if kind == "raw":
        return draw(st.binary(max_size=40))
    value = draw(_json)
    if kind == "object":
        return value
    text = json.dumps(value, allow_nan=True)
    return text if kind == "str" else text.encode()


# --- every public entry point, fed through each of its outside-data arguments ---------

_V12 = PaykkaV12Verifier(PUBLIC, merchant_id="M1")
_V3 = PaykkaV3Verifier(PUBLIC, app_id="A1", nonce_store=InMemoryNonceStore(), clock=lambda: NOW)
_YB = YabandPaySigner(SECRET, user="u")
_HEADERS = PaykkaV12Signer(KEY).sign(b'{"merchant_id":"M1","timestamp":1}').headers


def _signed_v12(v: Any) -> None:
    """The value as a body signed by the key: reaches the code after the signature."""
    if not isinstance(v, bytes | str):
        _V12.verify(_HEADERS, v)
        return
    raw = v if isinstance(v, bytes) else v.encode("utf-8", "surrogatepass")
    mid = "M1"
    try:
        signed = PaykkaV12Signer(KEY).sign(raw, merchant_id=mid, timestamp=1)
    except PaykkaSignError:
        signed = None
    headers = signed.headers if signed else {"signature": paykka.rsa_sign(KEY, b"x")}
    _V12.verify(headers, raw).json()


def _signed_v3(v: Any) -> None:
    raw = v if isinstance(v, bytes) else _dumps(v).encode("utf-8", "surrogatepass")
    signed = PaykkaV3Signer(KEY, app_id="A1").sign("POST", "/h", raw, now=NOW)
    _V3.verify("POST", "/h", signed.headers, raw).json()


def _signed_notification(v: Any) -> None:
    data = v.get("data") if isinstance(v, dict) else v
    try:
        sign = yabandpay.hmac_sha256_hex(
            SECRET.encode(), yabandpay.notification_string_to_sign(data)
        )
    except PaykkaSignError:
        sign = "0" * 64
    _YB.verify_notification({"sign": sign, "data": data})


_TMP = Path(tempfile.mkdtemp(prefix="paykka-hostile-"))


def _inside_tmp(value: Any) -> Any:
    """A text or bytes path made relative to a scratch directory: never write into the
    working tree (other types go through unchanged, to be refused)."""
    if isinstance(value, str):
        return _TMP / value.replace("/", "_").lstrip(".")
    if isinstance(value, bytes):
        return _TMP / value.replace(b"/", b"_").lstrip(b".").decode("utf-8", "surrogateescape")
    return value


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value)
    except (RecursionError, ValueError, TypeError):
        return "[" * 5000


Call = Callable[[Any], object]
ENTRY_POINTS: dict[str, list[Call]] = {
    # messages
    "messages.body_bytes": [messages.body_bytes],
    "messages.dump_json": [messages.dump_json],
    "messages.find_field": [
        lambda v: messages.find_field(v, ("a.b", "data.merchant_id")),
        lambda v: messages.find_field({"a": 1}, v),
    ],
    "messages.frozen_headers": [messages.frozen_headers],
    "messages.optional_header": [
        lambda v: messages.optional_header(v, "signature"),
        lambda v: messages.optional_header({"signature": v}, "signature"),
    ],
    "messages.parse_json_object": [messages.parse_json_object],
    "messages.received_body": [messages.received_body],
    "messages.require_field": [lambda v: messages.require_field(v, ("a",), label="a")],
    "messages.required_header": [lambda v: messages.required_header(v, "x")],
    "messages.utf8": [lambda v: messages.utf8(v, "it")],
    "messages.VerifiedMessage.json": [
        lambda v: VerifiedMessage(body=v if isinstance(v, bytes) else b"[", timestamp=1).json()
    ],
    # paykka (the two strings to sign and the signature encoding)
    "paykka.v12_string_to_sign": [
        lambda v: paykka.v12_string_to_sign(v, "1", b""),
        lambda v: paykka.v12_string_to_sign("M", v, b""),
        lambda v: paykka.v12_string_to_sign("M", "1", v),
    ],
    "paykka.v3_string_to_sign": [
        lambda v: paykka.v3_string_to_sign(v, "/p", "1", "n" * 10, b""),
        lambda v: paykka.v3_string_to_sign("POST", v, "1", "n" * 10, b""),
        lambda v: paykka.v3_string_to_sign("POST", "/p", "1", "n" * 10, v),
    ],
    "paykka.encode_signature": [paykka.encode_signature],
    "paykka.decode_signature": [paykka.decode_signature],
    "paykka.rsa_sign": [lambda v: paykka.rsa_sign(KEY, v)],
    "paykka.rsa_verify": [
        lambda v: paykka.rsa_verify(PUBLIC, v, "AAAA"),
        lambda v: paykka.rsa_verify(PUBLIC, b"m", v),
    ],
    "paykka.timestamp_text": [
        lambda v: paykka.timestamp_text(v, "given", paykka_sign.InvalidArgumentError)
    ],
    "paykka.merchant_id_text": [
        lambda v: paykka.merchant_id_text(v, "given", paykka_sign.InvalidArgumentError)
    ],
    # v1.2
    "paykka_v12.PaykkaV12Signer": [
        lambda v: PaykkaV12Signer(KEY, merchant_id=v).sign({"timestamp": 1})
    ],
    "paykka_v12.PaykkaV12Signer.sign": [
        lambda v: PaykkaV12Signer(KEY).sign(v),
        lambda v: PaykkaV12Signer(KEY).sign({}, merchant_id=v, timestamp=1),
        lambda v: PaykkaV12Signer(KEY).sign({"merchant_id": "M"}, timestamp=v),
        lambda v: PaykkaV12Signer(KEY).sign({"merchant_id": v, "timestamp": 1}),
    ],
    "paykka_v12.PaykkaV12Verifier": [
        lambda v: PaykkaV12Verifier(PUBLIC, merchant_id=v),
        lambda v: PaykkaV12Verifier(PUBLIC, merchant_id="M", merchant_id_fields=v),
        lambda v: PaykkaV12Verifier(PUBLIC, merchant_id="M", timestamp_fields=v),
    ],
    "paykka_v12.PaykkaV12Verifier.verify": [
        lambda v: _V12.verify(_HEADERS, v),
        lambda v: _V12.verify(v, b"{}"),
        lambda v: _V12.verify({"signature": v}, b'{"timestamp":1}'),
        lambda v: _V12.verify(_HEADERS, b'{"timestamp":1}', timestamp=v),
        lambda v: _V12.verify(_HEADERS, _dumps({"merchant_id": v, "timestamp": 1})),
        _signed_v12,
    ],
    # v3
    "paykka_v3.new_nonce": [lambda v: paykka_v3_new_nonce()],
    "paykka_v3.PaykkaV3Signer": [lambda v: PaykkaV3Signer(KEY, app_id=v)],
    "paykka_v3.PaykkaV3Signer.sign": [
        lambda v: PaykkaV3Signer(KEY, app_id="A").sign(v, "/p"),
        lambda v: PaykkaV3Signer(KEY, app_id="A").sign("POST", v),
        lambda v: PaykkaV3Signer(KEY, app_id="A").sign("POST", "/p", v),
        lambda v: PaykkaV3Signer(KEY, app_id="A").sign("POST", "/p", timestamp=v),
        lambda v: PaykkaV3Signer(KEY, app_id="A").sign("POST", "/p", nonce=v),
    ],
    "paykka_v3.PaykkaV3Verifier": [lambda v: PaykkaV3Verifier(PUBLIC, app_id=v)],
    "paykka_v3.PaykkaV3Verifier.verify": [
        lambda v: _V3.verify("POST", "/h", v, b""),
        lambda v: _V3.verify(v, "/h", {}, b""),
        lambda v: _V3.verify("POST", v, {}, b""),
        lambda v: _V3.verify("POST", "/h", {"x-paykka-appid": v, "x-paykka-sign": "A"}, b""),
        lambda v: _V3.verify(
            "POST",
            "/h",
            {"x-paykka-timestamp": v, "x-paykka-nonce": v, "x-paykka-sign": v},
            b"",
        ),
        lambda v: _V3.verify("POST", "/h", {"x-paykka-sign": "A"}, v),
        _signed_v3,
    ],
    # YabandPay
    "yabandpay.canonical_string": [yabandpay.canonical_string],
    "yabandpay.normalised_fields": [yabandpay.normalised_fields],
    "yabandpay.hmac_sha256_hex": [lambda v: yabandpay.hmac_sha256_hex(b"k", v)],
    "yabandpay.request_string_to_sign": [yabandpay.request_string_to_sign],
    "yabandpay.notification_string_to_sign": [yabandpay.notification_string_to_sign],
    "yabandpay.YabandPaySigner": [
        YabandPaySigner,
        lambda v: YabandPaySigner(SECRET, user=v).sign_request({"method": "m"}, now=NOW),
    ],
    "yabandpay.YabandPaySigner.sign_request": [
        lambda v: _YB.sign_request(v, now=NOW),
        lambda v: _YB.sign_request({"method": "m", "data": v}, now=NOW),
        lambda v: _YB.sign_request({"method": v, "time": v}, now=NOW),
    ],
    "yabandpay.YabandPaySigner.verify_request": [
        _YB.verify_request,
        lambda v: _YB.verify_request({"method": "m", "sign": v, "data": v}),
    ],
    "yabandpay.YabandPaySigner.verify_notification": [
        _YB.verify_notification,
        lambda v: _YB.verify_notification({"sign": v, "data": {"a": "b"}}),
        lambda v: _YB.verify_notification({"sign": "0" * 64, "data": v}),
        _signed_notification,
    ],
    # clock, replay, currency, keys
    "clock.aware": [clock.aware],
    "clock.epoch_millis": [clock.epoch_millis],
    "clock.epoch_seconds": [clock.epoch_seconds],
    "clock.from_millis": [clock.from_millis],
    "clock.check_window": [
        lambda v: clock.check_window(v, NOW, dt.timedelta(minutes=5)),
        lambda v: clock.check_window(0, v, dt.timedelta(minutes=5)),
        lambda v: clock.check_window(0, NOW, v),
    ],
    "clock.utc_now": [lambda v: clock.utc_now()],
    "replay.InMemoryNonceStore": [lambda v: InMemoryNonceStore(max_entries=v)],
    "replay.InMemoryNonceStore.remember": [
        lambda v: InMemoryNonceStore().remember(v, expires_at=NOW, now=NOW),
        lambda v: InMemoryNonceStore().remember("n", expires_at=v, now=NOW),
        lambda v: InMemoryNonceStore().remember("n", expires_at=NOW, now=v),
    ],
    "currency.Currency": [lambda v: paykka_sign.Currency(v, v, v)],
    "currency.by_alpha": [by_alpha],
    "currency.by_numeric": [paykka_sign.by_numeric],
    "currency.format_minor_units": [
        lambda v: paykka_sign.format_minor_units(v, by_alpha("EUR")),
        lambda v: paykka_sign.format_minor_units(1, v),
    ],
    "keys.load_private_key": [keys.load_private_key],
    "keys.checked_private_key": [keys.checked_private_key],
    "keys.checked_public_key": [keys.checked_public_key],
    "keys.load_public_key": [keys.load_public_key],
    "keys.read_private_key": [keys.read_private_key],
    "keys.read_public_key": [keys.read_public_key],
    "keys.generate_private_key": [lambda v: keys.generate_private_key(key_size=v)],
    "keys.public_key_base64": [keys.public_key_base64],
    "keys.public_key_pem": [keys.public_key_pem],
    "keys.private_key_pem": [
        keys.private_key_pem,
        lambda v: keys.private_key_pem(KEY, password=v),
    ],
    "keys.write_private_key": [
        lambda v: keys.write_private_key(_inside_tmp(v), KEY),
        lambda v: keys.write_private_key("/nonexistent/dir/k.pem", v),
    ],
    # Apple Pay requests
    "applepay_requests.claim_token": [
        lambda v: ar.claim_token(MemoryReplayGuard(), "t", v),
        lambda v: ar.claim_token(v, "t", v),
    ],
    "applepay_requests.check_order": [
        lambda v: ar.check_order(v, amount=1, currency="EUR"),
    ],
    "applepay_requests.mask_request": [ar.mask_request],
    "applepay_requests.mask_yabandpay_request": [ar.mask_yabandpay_request],
    "applepay_requests.paykka_decrypted_payment": [
        lambda v: ar.paykka_decrypted_payment(v, amount=1, currency="EUR"),
    ],
    "applepay_requests.paykka_payment_request": [
        lambda v: ar.paykka_payment_request(
            v, merchant_id="M", trans_id="t", amount=1, currency="EUR"
        ),
        lambda v: ar.paykka_payment_request(
            {}, merchant_id="M", trans_id="t", amount=v, currency=v, extra=v
        ),
    ],
    "applepay_requests.paykka_token_payment": [ar.paykka_token_payment],
    "googlepay_requests.paykka_googlepay_decrypted_payment": [
        gr.paykka_googlepay_decrypted_payment,
        lambda v: gr.paykka_googlepay_decrypted_payment(v, gateway_merchant_id="g"),
    ],
    "googlepay_requests.paykka_googlepay_token_payment": [
        gr.paykka_googlepay_token_payment,
        lambda v: gr.paykka_googlepay_token_payment(v, encoding="base64"),
    ],
    "applepay_requests.payment_data_json": [ar.payment_data_json],
    "applepay_requests.yabandpay_applepay_request": [
        lambda v: ar.yabandpay_applepay_request(
            _YB, v, order_id="o", amount=1, currency="EUR", description="d", notify_url="u"
        ),
    ],
}

#: Public callables that take no outside data, each with the reason.
NOT_INPUT = {
    "messages.SignedRequest": "a result record the signers build",
    "messages.VerifiedMessage": "a result record the verifiers build (json() is covered)",
    "replay.NonceStore": "a protocol, implemented by the caller",
    "replay.NonceStore.remember": "a protocol method, implemented by the caller",
}


# Issue #13: the client (tests/paykka_sign/hostile_client_entries.py), when its extra is there.
try:
    import hostile_client_entries
except ImportError:  # pragma: no cover - httpx absent: the client's names are not walked
    hostile_client_entries = None  # type: ignore[assignment]
if hostile_client_entries is not None:
    _client_entries, _client_not_input = hostile_client_entries.entry_points(KEY, SECRET, NOW)
    ENTRY_POINTS.update(_client_entries)
    NOT_INPUT.update(_client_not_input)

# Issue #13: the simulator. Requests reach it as the HTTP handler gives them (text headers,
# body bytes); webhooks go to loopback URLs only, so no hostile value leaves the machine.
from paykka_sign.simulator import Simulator  # noqa: E402

_SIM = Simulator(merchant_public_key=KEY.public_key(), platform_key=KEY, yabandpay_secret=SECRET)
ENTRY_POINTS.update(
    {
        "simulator.server.Simulator": [
            lambda v: Simulator(merchant_public_key=v, platform_key=KEY),
            lambda v: Simulator(platform_key=KEY, port=v),
            lambda v: Simulator(platform_key=KEY, yabandpay_secret=v),
        ],
        "simulator.server.Simulator.handle": [
            lambda v: _SIM.handle("POST", "/v3/payment/acq", {}, v),
            lambda v: _SIM.handle("POST", "/payments", {"signature": "x"}, v),
            lambda v: _SIM.handle("POST", "/Payments", {}, v),
            lambda v: _SIM.handle(v, "/v3/payment/acq", {}, b"{}"),
            lambda v: _SIM.handle("POST", v, {}, b"{}"),
            lambda v: _SIM.handle("POST", "/v3/payment/acq", v, b"{}"),
        ],
        "simulator.server.Simulator.send_webhook": [
            lambda v: _SIM.send_webhook(v),
            lambda v: _SIM.send_webhook("http://127.0.0.1:9/h", fields=v),
        ],
        "simulator.server.Simulator.send_yabandpay_notification": [
            lambda v: _SIM.send_yabandpay_notification(v, order_id="Y"),
            lambda v: _SIM.send_yabandpay_notification("http://127.0.0.1:9/h", order_id=v),
        ],
        "simulator.server.Simulator.pay_checkout": [lambda v: _SIM.pay_checkout(v)],
    }
)
NOT_INPUT.update(
    {
        "simulator.server.Simulator.start": "binds 127.0.0.1; no outside data",
        "simulator.server.Simulator.stop": "no arguments",
    }
)


def paykka_v3_new_nonce() -> str:
    from paykka_sign.paykka_v3 import new_nonce

    return new_nonce()


def _public_callables() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(paykka_sign.__path__, "paykka_sign."):
        if info.name.split(".")[1] in ("cli", "testing"):  # not "client"
            continue
        module = importlib.import_module(info.name)
        short = info.name.removeprefix("paykka_sign.")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isclass(obj) and issubclass(obj, BaseException):
                continue  # the errors themselves
            if inspect.isfunction(obj):
                found.add(f"{short}.{name}")
            elif inspect.isclass(obj):
                found.add(f"{short}.{name}")
                for attr, member in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(member):
                        found.add(f"{short}.{name}.{attr}")
    return found


def test_every_public_entry_point_is_covered() -> None:
    assert _public_callables() == set(ENTRY_POINTS) | set(NOT_INPUT)


_ALLOWED: tuple[type[BaseException], ...] = (PaykkaSignError,)
#: applepay_requests hands tokens to applepay_crypto, whose errors pass through (documented).
_TOKEN_TAKING = {name for name in ENTRY_POINTS if name.startswith("applepay_requests.")} | (
    hostile_client_entries.TOKEN_TAKING if hostile_client_entries is not None else set()
)


def _call(name: str, call: Call, value: Any) -> None:
    allowed = (*_ALLOWED, ApplePayError) if name in _TOKEN_TAKING else _ALLOWED
    try:
        call(value)
    except allowed as exc:
        assert isinstance(exc.code, str) and exc.code  # type: ignore[attr-defined]
        json.dumps(exc.to_dict())  # type: ignore[attr-defined]  # printable by the CLI


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
@_SETTINGS
@given(value=hostile())
def test_property_only_package_errors_escape(name: str, value: Any) -> None:
    for call in ENTRY_POINTS[name]:
        _call(name, call, value)


@pytest.mark.parametrize(
    "value",
    [
        b"[" * 2048 + b"]" * 2048,
        "[" * 2048 + "]" * 2048,
        '{"data": ' + "[" * 2048 + "]" * 2048 + "}",
        '{"merchant_id": "\\ud800", "timestamp": 1}',
        '{"\\ud800": "x"}',
        None,
        True,
        [],
        1,
        "\ud800",
        _nest(5000, "list"),
        _nest(5000, "dict"),
        10**5000,  # more digits than str() converts
        "1" * 5000,
    ],
    ids=range(14),
)
def test_reviewers_inputs(value: Any) -> None:
    for name, calls in ENTRY_POINTS.items():
        for call in calls:
            _call(name, call, value)


# --- the command line -----------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("hostile-cli")
    paths = {"key": directory / "key.pem", "pub": directory / "pub.pem"}
    paths["key"].write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths["pub"].write_bytes(
        PUBLIC.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    paths["secret"] = directory / "secret.txt"
    paths["secret"].write_text(SECRET)
    paths["input"] = directory / "input.json"
    return paths


@pytest.fixture(scope="module")
def psp_url(files: dict[str, Path]) -> Iterator[str]:
    """Issue #13: a PayKKa/YabandPay stand-in on 127.0.0.1 answering with the hostile file,
    signed by the platform key at ``--at`` (so that it reaches the client's parsers)."""
    support = pytest.importorskip("paykka_client_support")

    def respond(request: Any) -> Any:
        raw = files["input"].read_bytes()
        if request.path == "/Payments":
            return support.Answer(200, {"content-type": "application/json"}, raw)
        return support.v3_answer(KEY, "A1", raw, now=NOW)(request)

    with support.local_psp() as psp:
        psp.answer(respond)
        yield psp.url


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _commands(command, (*prefix, name))
        else:
            found.add((*prefix, name))
    return found


def _client_cli_cases(f: dict[str, Path], url: str) -> dict[tuple[str, ...], list[list[str]]]:
    """Issue #13: the commands that talk to a PSP (answers: the hostile file, signed)."""
    i, pub, key, secret = str(f["input"]), str(f["pub"]), str(f["key"]), str(f["secret"])
    c = ["--signing-key", key, "--platform-key", pub, "--merchant-id", "M1", "--app-id", "A1",
         "--base-url", url]  # fmt: skip
    order = ["--amount", "1", "--currency", "EUR"]
    # Answers reach the parsers through send and query; the other commands get the hostile
    # file where it is read before any key (a 2048-bit key takes ~40 ms to load and check).
    return {
        ("send",): [
            [*c, "--path", "/p", "--body", i],
            [*c[2:], "--signing-key", i, "--path", "/p"],
        ],
        ("paykka", "session"): [[*c[:2], "--platform-key", i, *c[4:], "--domain-name", "d"]],
        ("paykka", "pay"): [[i, *c, *order, "--trans-id", "t", "--decryption", "paykka"]],
        ("paykka", "checkout"): [[*c, *order, "--trans-id", "t", "--extra", i]],
        ("paykka", "checkout-status"): [["S1", "--signing-key", i, *c[2:]]],
        ("paykka", "query"): [[*c, "--trans-id", "t", "--reveal"]],
        # a hostile public key stops it before it serves (invalid_key, exit 2)
        ("simulate",): [["--merchant-public-key", i, "--port", "0", "--json"]],
        ("yabandpay", "pay"): [
            [
                i,
                *order,
                "--order-id",
                "o",
                "--description",
                "d",
                "--notify-url",
                "u",
                "--user",
                "u",
                "--secret-key-file",
                secret,
                "--base-url",
                url,
            ],
        ],
    }


def _cli_cases(f: dict[str, Path], url: str = "") -> dict[tuple[str, ...], list[list[str]]]:
    """Per command, argument lists reading the hostile file ``f["input"]``."""
    i, pub, key, secret = str(f["input"]), str(f["pub"]), str(f["key"]), str(f["secret"])
    return {
        **_client_cli_cases(f, url),
        ("keygen",): [["--out", i]],  # an existing file: refused before generating
        ("sign",): [
            ["--key", key, "--body", i],
            ["--key", key, "--body", i, "--api", "v3", "--app-id", "A", "--path", "/p"],
            ["--key", i, "--body", i],
        ],
        ("verify",): [
            ["--public-key", pub, "--merchant-id", "M1", "--body", i, "-H", "signature: AAAA"],
            ["--public-key", pub, "--merchant-id", "M1", "--headers-file", i, "--body", i],
            [
                "--public-key",
                pub,
                "--api",
                "v3",
                "--app-id",
                "A",
                "--path",
                "/h",
                "--headers-file",
                i,
                "--body",
                i,
            ],
            ["--public-key", i, "--merchant-id", "M1", "--body", i],
        ],
        ("yabandpay", "sign"): [["--request", i, "--secret-key-file", secret, "--user", "u"]],
        ("yabandpay", "verify"): [
            ["--notification", i, "--secret-key-file", secret],
            ["--notification", i, "--secret-key-file", i],
        ],
        ("applepay-request",): [
            [
                i,
                "--provider",
                "yabandpay",
                "--amount",
                "1",
                "--currency",
                "EUR",
                "--order-id",
                "o",
                "--description",
                "d",
                "--notify-url",
                "u",
                "--secret-key-file",
                secret,
                "--extra",
                i,
            ],
        ],
    }


def test_every_command_is_covered(files: dict[str, Path]) -> None:
    assert _commands(main) == set(_cli_cases(files))


def _as_file_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    try:
        return json.dumps(value).encode()
    except (RecursionError, ValueError):
        return b"[" * 5000


@settings(_SETTINGS, max_examples=25)  # each example runs 12 commands: keep CI fast
@given(value=hostile(), as_json=st.booleans())
def test_property_cli_refuses_with_its_error(
    files: dict[str, Path], psp_url: str, value: Any, as_json: bool
) -> None:
    files["input"].write_bytes(_as_file_bytes(value))
    for command, cases in _cli_cases(files, psp_url).items():
        for args in cases:
            argv = [
                *command,
                *args,
                *(["--json"] if as_json else []),
                "--at",
                "2025-09-09T03:11:07Z",
            ]
            if command in (("keygen",), ("yabandpay", "verify")):
                argv = argv[:-2]  # no --at
            result = CliRunner().invoke(main, argv, catch_exceptions=True)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                command,
                repr(result.exception),
            )
            assert result.exit_code in (0, 1, 2), (command, result.output)
            assert "Traceback" not in result.output
            if as_json and result.exit_code != 0:  # issue #14: exit 1 or 2, JSON either way
                document = json.loads(result.stdout)
                assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    "command",
    [
        ["yabandpay", "verify", "--notification", "{input}", "--secret-key-file", "{secret}"],
        [
            "verify",
            "--public-key",
            "{pub}",
            "--merchant-id",
            "M1",
            "--body",
            "{input}",
            "-H",
            "signature: AAAA",
        ],
    ],
    ids=["yabandpay-verify", "verify-v1.2"],
)
@pytest.mark.parametrize(
    "payload",
    [b"[" * 2048 + b"]" * 2048, b'{"sign":"00","data":' + b"[" * 2048 + b"]" * 2048 + b"}"],
    ids=["top", "data"],
)
def test_reviewers_2kb_nesting_on_the_command_line(
    files: dict[str, Path], command: list[str], payload: bytes
) -> None:
    files["input"].write_bytes(payload)
    argv = [arg.format(**{k: str(v) for k, v in files.items()}) for arg in command]
    result = CliRunner().invoke(main, [*argv, "--json"], catch_exceptions=False)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "malformed_body"
