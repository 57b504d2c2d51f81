"""Issue #12, part 3 on the command line: every command that takes a key file takes a
PKCS#11 URI too, through one shared option and loader (cli/_keys.py), and gives with the
key in a real SoftHSM2 token exactly what it gives with the PEM file. The PIN comes from a
pin-source file and shows nowhere."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from cryptography import x509

from applepay_crypto.cli import main
from applepay_crypto.cli._keys import KeyFileOrUri
from applepay_crypto.testing import TestMerchant, mint, sample_payload, test_pan

from support import SOFTHSM_PIN

pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed (pip install '.[test]')")

from pkcs11 import Attribute

from applepay_crypto.keys import pkcs11 as pkcs11_module

SIGNED = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.timezone.utc)
AT = "2026-02-02T10:01:00Z"
MERCHANT_ID = "merchant.com.example.cli-hsm"


@pytest.fixture(scope="module")
def hsm(softhsm_store, authority, tmp_path_factory) -> dict[str, Any]:
    """A merchant whose key is both a PEM file and (imported) in the SoftHSM2 token."""
    base = tmp_path_factory.mktemp("cli-hsm")
    merchant = TestMerchant.create(authority, merchant_id=MERCHANT_ID)
    paths = merchant.save(base)
    authority.save(base / "ca")
    token = pkcs11_module.Pkcs11Token(
        softhsm_store["module"], token_label="merchant", pin_file=softhsm_store["pin_file"], rw=True
    )
    pkcs11_module.import_private_key(token, merchant.merchant_key.private_key, label="cli-ec")
    tokens = [
        mint(
            sample_payload(pan=test_pan(), cryptogram="Q1JZUFRPR1JBTQ=="),
            recipient=merchant,
            authority=authority,
            signing_time=SIGNED,
        )
        for _ in range(6)
    ]
    (base / "token.json").write_text(json.dumps(tokens[0]))
    lines = [json.dumps({"id": i, "token": t}) for i, t in enumerate(tokens)]
    (base / "tokens.jsonl").write_text("\n".join([*lines, '{"id": 99, "token": []}']) + "\n")
    pin = softhsm_store["pin_file"]
    return {
        "base": base,
        "pem": str(paths["key"]),
        "cert": str(paths["certificate"]),
        "root": str(base / "ca" / "root.pem"),
        "uri": f"pkcs11:token=merchant;object=cli-ec;pin-source=file:{pin}",
        "module": softhsm_store["module"],
        "merchant": merchant,
    }


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _batch(result: Any) -> list[Any]:
    assert result.exit_code == 1, result.output  # the last line is refused
    return [json.loads(line) for line in result.stdout.splitlines()]


def _doctor(result: Any) -> Any:
    document = _json(result)
    for finding in document["findings"]:  # a key's label names its file or its token
        finding["step"] = re.sub(r"key 1 \([^)]*\)", "key 1", finding["step"])
        finding["message"] = re.sub(r"key 1 \([^)]*\)", "key 1", finding["message"])
    return document


#: Every command of applepay-crypto that takes a key: how to call it with KEY, and what of
#: its output must be the same whichever way the key is given.
KEY_COMMANDS: dict[str, tuple[Callable[[dict[str, Any], str], list[str]], Callable[..., Any]]] = {
    "decrypt": (
        lambda f, key: [
            *("decrypt", str(f["base"] / "token.json"), "--key", key, "--cert", f["cert"]),
            *("--root", f["root"], "--at", AT, "--json"),
        ],
        _json,
    ),
    "decrypt-batch": (
        lambda f, key: [
            *("decrypt-batch", str(f["base"] / "tokens.jsonl"), "--key", key),
            *("--cert", f["cert"], "--root", f["root"], "--at", AT),
        ],
        _batch,
    ),
    "doctor": (
        lambda f, key: [
            *("doctor", str(f["base"] / "token.json"), "--key", key, "--cert", f["cert"]),
            *("--root", f["root"], "--at", AT, "--json"),
        ],
        _doctor,
    ),
    "keys hash": (lambda f, key: ["keys", "hash", "--key", key, "--json"], _json),
    "cert inspect": (
        lambda f, key: ["cert", "inspect", f["cert"], "--key", key, "--at", AT, "--json"],
        _json,
    ),
    "bench": (lambda f, key: ["bench", "--key", key, "--json"], _json),
}

#: Commands whose --key must be a file, and why (not the payment processing key).
KEY_FILES_ONLY = {
    "cert convert": "bundles the key's bytes into a .p12: a key in a token has none to give",
    "session": "the merchant identity key for TLS client authentication, held by the TLS "
    "library (issue #12 names the payment processing key)",
}


def _key_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.update(_key_commands(command, f"{full} "))
        elif any(p.name in ("key", "keys", "key_file") for p in command.params):
            found[full] = command
    return found


def test_every_command_that_takes_a_key_takes_a_uri_through_the_shared_option() -> None:
    """By construction: each --key is the shared type with --pkcs11-module beside it, and
    the table below covers each such command (a new one fails here until it is added)."""
    commands = _key_commands(main)
    assert set(commands) == set(KEY_COMMANDS) | set(KEY_FILES_ONLY)
    for name, command in commands.items():
        if name in KEY_FILES_ONLY:
            continue
        options = {p.name: p for p in command.params}
        key = next(p for p in command.params if p.name in ("key", "keys", "key_file"))
        assert isinstance(key.type, KeyFileOrUri), name
        assert "pkcs11_module" in options, name


def test_no_command_has_a_pin_option() -> None:
    """The PIN never reaches a command line (ps shows it): no option of any command takes it."""

    def walk(group: click.Group) -> list[click.Parameter]:
        params = []
        for command in group.commands.values():
            params += walk(command) if isinstance(command, click.Group) else command.params
        return params

    assert [p.name for p in walk(main) if "pin" in (p.name or "").lower()] == []


@pytest.mark.parametrize("command", sorted(KEY_COMMANDS))
def test_each_key_command_gives_the_same_with_the_key_in_softhsm(hsm, command, monkeypatch):
    argv, outcome = KEY_COMMANDS[command]
    if command == "bench":  # the measurement itself is tested below, in seconds not minutes
        seen: list[Any] = []

        def fake(*, quick: bool, key: Any) -> dict[str, Any]:
            from applepay_crypto.keys import public_key_hash

            public = key.public_key if hasattr(key, "holder") else key.public_key()
            seen.append(type(key).__name__ if hasattr(key, "holder") else "in process")
            return {"public_key_hash": public_key_hash(public).hex()}

        monkeypatch.setattr(
            importlib.import_module("applepay_crypto.cli.bench"), "run_benchmarks", fake
        )
    via_pem = outcome(run(*argv(hsm, hsm["pem"])))
    via_uri = outcome(run(*argv(hsm, hsm["uri"]), "--pkcs11-module", hsm["module"]))
    if command == "keys hash":
        assert via_pem.pop("source") == "key" and via_uri.pop("source") == "pkcs11"
    assert via_uri == via_pem
    if command == "bench":
        assert seen == ["in process", "HeldKey"]


def test_module_from_the_environment(hsm, monkeypatch) -> None:
    monkeypatch.setenv("PKCS11_MODULE", hsm["module"])
    result = run("keys", "hash", "--key", hsm["uri"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == hsm["merchant"].merchant_key.public_key_hash_b64


def test_batch_workers_open_the_token_themselves(hsm) -> None:
    """HSM keys cannot be pickled: each worker process starts afresh and opens the token
    from the URI (BatchConfig carries the URI and the module, never the key or the PIN)."""
    argv = KEY_COMMANDS["decrypt-batch"][0]
    single = _batch(run(*argv(hsm, hsm["uri"]), "--pkcs11-module", hsm["module"]))
    parallel = _batch(
        run(*argv(hsm, hsm["uri"]), "--pkcs11-module", hsm["module"], "--workers", "2")
    )
    assert parallel == single
    assert [line.get("id") for line in parallel] == [0, 1, 2, 3, 4, 5, 99]
    assert all("payment_data" in line for line in parallel[:6])


def test_a_pin_in_the_uri_is_refused_and_never_echoed(hsm) -> None:
    uri = f"pkcs11:token=merchant;object=cli-ec?pin-value={SOFTHSM_PIN}"
    for argv in (["decrypt", "-", "--key", uri], ["keys", "hash", "--key", uri]):
        result = run(*argv)
        assert result.exit_code == 2
        assert "pin-value" in result.output
        assert SOFTHSM_PIN not in result.output


def test_a_wrong_pin_is_a_setup_error_that_shows_no_pin(hsm, tmp_path) -> None:
    wrong = tmp_path / "pin"
    wrong.write_text("271828-wrong\n")
    uri = f"pkcs11:token=unopened;object=none;pin-source=file:{wrong}"
    result = run("keys", "hash", "--key", uri, "--pkcs11-module", hsm["module"], "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "hsm_pin_incorrect"
    assert "271828" not in result.output and SOFTHSM_PIN not in result.output


@pytest.mark.parametrize(
    ("uri", "module", "code"),
    [
        ("pkcs11:token=merchant;object=absent;pin-source=file:{pin}", None, "hsm_key_not_found"),
        ("pkcs11:token=nothere;object=cli-ec;pin-source=file:{pin}", None, "hsm_token_not_found"),
        ("pkcs11:token=merchant;object=cli-ec;pin-source=file:{pin}", "/nope/lib.so", None),
    ],
)
def test_token_failures_are_setup_errors_with_their_code(hsm, softhsm_store, uri, module, code):
    uri = uri.format(pin=softhsm_store["pin_file"])
    chosen = module or hsm["module"]
    result = run(
        "decrypt",
        str(hsm["base"] / "token.json"),
        "--key",
        uri,
        "--pkcs11-module",
        chosen,
        "--root",
        hsm["root"],
        "--at",
        AT,
        "--json",
    )
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["error"]["code"] == (code or "hsm_module_unavailable")


def test_without_the_extra_the_error_names_it(hsm, monkeypatch) -> None:
    monkeypatch.setattr(pkcs11_module, "pkcs11", None)
    monkeypatch.setattr(pkcs11_module, "_OPEN_TOKENS", {})
    result = run("keys", "hash", "--key", hsm["uri"], "--pkcs11-module", hsm["module"])
    assert result.exit_code == 2
    assert "pip install 'applepay-toolkit[pkcs11]'" in result.output
    assert "hsm_module_unavailable" in result.output


def test_bench_measures_the_key_in_softhsm(hsm) -> None:
    """Part 3/bench in the library: tokens minted to the token's key, decrypted through it."""
    from applepay_crypto.bench import measure_key

    held = pkcs11_module.held_key_from_uri(hsm["uri"], module=hsm["module"])
    figures = measure_key(held, tokens=3, rounds=2)
    assert figures["version"] == "EC_v1"
    assert figures["tokens_per_second"] > 0 and figures["full_us"] > 0
    assert "PKCS#11" in figures["key"] and "merchant" in figures["key"]


def test_bench_prints_the_key_figure_next_to_the_in_process_one(hsm, monkeypatch) -> None:
    report = {
        "machine": {"cores": 2, "cpu": "x", "python": "3", "openssl": "o", "cryptography": "c"},
        "ec_v1": {"tokens_per_second": 5000, "full_us": 200.0, "floor_us": 180.0, "ratio": 1.1}
        | {"bare_ratio": 1.05},
        "rsa_v1": {"tokens_per_second": 900, "full_us": 1100.0, "floor_us": 1000.0, "ratio": 1.1}
        | {"bare_ratio": 1.05},
        "cold": {"ec_v1": {"first_token_ms": 1.0}, "rsa_v1": {"first_token_ms": 2.0}},
        "batch": {"single_tokens_per_second": 1, "parallel_tokens_per_second": 2, "workers": 2}
        | {"speedup": 2.0, "machine_scaling": 2.0},
        "key": {"version": "EC_v1", "key": "PKCS#11 key label 'cli-ec' in token 'merchant'"}
        | {"tokens_per_second": 2000, "full_us": 500.0},
    }
    monkeypatch.setattr(
        importlib.import_module("applepay_crypto.cli.bench"),
        "run_benchmarks",
        lambda quick, key: report,
    )
    result = run("bench", "--key", hsm["uri"], "--pkcs11-module", hsm["module"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("EC_v1   key "))
    assert "2000 tokens/s" in line and "in process 5000 tokens/s" in line and "x0.40" in line


def _openssl_verifies(csr: Path) -> str:
    """The real openssl binary checks the CSR's self-signature (made inside the token)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not on PATH")
    checked = subprocess.run(
        [openssl, "req", "-verify", "-noout", "-subject", "-in", str(csr)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert "verify OK" in checked.stdout + checked.stderr
    return checked.stdout


def _uri(softhsm_store: dict[str, Any], label: str) -> str:
    return f"pkcs11:token=merchant;object={label};pin-source=file:{softhsm_store['pin_file']}"


def test_keys_new_in_the_token_then_store_cert_then_decrypt(
    hsm, softhsm_store, authority, tmp_path
) -> None:
    """Issue #12, part 4 on the CLI: the key is born in the token, its CSR (signed there)
    passes openssl, the certificate issued for it is stored beside it, and decrypt needs
    nothing but the URI."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from applepay_crypto.keys import public_key_hash
    from applepay_crypto.testing.merchant import payment_processing_certificate

    uri = _uri(softhsm_store, "cli-born")
    module = ["--pkcs11-module", hsm["module"]]
    made = _json(
        run(
            *("keys", "new", "--pkcs11", uri, *module, "--merchant-id", MERCHANT_ID),
            *("--out", str(tmp_path), "--json"),
        )
    )
    csr_path = Path(made["paths"]["csr"])
    assert csr_path == tmp_path / "cli-born.csr"
    assert f"CN = {MERCHANT_ID}" in _openssl_verifies(csr_path)
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    public = csr.public_key()
    assert base64.b64encode(public_key_hash(public)).decode() == made["public_key_hash"]  # type: ignore[arg-type]
    token = pkcs11_module.token_from_uri(uri, module=hsm["module"])
    with token.session() as session:
        handle = token.private_key_handle(session, None, "cli-born")
        for name, wanted in (("SENSITIVE", True), ("EXTRACTABLE", False)):
            assert handle[getattr(Attribute, name)] is wanted
        assert handle[Attribute.NEVER_EXTRACTABLE] is True
    # Apple's answer, stood in for by the test authority, as a DER .cer.
    issued = payment_processing_certificate(public, merchant_id=MERCHANT_ID, authority=authority)  # type: ignore[arg-type]
    cer = tmp_path / "apple_pay.cer"
    cer.write_bytes(issued.public_bytes(Encoding.DER))
    stored = _json(run("keys", "store-cert", "--pkcs11", uri, *module, str(cer), "--json"))
    assert stored == {
        "public_key_hash": made["public_key_hash"],
        "cka_id": public_key_hash(public).hex(),  # type: ignore[arg-type]
        "merchant_id": MERCHANT_ID,
    }
    again = run("keys", "store-cert", "--pkcs11", uri, *module, str(cer))
    assert again.exit_code == 2 and "already holds a certificate" in again.output
    payload = sample_payload(pan=test_pan())
    minted = tmp_path / "token.json"
    minted.write_text(
        json.dumps(mint(payload, recipient=issued, authority=authority, signing_time=SIGNED))
    )
    result = _json(
        run(
            *("decrypt", str(minted), "--key", uri, *module),  # no --cert, no --merchant-id
            *("--root", hsm["root"], "--at", AT, "--json", "--reveal"),
        )
    )
    assert result["payment_data"] == payload


def test_keys_new_rsa_in_the_token_gives_a_csr_openssl_verifies(hsm, softhsm_store, tmp_path):
    uri = _uri(softhsm_store, "cli-born-rsa")
    result = run(
        *("keys", "new", "--type", "rsa", "--pkcs11", uri, "--pkcs11-module", hsm["module"]),
        *("--merchant-id", MERCHANT_ID, "--out", str(tmp_path)),
    )
    assert result.exit_code == 0, result.output
    assert "RSA-2048 key in token 'merchant'" in result.stdout
    _openssl_verifies(tmp_path / "cli-born-rsa.csr")
    csr = x509.load_pem_x509_csr((tmp_path / "cli-born-rsa.csr").read_bytes())
    assert csr.public_key().key_size == 2048  # type: ignore[union-attr]
    assert csr.signature_hash_algorithm is not None
    assert csr.signature_hash_algorithm.name == "sha256"


def test_keys_new_refuses_a_label_the_token_has(hsm, softhsm_store, tmp_path) -> None:
    uri = _uri(softhsm_store, "cli-ec")  # imported by the fixture
    result = run(
        *("keys", "new", "--pkcs11", uri, "--pkcs11-module", hsm["module"]),
        *("--merchant-id", MERCHANT_ID, "--out", str(tmp_path)),
    )
    assert result.exit_code == 2
    assert "already holds a key labelled 'cli-ec'" in result.output


def test_store_cert_refuses_the_certificate_of_another_key(hsm, softhsm_store, authority):
    other = TestMerchant.create(authority, merchant_id="merchant.com.example.other")
    path = hsm["base"] / "other.pem"
    other.save(hsm["base"], stem="other")
    result = run(
        *("keys", "store-cert", "--pkcs11", hsm["uri"], "--pkcs11-module", hsm["module"]),
        str(path),
    )
    assert result.exit_code == 2
    assert "not for the key this URI names" in result.output


def test_keys_new_pkcs11_takes_a_uri_only(tmp_path) -> None:
    result = run(
        "keys", "new", "--pkcs11", "token.key", "--merchant-id", MERCHANT_ID, "--out", str(tmp_path)
    )
    assert result.exit_code == 2 and "give a PKCS#11 URI" in result.output


def test_a_batch_takes_a_key_in_a_token_as_its_uri_only(hsm, monkeypatch) -> None:
    """The key object cannot cross into a worker; its URI can, and workers are spawned (a
    forked child would inherit the parent's PKCS#11 state, undefined by the standard)."""
    import multiprocessing

    from applepay_crypto import batch
    from applepay_crypto.errors import ConfigurationError

    key = pkcs11_module.merchant_key_from_uri(
        hsm["uri"], module=hsm["module"], certificate=hsm["cert"]
    )
    with pytest.raises(ConfigurationError, match="pkcs11_keys"):
        batch.BatchConfig.from_objects([key], trust=None)
    config = batch.BatchConfig.from_objects(
        [], trust=None, pkcs11_keys=[(hsm["uri"], hsm["module"], None, MERCHANT_ID)]
    )
    assert "1 PKCS#11 keys" in repr(config) and SOFTHSM_PIN not in repr(config)
    methods: list[str] = []
    real = multiprocessing.get_context
    monkeypatch.setattr(
        batch.multiprocessing, "get_context", lambda m: methods.append(m) or real(m)
    )
    with batch._Workers(config, 1):
        pass
    assert methods == ["spawn"]
