"""Review (#11), class 6: every public callable of applepay_crypto that takes outside input
refuses hostile input with an ApplePayError (and its code), never another exception.

ENTRY_POINTS names every public callable (each public module's ``__all__``): either how it
is fed a hostile value, or why it takes no outside input. A new public callable that is in
neither fails ``test_every_public_callable_is_covered``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import pkgutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fuzz_support import fuzz_settings
from hostile import hostile_bytes, hostile_inputs, hostile_text, json_texts
from hypothesis import given
from hypothesis import strategies as st

import applepay_crypto
from applepay_crypto import ApplePayError, MerchantKey, PaymentData, TokenDecryptor, masking
from applepay_crypto.batch import BatchConfig, decrypt_blocks, read_blocks, run_batch
from applepay_crypto.ber import check_ber
from applepay_crypto.cms import parse_signed_data
from applepay_crypto.decryptor import decrypt_token, decrypt_with_symmetric_key, verify_token
from applepay_crypto.doctor import diagnose
from applepay_crypto.errors import error_class
from applepay_crypto.keys import load_certificate, load_private_key, merchant_id_hash
from applepay_crypto.keys.keydata import decode_private_key
from applepay_crypto.keys.pkcs11 import parse_pkcs11_uri
from applepay_crypto.merchant.certfiles import load_pkcs12, read_certificate_file
from applepay_crypto.merchant.certinfo import inspect_file
from applepay_crypto.merchant.session import check_validation_url, session_request_body
from applepay_crypto.moments import utc_moment
from applepay_crypto.replay import MemoryReplayGuard, check_replay
from applepay_crypto.replay_redis import redact_url
from applepay_crypto.testing import TestAuthority, TestMerchant
from applepay_crypto.token import parse_token, read_token
from applepay_crypto.trust import install_apple_root, load_apple_root

NOW = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.timezone.utc)

#: Validation URLs as a browser may post them: any text after a scheme, IPv6 brackets.
urls = st.one_of(
    json_texts,
    st.builds(
        lambda scheme, host, rest: scheme + host + rest,
        st.sampled_from(["https://", "http://", "https://user@", "https://["]),
        st.one_of(hostile_text, st.sampled_from(["apple-pay-gateway.apple.com", "[::1", "]"])),
        st.one_of(hostile_text, st.sampled_from([":0", ":99999", ":x", "/path?q=1", "]:443"])),
    ),
)


@dataclass
class World:
    key: MerchantKey
    decryptor: TokenDecryptor
    trust: Any
    directory: Path

    def file(self, value: Any) -> Path:
        """A file holding ``value``'s bytes (JSON of a parsed value), for path-taking calls."""
        path = self.directory / "input"
        path.write_bytes(as_bytes(value))
        return path


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return b"[" * 5000


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else as_bytes(value).decode("utf-8", "replace")


@dataclass(frozen=True)
class Entry:
    """How a hostile value reaches the callable, from which class of values."""

    values: st.SearchStrategy[Any]
    call: Callable[[World, Any], Any]


def _batch(world: World, value: Any, workers: int = 1) -> None:
    config = BatchConfig.from_objects([world.key], trust=world.trust, now=NOW)
    run_batch(io.BytesIO(as_bytes(value) + b"\n"), io.BytesIO(), config, workers=workers)


def _blocks(world: World, value: Any) -> None:
    config = BatchConfig.from_objects([world.key], trust=world.trust, now=NOW)
    list(decrypt_blocks(read_blocks(io.BytesIO(as_bytes(value))), config))


def _payment_data(world: World, value: Any) -> None:
    data = PaymentData.from_json(as_bytes(value))
    repr(data), data.masked_dict(), data.to_json_dict(reveal=False)


def _diagnose(world: World, value: Any) -> None:
    diagnosis = diagnose(value, keys=[world.key], root=world.trust, now=NOW)
    repr(diagnosis)
    diagnosis = diagnose(
        world.file(value), keys=[world.key], merchant_id=as_text(value), root=world.trust, now=NOW
    )
    repr(diagnosis)


def _install(world: World, value: Any) -> None:
    install_apple_root(source=world.file(value), destination=world.directory / "root.cer")


def _session_body(world: World, value: Any) -> None:
    text = as_text(value)
    session_request_body(
        merchant_identifier=text, display_name=text, initiative="web", initiative_context=text
    )


TYPED = "takes typed objects built by the library (keys, certificates, parsed tokens)"
WRITER = "writes files the caller names; its data is the library's own"
RESULT = "a result or record type the library builds, not an input"
TOOL = "a local tool (benchmark, key generation); no outside input"
ERROR = "an error class"

ENTRY_POINTS: dict[str, Entry | str] = {
    # tokens, in every shape
    "token.parse_token": Entry(hostile_inputs, lambda w, v: parse_token(v)),
    "token.read_token": Entry(hostile_bytes, lambda w, v: read_token(w.file(v))),
    "token.PaymentToken": RESULT,
    "decryptor.decrypt_token": Entry(
        hostile_inputs, lambda w, v: decrypt_token(v, key=w.key, root=w.trust, now=NOW)
    ),
    "decryptor.verify_token": Entry(
        hostile_inputs, lambda w, v: verify_token(v, root=w.trust, now=NOW)
    ),
    "decryptor.TokenDecryptor": Entry(
        hostile_inputs, lambda w, v: (w.decryptor.decrypt(v, now=NOW), w.decryptor.verify(v))
    ),
    "decryptor.DecryptedToken": RESULT,
    "doctor.diagnose": Entry(hostile_inputs, _diagnose),
    "doctor.Diagnosis": RESULT,
    "doctor.decryption.decrypt_with": TYPED,
    "doctor.keys.check_keys": TYPED,
    "doctor.signature.check_signature": TYPED,
    "doctor.findings.Finding": RESULT,
    "doctor.findings.Findings": RESULT,
    "batch.run_batch": Entry(hostile_bytes, _batch),
    "batch.decrypt_blocks": Entry(hostile_bytes, _blocks),
    "batch.read_blocks": Entry(
        hostile_bytes, lambda w, v: list(read_blocks(io.BytesIO(as_bytes(v))))
    ),
    "batch.BatchConfig": TYPED,
    "batch.BatchStats": RESULT,
    "describe.describe_token": TYPED,
    "describe.describe_certificate": TYPED,
    # what decryption yields, and what the CMS holds
    "payment_data.PaymentData": Entry(hostile_bytes, _payment_data),
    # masking rules run over decrypted payloads and PSP bodies: any parsed JSON value
    "masking.PAYMENT_DATA": Entry(hostile_inputs, lambda w, v: masking.PAYMENT_DATA(v)),
    "masking.PAYMENT_TOKEN": Entry(hostile_inputs, lambda w, v: masking.PAYMENT_TOKEN(v)),
    "masking.masked_pan": Entry(hostile_inputs, lambda w, v: masking.masked_pan(v)),
    "masking.show": Entry(hostile_inputs, lambda w, v: masking.show(v)),
    "masking.redact": Entry(hostile_inputs, lambda w, v: masking.redact(v)),
    "masking.each": "builds a rule (its rules are covered through PAYMENT_DATA)",
    "masking.fields": "builds a rule (its rules are covered through PAYMENT_DATA)",
    "masking.mask_pan": TYPED,
    "cms.parse_signed_data": Entry(hostile_bytes, lambda w, v: parse_signed_data(v)),
    "cms.SignedData": RESULT,
    "cms.LayoutCache": "a cache of parsed layouts, sized by the library",
    "ber.check_ber": Entry(hostile_bytes, lambda w, v: check_ber(v)),
    # key and certificate files
    "keys.files.load_certificate": Entry(hostile_bytes, lambda w, v: load_certificate(v)),
    "keys.files.load_private_key": Entry(hostile_bytes, lambda w, v: load_private_key(v)),
    "keys.merchant_key.MerchantKey": Entry(
        hostile_bytes, lambda w, v: MerchantKey.load(v, merchant_id="merchant.com.example")
    ),
    "keys.keyring.Keyring": TYPED,
    "keys.files.InsecureKeyFileWarning": "a warning class",
    "keys.identity.merchant_id_hash": Entry(hostile_text, lambda w, v: merchant_id_hash(v)),
    "keys.identity.merchant_id_from_certificate": TYPED,
    "keys.identity.merchant_id_hash_from_certificate": TYPED,
    "keys.identity.public_key_hash": TYPED,
    "keys.files.save_private_key": WRITER,
    "keys.files.warn_if_exposed": "looks at a file's mode only",
    "merchant.certfiles.read_certificate_file": Entry(
        hostile_bytes, lambda w, v: read_certificate_file(v)
    ),
    "merchant.certfiles.load_pkcs12": Entry(
        hostile_bytes, lambda w, v: load_pkcs12(v, password=b"x")
    ),
    "merchant.certfiles.CertificateFile": RESULT,
    "merchant.certfiles.convert_certificate": "reads through read_certificate_file (covered)",
    "merchant.certfiles.split_pkcs12": "reads through read_certificate_file (covered)",
    "merchant.certfiles.export_pkcs12": "reads through load_private_key and load_certificate (covered)",
    "merchant.certfiles.pkcs12_bytes": TYPED,
    "merchant.certfiles.write_private_file": WRITER,
    "merchant.certfiles.write_private_key": WRITER,
    "merchant.certfiles.write_public_file": WRITER,
    "merchant.certinfo.inspect_file": Entry(hostile_bytes, lambda w, v: inspect_file(v, now=NOW)),
    "merchant.certinfo.inspect_certificate": TYPED,
    "merchant.certinfo.CertificateReport": RESULT,
    "merchant.certs.Classification": RESULT,
    "merchant.certs.certificate_public_key": TYPED,
    "merchant.certs.certificate_public_key_hash": TYPED,
    "merchant.certs.certificate_signing_request": TYPED,
    "merchant.certs.classify_certificate": TYPED,
    "merchant.certs.common_name": TYPED,
    "merchant.certs.days_left": TYPED,
    "merchant.certs.describe_key": TYPED,
    "merchant.certs.key_belongs_to": TYPED,
    "merchant.certs.new_private_key": TOOL,
    # trust
    "trust.load_apple_root": Entry(hostile_bytes, lambda w, v: load_apple_root(w.file(v))),
    "trust.install_apple_root": Entry(hostile_bytes, _install),
    "trust.TrustStore": TYPED,
    "trust.ValidatedChain": TYPED,
    "trust.check_valid_at": TYPED,
    "trust.check_apple_path": TYPED,
    "trust.user_root_path": TOOL,
    # merchant sessions: the validation URL comes from the shopper's browser
    "merchant.session.check_validation_url": Entry(urls, lambda w, v: check_validation_url(v)),
    "merchant.session.session_request_body": Entry(hostile_inputs, _session_body),
    "merchant.session.request_merchant_session": "checks its URL with check_validation_url (covered) "
    "before any network access",
    "merchant.session.MerchantSession": RESULT,
    "replay_redis.redact_url": Entry(hostile_text, lambda w, v: redact_url(v)),
    "replay_redis.RedisReplayGuard": TYPED,
    "replay.MemoryReplayGuard": TYPED,
    "replay.SQLiteReplayGuard": TYPED,
    "replay.ReplayGuard": TYPED,
    "replay.replay_expiry": TYPED,
    "replay.check_replay": Entry(
        hostile_inputs, lambda w, v: check_replay(MemoryReplayGuard(clock=lambda: NOW), v, NOW)
    ),
    "keys.keydata.decode_private_key": Entry(hostile_inputs, lambda w, v: decode_private_key(v)),
    "moments.utc_moment": Entry(hostile_inputs, lambda w, v: utc_moment(v)),
    "keys.merchant_key.name_the_pair": "a context manager naming a --key/--cert pair",
    "logs.rejections_logged": "a logging helper the library wraps its own calls in",
    "logs.logs_rejections": "a logging helper the library wraps its own calls in",
    "cli.replay_options.replay_options": "a click decorator: its values are click's options",
    "cli.replay_options.replay_guard_from_options": "the command line's parsed options",
    "cli.replay_options.replay_guard_factory_from_options": "the command line's parsed options",
    "errors.error_class": Entry(hostile_text, lambda w, v: error_class(v)),
    # primitives below parse_token: their inputs are shape-checked already
    "ec_v1.decrypt": TYPED,
    "ec_v1.derive_symmetric_key": TYPED,
    "ec_v1.shared_secret": TYPED,
    "rsa_v1.decrypt": TYPED,
    "rsa_v1.unwrap_key": TYPED,
    "ec_v1.agree": TYPED,
    "ec_v1.decrypt_with_symmetric_key": TYPED,
    "ec_v1.restore_symmetric_key": TYPED,
    "rsa_v1.decrypt_with_symmetric_key": TYPED,
    "rsa_v1.unwrap": TYPED,
    # key seams (#12): the key holder's side; the token reaches them through parse_token
    "keys.in_process.InProcessKeyAgreement": TYPED,
    "keys.in_process.InProcessKeyUnwrapper": TYPED,
    "keys.seams.KeyAgreement": TYPED,
    "keys.seams.KeyLookup": TYPED,
    "keys.seams.KeyUnwrapper": TYPED,
    "decryptor.SymmetricKey": RESULT,
    "decryptor.decrypt_with_symmetric_key": Entry(
        hostile_inputs,
        lambda w, v: decrypt_with_symmetric_key(v, bytes(32), root=w.trust, now=NOW),
    ),
    # PKCS#11 (#12): a URI comes from configuration, and is parsed before any module loads
    "keys.pkcs11.parse_pkcs11_uri": Entry(hostile_text, lambda w, v: parse_pkcs11_uri(v)),
    "keys.pkcs11.merchant_key_from_uri": "reads its URI through parse_pkcs11_uri (covered), "
    "then talks to a token",
    "keys.pkcs11.held_key_from_uri": "reads its URI through parse_pkcs11_uri (covered), "
    "then talks to a token",
    "keys.pkcs11.token_from_uri": "reads its URI through parse_pkcs11_uri (covered), "
    "then talks to a token",
    "keys.merchant_key.HeldKey": TYPED,
    "keys.seams.holder_matches": TYPED,
    "keys.pkcs11.Pkcs11Uri": RESULT,
    "keys.pkcs11.Pkcs11Token": TYPED,
    "keys.pkcs11.Pkcs11KeyAgreement": TYPED,
    "keys.pkcs11.Pkcs11KeyUnwrapper": TYPED,
    "keys.pkcs11.certificate_signing_request": TYPED,
    "keys.pkcs11.generate_private_key": TOOL,
    "keys.pkcs11.import_private_key": TOOL,
    "keys.pkcs11.store_certificate": TYPED,
    "signature.TokenVerifier": TYPED,
    "signature.VerifiedSignature": RESULT,
    "signature.check_certificate_oids": TYPED,
    "signature.check_message_digest": TYPED,
    "signature.check_signer_signature": TYPED,
    "signature.check_signing_time": TYPED,
    "merchant.keygen.create_merchant_key": TOOL,
    "merchant.keygen.default_purpose": TOOL,
    "merchant.keygen.NewMerchantKey": RESULT,
    "bench.machine": TOOL,
    "bench.run_benchmarks": TOOL,
    "bench.measure_key": TOOL,
    "cli.params.Duration": "a click parameter type: covered by the CLI tests",
    "cli.params.Timestamp": "a click parameter type: covered by the CLI tests",
}

#: Whole modules whose callables take no outside input.
EXEMPT_MODULES = {
    "testing": "the test authority and recorders: their inputs are the test author's",
}


def public_callables() -> set[str]:
    names = set()
    for module_info in pkgutil.walk_packages(applepay_crypto.__path__, "applepay_crypto."):
        short = module_info.name.removeprefix("applepay_crypto.")
        if any(part.startswith("_") for part in short.split(".")):
            continue
        if short.split(".")[0] in EXEMPT_MODULES:
            continue
        module = importlib.import_module(module_info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if not callable(value):
                continue
            home = getattr(value, "__module__", "")
            if home == module_info.name:
                names.add(f"{short}.{name}")
            elif isinstance(value, type) and issubclass(value, BaseException):
                names.add(f"{home.removeprefix('applepay_crypto.')}.{name}")
    # errors raised by the library are classes, not entry points
    return {n for n in names if not _is_error(n)}


def _is_error(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    value = getattr(importlib.import_module(f"applepay_crypto.{module}"), name)
    return isinstance(value, type) and issubclass(value, BaseException) and name != "Warning"


def test_every_public_callable_is_covered() -> None:
    found = public_callables()
    table = {n for n in ENTRY_POINTS if not _is_error(n)}
    assert found - table == set(), "public callables with no entry in ENTRY_POINTS"
    assert table - found == set(), "ENTRY_POINTS names callables that are gone"
    # the package's own __all__ re-exports only what the submodules' tables cover
    for name in applepay_crypto.__all__:
        value = getattr(applepay_crypto, name)
        if callable(value) and not (isinstance(value, type) and issubclass(value, Exception)):
            home = value.__module__.removeprefix("applepay_crypto.")
            assert f"{home}.{name}" in ENTRY_POINTS, name


@pytest.fixture(scope="module")
def world(authority: TestAuthority, ec_merchant: TestMerchant) -> Any:
    with tempfile.TemporaryDirectory() as directory:
        trust = authority.trust_store()
        yield World(
            key=ec_merchant.merchant_key,
            decryptor=TokenDecryptor(ec_merchant.merchant_key, trust=trust),
            trust=trust,
            directory=Path(directory),
        )


INPUT_ENTRIES = sorted(name for name, entry in ENTRY_POINTS.items() if isinstance(entry, Entry))


@pytest.mark.parametrize("name", INPUT_ENTRIES)
@fuzz_settings(40)
@given(data=st.data())
def test_hostile_input_ends_in_an_applepay_error(world: World, name: str, data: Any) -> None:
    entry = ENTRY_POINTS[name]
    assert isinstance(entry, Entry)
    value = data.draw(entry.values, label="value")
    try:
        entry.call(world, value)
    except ApplePayError as exc:
        assert exc.code and exc.code != "internal_error", exc.code
        assert isinstance(exc.message, str)
        exc.message.encode("utf-8")  # printable: no surrogate echoed back


@pytest.mark.parametrize(
    "value",
    [None, True, False, [], 1, 1.5, [{"version": "EC_v1"}], {"token": None}, {"paymentData": []}],
    ids=repr,
)
def test_parsed_json_that_is_not_an_object(world: World, value: Any) -> None:
    """The review's example: a framework hands over parsed JSON (README: 'as a dict')."""
    for call in (parse_token, world.decryptor.decrypt, world.decryptor.verify):
        with pytest.raises(ApplePayError) as caught:
            call(value)
        assert caught.value.code == "malformed_token"
