"""Issue #14, item 8: the two CLIs agree. Each rule is checked across every command it
applies to; the tables below must name every such command (found from the commands' own
parameters and markers), so a command added later fails here until it is listed:

* one name for overwriting, ``--force`` (``--overwrite`` a hidden alias); a refusal to
  overwrite has the code ``file_exists`` and names ``--force``;
* a setup command (``handles_errors(setup=True)``) exits 2 whatever refuses it;
* private key and secret files others can read are warned about, in the same words;
* one time format, ``YYYY-MM-DDTHH:MM:SSZ``, in every output;
* ``days_left`` is minus the N of "expired N days ago"; ``cert inspect --warn-days N``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from googlepay_support import Sealer, payment_message
from hypothesis import given, settings
from hypothesis import strategies as st
from test_json_always import COMMANDS, invoke

from applepay_crypto.keys import InsecureKeyFileWarning
from applepay_crypto.merchant.certinfo import inspect_certificate
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

SIGNED = dt.datetime(2026, 5, 5, 5, 5, 5, tzinfo=dt.timezone.utc)
AT = "2026-05-05T05:05:35Z"
TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
ONE_FORMAT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass
class World:
    base: Path
    ca: Path
    key: Path
    cert: Path
    token: Path
    rsa_key: Path
    secret: Path
    csr: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("agreement")
    assert invoke("applepay-crypto", ["test-ca", "new", str(base / "ca")]).exit_code == 0
    authority = TestAuthority.load(base / "ca")
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.ec")
    paths = merchant.save(base / "m")
    token = base / "token.json"
    token.write_text(
        json.dumps(
            mint(sample_payload(), recipient=merchant, authority=authority, signing_time=SIGNED)
        )
    )
    rsa_key = base / "paykka.pem"
    rsa_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rsa_key.chmod(0o600)
    secret = base / "secret.txt"
    secret.write_text("s3cr3t")
    secret.chmod(0o600)
    return World(
        base, base / "ca", paths["key"], paths["certificate"], token, rsa_key, secret, paths["csr"]
    )


def _fresh(world: World, name: str) -> Path:
    path = world.base / "fresh" / name
    path.parent.mkdir(exist_ok=True)
    return path


# --- one name for overwriting ---------------------------------------------------------------

#: Per command with --force: (argv writing to an existing target, the target).
OVERWRITES: dict[str, Callable[[World, Path], tuple[str, list[str]]]] = {
    "applepay-crypto test-ca new": lambda w, t: ("applepay-crypto", ["test-ca", "new", str(t)]),
    "applepay-crypto test-ca sign": lambda w, t: (
        "applepay-crypto",
        ["test-ca", "sign", str(w.csr), "--ca", str(w.ca), "--out", str(t / "apple_pay.cer")],
    ),
    "applepay-crypto keys new": lambda w, t: (
        "applepay-crypto",
        ["keys", "new", "--merchant-id", "merchant.com.example.x", "--out", str(t)],
    ),
    "applepay-crypto cert convert": lambda w, t: (
        "applepay-crypto",
        ["cert", "convert", str(w.cert), "--out", str(t / "merchant.pem")],
    ),
    "paykka-sign keygen": lambda w, t: ("paykka-sign", ["keygen", "--out", str(t / "key.pem")]),
}
NOT_OVERWRITING: dict[str, str] = {}


def _with_force() -> set[str]:
    return {
        name
        for name, (_, _, command) in COMMANDS.items()
        if any(param.name == "force" for param in command.params)
    }


def test_every_command_that_overwrites_is_listed() -> None:
    assert _with_force() == set(OVERWRITES) | set(NOT_OVERWRITING)


@pytest.mark.parametrize("name", sorted(_with_force()))
def test_one_name_for_overwriting(name: str) -> None:
    command = COMMANDS[name][2]
    options = {opt: param for param in command.params for opt in param.opts}
    assert not options["--force"].hidden  # type: ignore[attr-defined]
    assert options["--overwrite"].hidden  # type: ignore[attr-defined]  # the old name, kept


def _occupied(world: World, name: str) -> Path:
    """A target directory where each file the command writes exists already."""
    target = world.base / "occupied" / name.replace(" ", "-")
    target.mkdir(parents=True, exist_ok=True)
    for stem in ("root.pem", "apple_pay.cer", "merchant.key", "merchant.pem", "key.pem"):
        (target / stem).write_bytes(b"keep me")
    return target


@pytest.mark.parametrize("name", sorted(OVERWRITES))
@pytest.mark.parametrize("alias", ["--force", "--overwrite"])
def test_refusing_to_overwrite_names_force(world: World, name: str, alias: str) -> None:
    target = _occupied(world, f"{name}{alias}")
    cli, argv = OVERWRITES[name](world, target)
    for as_json in (False, True):
        refused = invoke(cli, [*argv, *(["--json"] if as_json else [])])
        assert refused.exit_code == 2, refused.output
        if as_json:
            error = json.loads(refused.stdout)["error"]
            assert error["code"] == "file_exists" and "--force" in error["message"]
        else:
            assert "error [file_exists]" in refused.stderr and "--force" in refused.stderr
    assert all(path.read_bytes() == b"keep me" for path in target.iterdir())
    forced = invoke(cli, [*argv, alias])
    assert forced.exit_code == 0, forced.output


# --- setup errors exit 2 -------------------------------------------------------------------

#: Per setup command: argv it refuses (a wrong file, a wrong value).
SETUP_REFUSALS: dict[str, Callable[[World], tuple[str, list[str]]]] = {
    # the example: a certificate that is not Apple's root (was exit 1)
    "applepay-crypto trust install": lambda w: (
        "applepay-crypto",
        ["trust", "install", "--from", str(w.ca / "root.pem"), "--to", str(_fresh(w, "r.cer"))],
    ),
    "applepay-crypto trust show": lambda w: ("applepay-crypto", ["trust", "show"]),
    "applepay-crypto test-ca new": lambda w: ("applepay-crypto", ["test-ca", "new", str(w.ca)]),
    "applepay-crypto test-ca sign": lambda w: (
        "applepay-crypto",
        ["test-ca", "sign", str(w.cert), "--ca", str(w.ca), "--out", str(_fresh(w, "x.cer"))],
    ),
    "applepay-crypto mint": lambda w: (
        "applepay-crypto",
        ["mint", "--ca", str(w.ca), "--cert", str(w.csr)],
    ),
    "applepay-crypto cert convert": lambda w: (
        "applepay-crypto",
        ["cert", "convert", str(w.csr), "--out", str(_fresh(w, "x.pem"))],
    ),
    "applepay-crypto keys hash": lambda w: (
        "applepay-crypto",
        ["keys", "hash", "--cert", str(w.key)],
    ),
    "applepay-crypto keys new": lambda w: (
        "applepay-crypto",
        ["keys", "new", "--merchant-id", "not a merchant id", "--out", str(_fresh(w, "k"))],
    ),
    "applepay-crypto keys store-cert": lambda w: (
        "applepay-crypto",
        ["keys", "store-cert", "--pkcs11", "pkcs11:token=absent;object=k", str(w.csr)],
    ),
    "applepay-crypto bench": lambda w: (
        "applepay-crypto",
        ["bench", "--quick", "--key", str(w.csr)],
    ),
    "paykka-sign keygen": lambda w: ("paykka-sign", ["keygen", "--out", str(w.rsa_key)]),
}


def _setup_commands() -> set[str]:
    return {
        name
        for name, (_, _, command) in COMMANDS.items()
        if getattr(command.callback, "setup_command", False)
    }


def test_every_setup_command_is_listed() -> None:
    assert _setup_commands() == set(SETUP_REFUSALS)


@pytest.mark.parametrize("name", sorted(SETUP_REFUSALS))
def test_setup_errors_exit_2(world: World, name: str) -> None:
    cli, argv = SETUP_REFUSALS[name](world)
    for extra in ([], ["--json"]):
        result = invoke(cli, [*argv, *extra])
        assert result.exit_code == 2, (argv, result.output[-400:])
        if extra:
            assert set(json.loads(result.stdout)) == {"error"}


# --- files others can read -----------------------------------------------------------------

#: Per command and parameter reading a private key or a secret: argv with that file.
KEY_READERS: dict[tuple[str, str], Callable[[World, Path], tuple[str, list[str]]]] = {
    ("paykka-sign sign", "key"): lambda w, f: (
        "paykka-sign",
        ["sign", "--key", str(f), "--body", str(_body(w)), "--at", AT],
    ),
    ("paykka-sign applepay-request", "signing_key"): lambda w, f: (
        "paykka-sign",
        [
            "applepay-request",
            str(w.token),
            *_merchant(w),
            "--provider",
            "paykka",
            "--signing-key",
            str(f),
            "--paykka-merchant-id",
            "M1",
            "--order-id",
            "o1",
            "--amount",
            "1000",
            "--currency",
            "EUR",
        ],
    ),
    ("paykka-sign applepay-request", "secret_key_file"): lambda w, f: (
        "paykka-sign",
        [
            "applepay-request",
            str(w.token),
            *_merchant(w),
            "--provider",
            "yabandpay",
            "--secret-key-file",
            str(f),
            "--user",
            "u",
            "--order-id",
            "o1",
            "--description",
            "d",
            "--notify-url",
            "https://shop.example/n",
            "--amount",
            "1000",
            "--currency",
            "EUR",
        ],
    ),
    ("paykka-sign applepay-request", "keys"): lambda w, f: (
        "paykka-sign",
        [
            "applepay-request",
            str(w.token),
            "--key",
            str(f),
            "--cert",
            str(w.cert),
            "--root",
            str(w.ca / "root.pem"),
            "--at",
            AT,
            "--provider",
            "yabandpay",
            "--secret-key-file",
            str(w.secret),
            "--user",
            "u",
            "--order-id",
            "o1",
            "--description",
            "d",
            "--notify-url",
            "https://shop.example/n",
            "--amount",
            "1000",
            "--currency",
            "EUR",
        ],
    ),
    ("paykka-sign yabandpay sign", "secret_key_file"): lambda w, f: (
        "paykka-sign",
        ["yabandpay", "sign", "--request", str(_request(w)), "--secret-key-file", str(f)],
    ),
    ("paykka-sign yabandpay verify", "secret_key_file"): lambda w, f: (
        "paykka-sign",
        ["yabandpay", "verify", "--notification", str(_request(w)), "--secret-key-file", str(f)],
    ),
    # issue #13's client commands: the key is read (and warned about) before any connection;
    # the base URL is a closed loopback port, so nothing leaves the machine.
    ("paykka-sign send", "signing_key"): lambda w, f: (
        "paykka-sign",
        ["send", *_connection(w, f), "--path", "/v3/payment/acq/query", "--body", str(_body(w))],
    ),
    ("paykka-sign paykka session", "signing_key"): lambda w, f: (
        "paykka-sign",
        ["paykka", "session", *_connection(w, f), "--domain-name", "shop.example"],
    ),
    ("paykka-sign paykka checkout", "signing_key"): lambda w, f: (
        "paykka-sign",
        ["paykka", "checkout", *_connection(w, f), "--trans-id", "t1", *_order()],
    ),
    ("paykka-sign paykka checkout-status", "signing_key"): lambda w, f: (
        "paykka-sign",
        ["paykka", "checkout-status", "s1", *_connection(w, f)],
    ),
    ("paykka-sign paykka query", "signing_key"): lambda w, f: (
        "paykka-sign",
        ["paykka", "query", *_connection(w, f), "--trans-id", "t1"],
    ),
    ("paykka-sign paykka pay", "signing_key"): lambda w, f: (
        "paykka-sign",
        [
            "paykka",
            "pay",
            str(w.token),
            *_connection(w, f),
            *_merchant(w),
            "--trans-id",
            "t1",
            *_order(),
        ],
    ),
    ("paykka-sign paykka pay", "keys"): lambda w, f: (
        "paykka-sign",
        [
            "paykka",
            "pay",
            str(w.token),
            *_connection(w, w.rsa_key),
            "--key",
            str(f),
            "--cert",
            str(w.cert),
            "--root",
            str(w.ca / "root.pem"),
            "--at",
            AT,
            "--trans-id",
            "t1",
            *_order(),
        ],
    ),
    ("paykka-sign yabandpay pay", "secret_key_file"): lambda w, f: (
        "paykka-sign",
        [
            "yabandpay",
            "pay",
            str(w.token),
            *_merchant(w),
            *_yabandpay(),
            "--secret-key-file",
            str(f),
        ],
    ),
    ("paykka-sign yabandpay pay", "keys"): lambda w, f: (
        "paykka-sign",
        [
            "yabandpay",
            "pay",
            str(w.token),
            "--key",
            str(f),
            "--cert",
            str(w.cert),
            "--root",
            str(w.ca / "root.pem"),
            "--at",
            AT,
            *_yabandpay(),
            "--secret-key-file",
            str(w.secret),
        ],
    ),
    # googlepay-crypto reads its merchant keys with the same warning
    ("googlepay-crypto decrypt", "keys"): lambda w, f: (
        "googlepay-crypto",
        ["decrypt", str(_google(w)["token"]), *_google_recipient(w), "--key", str(f)],
    ),
    # applepay-crypto's own warning, for comparison: the same words
    ("applepay-crypto decrypt", "keys"): lambda w, f: (
        "applepay-crypto",
        [
            "decrypt",
            str(w.token),
            "--key",
            str(f),
            "--cert",
            str(w.cert),
            "--root",
            str(w.ca / "root.pem"),
            "--at",
            AT,
        ],
    ),
}


def _google(w: World) -> dict[str, Path]:
    """A Google Pay token valid at AT, its root keys and its merchant key, made once."""
    base = w.base / "googlepay"
    paths = {name: base / f"{name}.json" for name in ("token", "keys")}
    paths["key"] = base / "merchant.pem"
    if not base.exists():
        base.mkdir()
        expiration = int(SIGNED.timestamp() * 1000) + 86_400_000
        sealer = Sealer.generated(key_expiration_ms=expiration)
        merchant = ec.generate_private_key(ec.SECP256R1())
        message = payment_message(expiration_ms=expiration, network_token=True)
        paths["token"].write_text(sealer.seal(message, merchant.public_key()))
        paths["keys"].write_text(sealer.root_keys_json(expiration_ms=expiration + 30 * 86_400_000))
        paths["key"].write_bytes(
            merchant.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        paths["key"].chmod(0o600)
    return paths


def _google_recipient(w: World, at: str = AT) -> list[str]:
    files = _google(w)
    return [
        "--recipient-id", "merchant:12345678901234567890", "--root-keys", str(files["keys"]),
        "--at", at,
    ]  # fmt: skip


def _merchant(w: World) -> list[str]:
    return [
        "--key",
        str(w.key),
        "--cert",
        str(w.cert),
        "--root",
        str(w.ca / "root.pem"),
        "--at",
        AT,
    ]


def _body(w: World) -> Path:
    path = w.base / "body.json"
    path.write_text('{"merchant_id":"M1","timestamp":"1700000000000"}')
    return path


def _request(w: World) -> Path:
    path = w.base / "request.json"
    path.write_text('{"user":"u","method":"v3.CreatePayments","time":1,"sign":"00","data":{}}')
    return path


def _connection(w: World, signing_key: Path) -> list[str]:
    """PayKKa client options: the signing key given, a platform key, a closed port."""
    platform = w.base / "platform.pub.pem"
    if not platform.exists():
        key = serialization.load_pem_private_key(w.rsa_key.read_bytes(), password=None)
        platform.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return [
        "--signing-key", str(signing_key), "--platform-key", str(platform),
        "--merchant-id", "M1", "--app-id", "A1", "--base-url", "http://127.0.0.1:9",
        "--timeout", "2",
    ]  # fmt: skip


def _order() -> list[str]:
    return ["--amount", "1000", "--currency", "EUR"]


def _yabandpay() -> list[str]:
    return [
        "--user", "u", "--order-id", "o1", "--description", "d",
        "--notify-url", "https://shop.example/n", "--amount", "1000", "--currency", "EUR",
        "--base-url", "http://127.0.0.1:9",
    ]  # fmt: skip


def _exposed_copy(world: World, source: Path, name: str) -> Path:
    copy = world.base / "exposed" / name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(source.read_bytes())
    copy.chmod(0o644)
    return copy


def test_every_paykka_key_or_secret_reader_is_listed() -> None:
    readers = {
        (name, param.name)
        for name, (cli, _, command) in COMMANDS.items()
        for param in command.params
        if cli == "paykka-sign" and param.name in {"key", "keys", "signing_key", "secret_key_file"}
    }
    assert readers == {reader for reader in KEY_READERS if reader[0].startswith("paykka-sign")}


def test_every_googlepay_key_reader_is_listed() -> None:
    readers = {
        (name, param.name)
        for name, (cli, _, command) in COMMANDS.items()
        for param in command.params
        if cli == "googlepay-crypto" and param.name == "keys"
    }
    assert readers == {r for r in KEY_READERS if r[0].startswith("googlepay-crypto")}


@pytest.mark.parametrize("reader", sorted(KEY_READERS), ids=lambda r: f"{r[0]}-{r[1]}")
def test_files_others_can_read_are_warned_about(world: World, reader: tuple[str, str]) -> None:
    name, param = reader
    source = {"secret_key_file": world.secret, "signing_key": world.rsa_key}.get(
        param, world.rsa_key if name == "paykka-sign sign" else world.key
    )
    exposed = _exposed_copy(world, source, f"{name}-{param}".replace(" ", "-"))
    cli, argv = KEY_READERS[reader](world, exposed)
    with warnings.catch_warnings():
        warnings.simplefilter("always", InsecureKeyFileWarning)
        result = CliRunner().invoke(_main(cli), argv)
    what = "secret key file" if param == "secret_key_file" else "private key file"
    expected = f"warning: {what} '{exposed}' is accessible to other users (mode 0644): chmod 600 it"
    assert expected in result.stderr.splitlines(), (result.exit_code, result.output[-600:])
    assert "Traceback" not in result.output


def _main(cli: str) -> click.Command:
    from applepay_crypto.cli import main as applepay_main
    from googlepay_crypto.cli import main as googlepay_main
    from paykka_sign.cli import main as paykka_main

    mains = {
        "applepay-crypto": applepay_main,
        "paykka-sign": paykka_main,
        "googlepay-crypto": googlepay_main,
    }
    return mains[cli]


# --- one time format -----------------------------------------------------------------------

#: Commands whose output holds times, run successfully, in text and as JSON.
TIMED_OUTPUTS: dict[str, Callable[[World], tuple[str, list[str]]]] = {
    "decrypt": lambda w: ("applepay-crypto", ["decrypt", str(w.token), *_merchant(w)]),
    "verify": lambda w: (
        "applepay-crypto",
        ["verify", str(w.token), "--root", str(w.ca / "root.pem"), "--at", AT],
    ),
    "inspect": lambda w: ("applepay-crypto", ["inspect", str(w.token)]),
    "doctor": lambda w: ("applepay-crypto", ["doctor", str(w.token), *_merchant(w)]),
    "cert inspect": lambda w: ("applepay-crypto", ["cert", "inspect", str(w.cert), "--at", AT]),
    "test-ca sign": lambda w: (
        "applepay-crypto",
        [
            "test-ca",
            "sign",
            str(w.csr),
            "--ca",
            str(w.ca),
            "--out",
            str(_fresh(w, "t.cer")),
            "--force",
        ],
    ),
    # a window error's message: the times in it
    "decrypt late": lambda w: (
        "applepay-crypto",
        ["decrypt", str(w.token), *_merchant(w)[:-2], "--at", "2026-05-06T05:05:35.123456+02:00"],
    ),
    "googlepay decrypt": lambda w: (
        "googlepay-crypto",
        [
            "decrypt",
            str(_google(w)["token"]),
            *_google_recipient(w),
            "--key",
            str(_google(w)["key"]),
        ],
    ),
    "googlepay verify": lambda w: (
        "googlepay-crypto",
        ["verify", str(_google(w)["token"]), *_google_recipient(w)],
    ),
    "googlepay inspect": lambda w: ("googlepay-crypto", ["inspect", str(_google(w)["token"])]),
    # the intermediate key's expiration in the message of its refusal
    "googlepay decrypt late": lambda w: (
        "googlepay-crypto",
        [
            "decrypt",
            str(_google(w)["token"]),
            *_google_recipient(w, "2026-05-07T05:05:35.123456+02:00"),
            "--key",
            str(_google(w)["key"]),
        ],
    ),
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _times(text: str) -> list[str]:
    """Every time of day in ``text``, with whatever follows it (a date alone, such as a
    card's expiration date, is a date, not a time)."""
    pattern = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d[0-9:.+\-Z]*"
    return [match.group(0) for match in re.finditer(pattern, text)]


@pytest.mark.parametrize("name", sorted(TIMED_OUTPUTS))
def test_one_time_format_in_every_output(world: World, name: str) -> None:
    cli, argv = TIMED_OUTPUTS[name](world)
    seen = 0
    for extra in ([], ["--json"]):
        result = invoke(cli, [*argv, *extra])
        assert result.exit_code in (0, 1), result.output[-400:]
        texts = list(_strings(json.loads(result.stdout))) if extra else [result.output]
        texts += [result.stderr]
        for text in texts:
            for found in _times(text):
                seen += 1
                assert ONE_FORMAT.fullmatch(found.rstrip(".,)")), (name, found, text[:300])
    assert seen, f"{name} printed no time: the table is wrong"


# --- days_left and "expired N days ago" ---------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(after=st.timedeltas(min_value=dt.timedelta(seconds=1), max_value=dt.timedelta(days=4000)))
def test_days_left_agrees_with_expired_n_days_ago(
    ec_merchant: TestMerchant, after: dt.timedelta
) -> None:
    end = ec_merchant.certificate.not_valid_after_utc
    report = inspect_certificate(ec_merchant.certificate, now=end + after)
    assert report.expired and report.days_left <= 0
    ago = -report.days_left
    assert ago == after.days
    word = "day" if ago == 1 else "days"
    assert report.warnings[0].startswith(f"expired {ago} {word} ago ")
    assert report.to_json_dict()["days_left"] == -ago and report.to_json_dict()["expired"]


@settings(max_examples=20, deadline=None)
@given(before=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=800)))
def test_days_left_before_expiry(ec_merchant: TestMerchant, before: dt.timedelta) -> None:
    end = ec_merchant.certificate.not_valid_after_utc
    report = inspect_certificate(ec_merchant.certificate, now=end - before)
    assert not report.expired and report.days_left == before.days


def test_cert_inspect_text_says_how_long_ago(world: World) -> None:
    result = invoke(
        "applepay-crypto",
        ["cert", "inspect", str(world.cert), "--at", "2099-01-01T00:00:00Z", "--json"],
    )
    document = json.loads(result.stdout)
    ago = -document["days_left"]
    text = invoke(
        "applepay-crypto", ["cert", "inspect", str(world.cert), "--at", "2099-01-01T00:00:00Z"]
    )
    assert f"(EXPIRED {ago} days ago)" in text.stdout
    assert f"warning: expired {ago} days ago (" in text.stderr


@pytest.mark.parametrize(("warn_days", "code"), [(None, 0), (30, 0), (365 * 3, 1), (0, 0)])
def test_warn_days_for_a_cron_job(world: World, warn_days: int | None, code: int) -> None:
    argv = ["cert", "inspect", str(world.cert), "--at", AT, "--json"]
    if warn_days is not None:
        argv += ["--warn-days", str(warn_days)]
    result = invoke("applepay-crypto", argv)
    assert result.exit_code == code, result.output
    document = json.loads(result.stdout)
    if warn_days is None:
        assert "expires_soon" not in document
    else:
        assert document["warn_days"] == warn_days and document["expires_soon"] is bool(code)
    expired = invoke(
        "applepay-crypto",
        ["cert", "inspect", str(world.cert), "--at", "2099-01-01T00:00:00Z", "--warn-days", "30"],
    )
    assert expired.exit_code == 1


def test_an_option_file_that_is_not_json_is_a_setup_error(world: World) -> None:
    """`applepay-request --extra` is an option's file, like `verify --headers-file`: exit 2."""
    extra = world.base / "extra.json"
    extra.write_text("[1, 2]")
    cli, argv = KEY_READERS[("paykka-sign applepay-request", "secret_key_file")](
        world, world.secret
    )
    result = invoke(cli, [*argv, "--extra", str(extra), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error == {"code": "usage_error", "message": "the --extra file is not a JSON object"}


def test_trust_show_uses_the_one_time_format(
    apple_root_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLEPAY_ROOT_CA", str(apple_root_path))
    document = json.loads(invoke("applepay-crypto", ["trust", "show", "--json"]).stdout)
    assert document["not_after"] == "2039-04-30T18:19:06Z"  # was 2039-04-30T18:19:06+00:00
    text = invoke("applepay-crypto", ["trust", "show"]).stdout
    assert "not_after 2039-04-30T18:19:06Z" in text
