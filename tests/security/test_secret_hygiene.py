"""No card number, cryptogram, EMV data or key material in anything the toolkit shows:
repr/str of every public object, log records, exception messages and tracebacks (chained
causes included) for every rejection, and CLI output without --reveal. Private keys
written by the toolkit are 0600; loading an exposed one warns.

The tokens here carry distinctive secrets (a random PAN, a cryptogram starting with
"CRYPTOGRAM"), so finding one in output cannot be a coincidence; a --reveal run shows
that the search would find them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from security_support import (
    distinctive_cryptogram,
    distinctive_pan,
    key_needles,
    leaks,
    payload_needles,
)

from applepay_crypto import (
    ApplePayError,
    Keyring,
    MerchantKey,
    TokenDecryptor,
    TokenVerifier,
    parse_token,
)
from applepay_crypto.cli import main
from applepay_crypto.describe import describe_token
from applepay_crypto.keys import InsecureKeyFileWarning, load_private_key, save_private_key
from applepay_crypto.replay import MemoryReplayGuard, SQLiteReplayGuard
from applepay_crypto.testing import TestAuthority, TestMerchant, emv_payload, mint, sample_payload
from applepay_crypto.testing.vectors import load_vector, vector_files

from support import REPO

# Near the wall clock: the replay guards keep their own time.
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
AT = NOW + dt.timedelta(seconds=20)


class World:
    """Tokens with distinctive secrets, the keys that decrypt them, and what to look for."""

    def __init__(self, authority: TestAuthority, ec: TestMerchant, rsa: TestMerchant) -> None:
        self.authority, self.ec, self.rsa = authority, ec, rsa
        self.payloads = {
            "ec-3ds": sample_payload(pan=distinctive_pan(), cryptogram=distinctive_cryptogram()),
            "ec-emv": emv_payload(pan=distinctive_pan()),
            "rsa-3ds": sample_payload(pan=distinctive_pan(), cryptogram=distinctive_cryptogram()),
        }
        self.tokens = {
            name: mint(
                payload,
                recipient=rsa if name.startswith("rsa") else ec,
                authority=authority,
                version="RSA_v1" if name.startswith("rsa") else "EC_v1",
                signing_time=NOW,
            )
            for name, payload in self.payloads.items()
        }
        self.needles: dict[str, str] = {}
        for name, payload in self.payloads.items():
            self.needles.update({f"{name}:{k}": v for k, v in payload_needles(payload).items()})
        for owner, key in (
            ("merchant-ec", ec.private_key),
            ("merchant-rsa", rsa.private_key),
            ("authority-leaf-ec", authority.ec_leaf.private_key),
            ("authority-leaf-rsa", authority.rsa_leaf.private_key),
            ("authority-root", authority.root.private_key),
        ):
            self.needles.update({f"{owner}:{k}": v for k, v in key_needles(key).items()})

    def decryptor(self, **options: Any) -> TokenDecryptor:
        return TokenDecryptor(
            [self.ec.merchant_key, self.rsa.merchant_key],
            trust=self.authority.trust_store(),
            **options,
        )


@pytest.fixture(scope="module")
def world(authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant) -> World:
    return World(authority, ec_merchant, rsa_merchant)


def assert_clean(text: str, needles: dict[str, str], where: str) -> None:
    found = leaks(text, needles)
    assert not found, f"{where} shows {found}"


def test_the_search_finds_what_it_looks_for(world: World) -> None:
    """Guard against a search that can never succeed."""
    result = world.decryptor().decrypt(world.tokens["ec-3ds"], now=AT)
    revealed = json.dumps(result.to_json_dict(reveal=True))
    assert "ec-3ds:pan" in leaks(revealed, world.needles)
    assert "ec-3ds:onlinePaymentCryptogram" in leaks(revealed, world.needles)
    pem = world.ec.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert leaks(pem, world.needles)


# --- repr / str of every public object ---------------------------------------------------


def _public_objects(world: World) -> Iterator[tuple[str, Any]]:
    decryptor = world.decryptor(replay_guard=MemoryReplayGuard())
    for name, token in world.tokens.items():
        result = decryptor.decrypt(token, now=AT)
        yield f"DecryptedToken {name}", result
        yield f"PaymentData {name}", result.payment_data
        yield f"masked json {name}", json.dumps(result.to_json_dict())
        yield f"masked dict {name}", result.payment_data.masked_dict()
        parsed = parse_token(token)
        yield f"PaymentToken {name}", parsed
        yield f"describe {name}", describe_token(parsed)
        verified = decryptor.verify(token, now=AT)
        yield f"VerifiedSignature {name}", verified
    yield "MerchantKey ec", world.ec.merchant_key
    yield "MerchantKey rsa", world.rsa.merchant_key
    yield "Keyring", Keyring([world.ec.merchant_key, world.rsa.merchant_key])
    yield "TokenDecryptor", decryptor
    yield "TokenVerifier", TokenVerifier(world.authority.trust_store())
    yield "TrustStore", world.authority.trust_store()
    yield "TestAuthority", world.authority
    yield "CertifiedKey", world.authority.ec_leaf
    yield "TestMerchant", world.ec
    yield "MemoryReplayGuard", decryptor.replay_guard


@pytest.mark.parametrize("how", [repr, str])
def test_repr_and_str_of_public_objects(world: World, how: Any) -> None:
    for label, thing in _public_objects(world):
        assert_clean(how(thing), world.needles, f"{how.__name__}({label})")


def test_repr_of_sqlite_guard(world: World, tmp_path: Path) -> None:
    guard = SQLiteReplayGuard(tmp_path / "r.db")
    world.decryptor(replay_guard=guard).decrypt(world.tokens["ec-3ds"], now=AT)
    assert_clean(repr(guard), world.needles, "SQLiteReplayGuard")


def test_repr_of_batch_config(world: World) -> None:
    from applepay_crypto.batch import BatchConfig

    config = BatchConfig.from_objects([world.ec.merchant_key], trust=world.authority.trust_store())
    assert_clean(repr(config), world.needles, "BatchConfig")


# --- rejections: messages, tracebacks, chained causes, log records -----------------------


def _exception_text(error: BaseException) -> str:
    """str, repr and the formatted traceback of ``error`` and of every exception chained
    to it, suppressed contexts included."""
    parts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), repr(getattr(current, "args", ()))]
        pending += [current.__cause__, current.__context__]
    return "\n".join(parts)


def _tampered(token: dict[str, Any]) -> dict[str, Any]:
    """One byte of the signature value changed (the last 6 bytes are end-of-contents)."""
    raw = bytearray(base64.b64decode(token["signature"]))
    raw[-10] ^= 0x01
    return {**token, "signature": base64.b64encode(bytes(raw)).decode("ascii")}


def _rejections(world: World) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(label, token, decrypt options) for every kind of rejection, each token carrying
    distinctive secrets."""
    token = world.tokens["ec-3ds"]
    flip = {"A": "B", "B": "A"}
    yield (
        "tampered data",
        {**token, "data": flip.get(token["data"][0], "A") + token["data"][1:]},
        {},
    )
    yield "tampered signature", _tampered(token), {}
    yield "stale", token, {"now": AT + dt.timedelta(hours=2)}
    yield "wrong key", token, {"keys": [TestMerchant.create(world.authority).merchant_key]}
    yield "other root", token, {"trust": TestAuthority.create().trust_store()}
    secret = sample_payload(pan=distinctive_pan(), cryptogram=distinctive_cryptogram())
    world.needles.update({f"wrong id:{k}": v for k, v in payload_needles(secret).items()})
    yield (
        "encrypted for another merchant id",
        mint(
            secret,
            recipient=world.ec,
            authority=world.authority,
            signing_time=NOW,
            merchant_id="merchant.com.example.other",
        ),
        {},
    )
    guard = MemoryReplayGuard()
    world.decryptor().decrypt(token, now=AT, replay_guard=guard)
    yield "replay", token, {"replay_guard": guard}
    for problem, payload in (
        ("bad expiry", {"applicationExpirationDate": "991399"}),
        ("bad currency", {"currencyCode": "EURO"}),
        ("bad amount", {"transactionAmount": -5}),
        ("bad type", {"paymentDataType": "Magic"}),
        ("pan with letters", {"applicationPrimaryAccountNumber": "4000" + "ABCD" * 3}),
    ):
        secret = sample_payload(pan=distinctive_pan(), cryptogram=distinctive_cryptogram())
        world.needles.update({f"{problem}:{k}": v for k, v in payload_needles(secret).items()})
        secret.update(payload)
        yield (
            f"payload {problem}",
            mint(secret, recipient=world.ec, authority=world.authority, signing_time=NOW),
            {},
        )
    bad_json = b'{"applicationPrimaryAccountNumber": "' + distinctive_pan().encode() + b'", '
    world.needles["truncated json pan"] = bad_json[38:54].decode()
    yield (
        "payload not json",
        mint(bad_json, recipient=world.ec, authority=world.authority, signing_time=NOW),
        {},
    )


def _decrypt(world: World, label: str, token: Any, options: dict[str, Any]) -> ApplePayError:
    options = dict(options)
    now = options.pop("now", AT)
    guard = options.pop("replay_guard", None)
    keys = options.pop("keys", [world.ec.merchant_key, world.rsa.merchant_key])
    trust = options.pop("trust", world.authority.trust_store())
    decryptor = TokenDecryptor(keys, trust=trust, **options)
    try:
        decryptor.decrypt(token, now=now, replay_guard=guard)
    except ApplePayError as error:
        return error
    pytest.fail(f"{label}: accepted")


def test_rejections_leak_nothing(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    codes = set()
    for label, token, options in list(_rejections(world)):
        error = _decrypt(world, label, token, options)
        codes.add(error.code)
        assert_clean(_exception_text(error), world.needles, f"rejection {label}")
        assert_clean(json.dumps(error.to_dict()), world.needles, f"to_dict {label}")
    assert codes >= {
        "signature_invalid",
        "decryption_failed",
        "signing_time_out_of_window",
        "key_not_found",
        "untrusted_root",
        "replayed_transaction",
        "malformed_token",
    }
    assert_clean(caplog.text, world.needles, "log records")
    for record in caplog.records:
        assert_clean(record.getMessage(), world.needles, "log record")


def _vector_needles(vector: dict[str, Any]) -> dict[str, str]:
    needles = {"test pan": "4111111111111111"}
    for index, entry in enumerate(vector["keys"]):
        key = load_private_key(entry["private_key_pem"].encode())
        needles.update({f"key{index}:{k}": v for k, v in key_needles(key).items()})
    expected = vector["expected"].get("payment_data")
    if expected:
        needles.update(payload_needles(expected))
    return needles


REJECT_VECTORS = [
    p for p in vector_files(REPO / "vectors") if "error" in load_vector(p)["expected"]
]


@pytest.mark.parametrize(
    "path", REJECT_VECTORS, ids=[str(p.relative_to(REPO / "vectors")) for p in REJECT_VECTORS]
)
def test_every_rejection_vector_leaks_nothing(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from applepay_crypto.keys import load_certificate
    from applepay_crypto.testing.vectors import _keys
    from applepay_crypto.trust import TrustStore

    caplog.set_level(logging.DEBUG)
    vector = load_vector(path)
    if vector["trust"].get("apple"):
        pytest.skip("needs Apple's root; its rejections are covered by the minted ones")
    needles = _vector_needles(vector)
    source = vector["input"].get("json", vector["input"].get("text"))
    now = dt.datetime.fromisoformat(vector["verify_at"].replace("Z", "+00:00"))
    trust = TrustStore.for_test_roots([load_certificate(vector["trust"]["root_pem"].encode())])
    try:
        decryptor = TokenDecryptor(_keys(vector), trust=trust)
        decryptor.decrypt(source, now=now)
    except ApplePayError as error:
        assert error.code == vector["expected"]["error"]
        assert_clean(_exception_text(error), needles, path.name)
    else:
        pytest.fail("a rejection vector was accepted")
    assert_clean(caplog.text, needles, f"logs of {path.name}")


def test_accept_vectors_show_no_secrets() -> None:
    from applepay_crypto.testing.vectors import run_vector

    for path in vector_files(REPO / "vectors" / "minted" / "accept"):
        vector = load_vector(path)
        needles = _vector_needles(vector)
        del needles["test pan"]  # expected in the payload; checked through its needles
        source = vector["input"].get("json", vector["input"].get("text"))
        now = dt.datetime.fromisoformat(vector["verify_at"].replace("Z", "+00:00"))
        from applepay_crypto.keys import load_certificate
        from applepay_crypto.testing.vectors import _keys
        from applepay_crypto.trust import TrustStore

        trust = TrustStore.for_test_roots([load_certificate(vector["trust"]["root_pem"].encode())])
        result = TokenDecryptor(_keys(vector), trust=trust).decrypt(source, now=now)
        for text in (repr(result), str(result.payment_data), json.dumps(result.to_json_dict())):
            assert_clean(text, needles, path.name)
        assert run_vector(vector) == vector["expected"]


# --- the CLI without --reveal -------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_files(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("cli")
    files = {"root": directory / "root.pem"}
    files["root"].write_bytes(
        world.authority.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    for name, merchant in (("ec", world.ec), ("rsa", world.rsa)):
        paths = merchant.save(directory / name)
        files[f"{name}-key"], files[f"{name}-cert"] = paths["key"], paths["certificate"]
    for name, token in world.tokens.items():
        files[name] = directory / f"{name}.json"
        files[name].write_text(json.dumps(token))
    files["tampered"] = directory / "tampered.json"
    tampered = _tampered(world.tokens["ec-3ds"])
    files["tampered"].write_text(json.dumps(tampered))
    files["batch"] = directory / "batch.jsonl"
    files["batch"].write_text(
        "".join(json.dumps(t) + "\n" for t in (*world.tokens.values(), tampered))
    )
    return files


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


def _key_args(files: dict[str, Path], name: str) -> list[Any]:
    kind = "rsa" if name.startswith("rsa") else "ec"
    return ["--key", files[f"{kind}-key"], "--cert", files[f"{kind}-cert"]]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_cli_outputs_without_reveal(
    world: World, cli_files: dict[str, Path], as_json: bool
) -> None:
    common = ["--root", cli_files["root"], "--at", AT.isoformat()]
    flag = ["--json"] if as_json else []
    outputs = []
    for name in world.tokens:
        outputs.append(
            _run(["decrypt", cli_files[name], *_key_args(cli_files, name), *common, *flag])
        )
        outputs.append(_run(["verify", cli_files[name], *common, *flag]))
        outputs.append(_run(["inspect", cli_files[name], *flag]))
        outputs.append(
            _run(["doctor", cli_files[name], *_key_args(cli_files, name), *common, *flag])
        )
    outputs.append(
        _run(["decrypt", cli_files["tampered"], *_key_args(cli_files, "ec"), *common, *flag])
    )
    outputs.append(
        _run(["doctor", cli_files["tampered"], *_key_args(cli_files, "ec"), *common, *flag])
    )
    for output in outputs:
        assert_clean(output, world.needles, "CLI output")
    # the same search finds the PAN when it is asked for
    revealed = _run(
        ["decrypt", cli_files["ec-3ds"], *_key_args(cli_files, "ec"), *common, "--reveal", *flag]
    )
    assert "ec-3ds:pan" in leaks(revealed, world.needles)


def test_cli_decrypt_batch_without_reveal(world: World, cli_files: dict[str, Path]) -> None:
    args = [
        "decrypt-batch",
        cli_files["batch"],
        "--root",
        cli_files["root"],
        "--at",
        AT.isoformat(),
    ]
    for name in ("ec", "rsa"):
        args += _key_args(cli_files, name)
    output = _run(args)
    assert output.count("\n") >= 4
    assert_clean(output, world.needles, "decrypt-batch output")


# --- key files ----------------------------------------------------------------------------


def _writers(world: World) -> Iterator[tuple[str, Any]]:
    from applepay_crypto.merchant.certfiles import write_private_key
    from applepay_crypto.merchant.keygen import create_merchant_key

    yield "save_private_key", lambda d: save_private_key(world.ec.private_key, d / "k.pem")
    yield "TestMerchant.save", lambda d: world.ec.save(d)["key"]
    yield "TestAuthority.save", lambda d: world.authority.save(d) / "root.key"
    yield (
        "create_merchant_key",
        lambda d: create_merchant_key(
            d, merchant_id="merchant.com.example.hygiene", overwrite=True
        ).paths["key"],
    )
    yield (
        "certfiles.write_private_key",
        lambda d: write_private_key(world.ec.private_key, d / "w.pem", overwrite=True),
    )

    def paykka(directory: Path) -> Path:
        from paykka_sign.keys import write_private_key as write_paykka_key

        assert isinstance(world.rsa.private_key, rsa.RSAPrivateKey)
        write_paykka_key(directory / "paykka.pem", world.rsa.private_key, overwrite=True)
        return directory / "paykka.pem"

    yield "paykka_sign.keys.write_private_key", paykka


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_private_keys_are_written_0600(
    world: World, tmp_path: Path, permissive_umask: None
) -> None:
    for label, write in _writers(world):
        directory = tmp_path / label
        directory.mkdir()
        path = Path(write(directory))
        assert path.stat().st_mode & 0o777 == 0o600, label
        path.chmod(0o644)  # an existing, too open file is tightened when overwritten
        path = Path(write(directory))
        assert path.stat().st_mode & 0o777 == 0o600, f"{label} (overwrite)"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_loading_an_exposed_private_key_warns(world: World, tmp_path: Path) -> None:
    path = save_private_key(world.ec.private_key, tmp_path / "key.pem")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MerchantKey.load(path, certificate=world.ec.certificate)  # 0600: silent
    for mode in (0o644, 0o640, 0o604):
        path.chmod(mode)
        with pytest.warns(InsecureKeyFileWarning, match=f"{mode:04o}") as caught:
            MerchantKey.load(path, certificate=world.ec.certificate)
        assert_clean(str(caught[0].message), world.needles, "the warning")
