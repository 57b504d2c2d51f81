"""Every public callable of googlepay_crypto that takes outside input refuses hostile input
with a GooglePayError (and its code), never another exception.

ENTRY_POINTS names every public callable (each public module's ``__all__``): either how it
is fed a hostile value, or why it takes no outside input. A new public callable that is in
neither fails ``test_every_public_callable_is_covered``. Same rules as
test_public_entry_points.py (applepay_crypto).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import pkgutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fuzz_support import fuzz_settings
from googlepay_support import NOW, NOW_MS, Sealer, payment_message
from hostile import hostile_bytes, hostile_inputs, hostile_text, json_texts
from hypothesis import given
from hypothesis import strategies as st

import googlepay_crypto
from googlepay_crypto import (
    GooglePayError,
    PaymentData,
    Recipient,
    RootKeyFetcher,
    load_merchant_key,
    load_root_keys,
    parse_root_keys,
    read_merchant_key,
)
from googlepay_crypto.decryption import decrypt, parse_encrypted_message
from googlepay_crypto.describe import describe_token
from googlepay_crypto.errors import error_class
from googlepay_crypto.keys import InProcessKeyAgreement
from googlepay_crypto.message import check_message_expiration, message_expiration, parsed_message
from googlepay_crypto.payment_data import PAYMENT_DATA, parse_payment_data
from googlepay_crypto.results import message_kind, shown_message
from googlepay_crypto.root_keys import cache_lifetime
from googlepay_crypto.signatures import load_p256_public_key, parse_signed_key
from googlepay_crypto.token import check_protocol_version, parse_token

#: Token-shaped text: valid tokens of every version, and hostile values in their members.
_SEALERS = {v: Sealer.generated(protocol_version=v) for v in ("ECv1", "ECv2", "ECv2SigningOnly")}
_MERCHANT = ec.generate_private_key(ec.SECP256R1())


@dataclass
class World:
    recipients: dict[str, Recipient]
    directory: Path

    def file(self, value: Any) -> Path:
        path = self.directory / "input"
        path.write_bytes(as_bytes(value))
        return path


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return repr(value).encode("utf-8", "surrogatepass")[:100_000]


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else as_bytes(value).decode("utf-8", "replace")


@dataclass(frozen=True)
class Entry:
    values: st.SearchStrategy[Any]
    call: Callable[[World, Any], Any]


def _recipient(world: World, value: Any) -> None:
    for recipient in world.recipients.values():
        for call in (recipient.unseal, recipient.unseal_plaintext, recipient.verify):
            with contextlib.suppress(GooglePayError):
                call(value, now=NOW)
    Recipient(value, root_keys=value, private_keys=value, protocol_version=value)


def _payment(world: World, value: Any) -> None:
    payment = PaymentData.from_json(value)
    repr(payment), payment.masked_dict(), payment.to_dict()


RESULT = "a result or record type the library builds, not an input"
TYPED = "takes values the library checked already (parsed tokens, keys, bytes it decoded)"

#: Headers as a server may send them: any text, names and values.
headers = st.dictionaries(
    st.one_of(hostile_text, st.sampled_from(["Cache-Control", "Age", "Expires", "Date"])),
    st.one_of(
        hostile_text,
        st.sampled_from(["max-age=", "max-age=99999999999999", "no-store", "Thu, 01 Jan 2026"]),
    ),
    max_size=4,
)

ENTRY_POINTS: dict[str, Entry | str] = {
    "recipient.Recipient": Entry(hostile_inputs, _recipient),
    "results.VerifiedToken": RESULT,
    "results.UnsealedToken": RESULT,
    "results.message_kind": Entry(json_texts, lambda w, v: message_kind(v)),
    "results.shown_message": Entry(
        json_texts, lambda w, v: [shown_message(v, reveal=r) for r in (False, True)]
    ),
    "describe.describe_token": Entry(
        st.one_of(hostile_inputs, st.deferred(lambda: _token_members())),
        lambda w, v: describe_token(v),
    ),
    "payment_data.PaymentData": Entry(hostile_inputs, _payment),
    "payment_data.CardPaymentData": "built by parse_payment_data (covered)",
    "payment_data.NetworkTokenPaymentData": "built by parse_payment_data (covered)",
    "payment_data.parse_payment_data": Entry(hostile_inputs, lambda w, v: parse_payment_data(v)),
    "payment_data.PAYMENT_DATA": Entry(hostile_inputs, lambda w, v: PAYMENT_DATA(v)),
    "root_keys.parse_root_keys": Entry(hostile_inputs, lambda w, v: parse_root_keys(v)),
    "root_keys.load_root_keys": Entry(hostile_bytes, lambda w, v: load_root_keys(w.file(v))),
    "root_keys.RootKeyFetcher": Entry(
        st.one_of(hostile_inputs, st.builds(lambda t: "https://" + t, hostile_text)),
        lambda w, v: RootKeyFetcher(v),
    ),
    "root_keys.cache_lifetime": Entry(headers, lambda w, v: cache_lifetime(v)),
    "root_keys.RootSigningKey": RESULT,
    "root_keys.RootSigningKeys": RESULT,
    "root_keys.RootKeySource": "a protocol: RootSigningKeys and RootKeyFetcher are covered",
    "keys.load_merchant_key": Entry(hostile_inputs, lambda w, v: load_merchant_key(v)),
    "keys.read_merchant_key": Entry(hostile_bytes, lambda w, v: read_merchant_key(w.file(v))),
    "token.parse_token": Entry(
        hostile_inputs, lambda w, v: [parse_token(v, x) for x in ("ECv1", "ECv2")]
    ),
    "token.check_protocol_version": Entry(
        hostile_inputs, lambda w, v: check_protocol_version(v, "ECv2")
    ),
    "token.ParsedToken": RESULT,
    "token.IntermediateSigningKey": RESULT,
    "signatures.parse_signed_key": Entry(json_texts, lambda w, v: parse_signed_key(v)),
    "signatures.load_p256_public_key": Entry(hostile_text, lambda w, v: load_p256_public_key(v)),
    "signatures.verifies_under_any": TYPED,
    "signatures.length_value": TYPED,
    "signatures.intermediate_signed_bytes": TYPED,
    "signatures.message_signed_bytes": TYPED,
    "signatures.SignedKey": RESULT,
    "decryption.parse_encrypted_message": Entry(
        json_texts, lambda w, v: parse_encrypted_message(v)
    ),
    "decryption.decrypt": Entry(
        json_texts, lambda w, v: decrypt(v, "ECv2", [InProcessKeyAgreement(_MERCHANT)])
    ),
    "decryption.derive_keys": TYPED,
    "decryption.EncryptedMessage": RESULT,
    "decryption.KeySizes": RESULT,
    "message.message_expiration": Entry(json_texts, lambda w, v: message_expiration(v)),
    "message.parsed_message": Entry(json_texts, lambda w, v: parsed_message(v)),
    "message.check_message_expiration": Entry(
        json_texts, lambda w, v: check_message_expiration(v, NOW_MS)
    ),
    "errors.error_class": Entry(hostile_text, lambda w, v: error_class(v)),
}

EXEMPT_MODULES = {
    "testing": "the test minter and recorder: their inputs are the test author's",
    "cli": "the command line: walked by the googlepay CLI hostile-input tests",
}


def public_callables() -> set[str]:
    names = set()
    for info in pkgutil.walk_packages(googlepay_crypto.__path__, "googlepay_crypto."):
        short = info.name.removeprefix("googlepay_crypto.")
        if any(part.startswith("_") for part in short.split(".")):
            continue
        if short.split(".")[0] in EXEMPT_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if (callable(value) and getattr(value, "__module__", "") == info.name) or (
                callable(value) and name.isupper()
            ):
                names.add(f"{short}.{name}")
    return {n for n in names if not _is_error(n)}


def _is_error(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    value = getattr(importlib.import_module(f"googlepay_crypto.{module}"), name)
    return isinstance(value, type) and issubclass(value, BaseException)


def test_every_public_callable_is_covered() -> None:
    found = public_callables()
    assert found - set(ENTRY_POINTS) == set(), "public callables with no entry in ENTRY_POINTS"
    assert set(ENTRY_POINTS) - found == set(), "ENTRY_POINTS names callables that are gone"
    for name in googlepay_crypto.__all__:
        value = getattr(googlepay_crypto, name)
        if callable(value) and not (isinstance(value, type) and issubclass(value, Exception)):
            home = value.__module__.removeprefix("googlepay_crypto.")
            if home.startswith("applepay_crypto"):
                continue  # re-exported from applepay_crypto's public API (its own table)
            assert f"{home}.{name}" in ENTRY_POINTS, name


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory() as directory:
        yield World(
            recipients={v: s.recipient(_MERCHANT) for v, s in _SEALERS.items()},
            directory=Path(directory),
        )


INPUT_ENTRIES = sorted(name for name, entry in ENTRY_POINTS.items() if isinstance(entry, Entry))


@pytest.mark.parametrize("name", INPUT_ENTRIES)
@fuzz_settings(40)
@given(data=st.data())
def test_hostile_input_ends_in_a_googlepay_error(world: World, name: str, data: Any) -> None:
    entry = ENTRY_POINTS[name]
    assert isinstance(entry, Entry)
    value = data.draw(entry.values, label="value")
    try:
        entry.call(world, value)
    except GooglePayError as exc:
        assert exc.code and exc.code != "internal_error", exc.code
        exc.message.encode("utf-8")  # printable: no surrogate echoed back


def _token_members() -> st.SearchStrategy[str]:
    """A valid token with one member replaced by a hostile JSON value."""
    import json

    from hostile import json_values

    def build(version: str, member: str, value: Any) -> str:
        sealer = _SEALERS[version]
        token = json.loads(sealer.seal(payment_message(), _MERCHANT.public_key()))
        if member.startswith("isk.") and "intermediateSigningKey" in token:
            token["intermediateSigningKey"][member[4:]] = value
        else:
            token[member] = value
        return json.dumps(token)

    return st.builds(
        build,
        st.sampled_from(sorted(_SEALERS)),
        st.sampled_from(
            [
                "protocolVersion",
                "signature",
                "signedMessage",
                "intermediateSigningKey",
                "isk.signedKey",
                "isk.signatures",
            ]
        ),
        json_values,
    )


@fuzz_settings(120)
@given(token=_token_members())
def test_hostile_members_end_in_a_googlepay_error(world: World, token: str) -> None:
    for version, recipient in world.recipients.items():
        try:
            recipient.unseal(token, now=NOW)
        except GooglePayError as exc:
            assert exc.code != "internal_error"
        try:
            recipient.verify(token, now=NOW + dt.timedelta(days=400))
        except GooglePayError as exc:
            assert exc.code != "internal_error"
