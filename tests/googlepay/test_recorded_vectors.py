"""vectors/googlepay (recorded by googlepay_crypto.testing.record): every file gives its
expected plaintext or exact error code; the set covers every code a token can trigger; and
a property over minted tokens: one changed byte of signedMessage, signedKey, either
signature or the tag is refused with the code of the check it breaks."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from googlepay_support import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

from googlepay_crypto import (
    GooglePayError,
    Recipient,
    load_merchant_key,
    parse_root_keys,
)
from googlepay_crypto.testing import Sealer, tamper
from googlepay_crypto.testing.cases import NOW_MS, World, payload
from googlepay_crypto.testing.record import main, record
from googlepay_crypto.testing.vectors import FORMAT, TOKEN_UNREACHABLE_CODES

from support import REPO

VECTORS = REPO / "vectors" / "googlepay"
FILES = sorted(VECTORS.glob("*.json"))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert vector["format"] == FORMAT
    return vector


def _outcome(vector: dict[str, Any]) -> dict[str, str]:
    """Run a vector as vectors/googlepay/README.md says, without the recorder's runner."""
    recipient = Recipient(
        vector["recipient_id"],
        root_keys=parse_root_keys(vector["root_keys_json"]),
        private_keys=[load_merchant_key(p) for p in vector["keys"]["merchant_private_keys_pem"]],
        protocol_version=vector["protocol_version"],
        sender_id=vector["sender_id"],
    )
    now = EPOCH + dt.timedelta(milliseconds=vector["now"])
    try:
        if vector["call"] == "unseal":
            return {"plaintext": recipient.unseal(vector["token"], now=now).plaintext}
        return {"plaintext": recipient.unseal_plaintext(vector["token"], now=now)}
    except GooglePayError as exc:
        return {"error": exc.code}


def _all_codes() -> set[str]:
    pending: list[type[GooglePayError]] = [GooglePayError]
    codes = set()
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return codes


def test_vectors_are_present() -> None:
    names = {p.stem for p in FILES}
    assert len(names) == 35
    for version in ("ecv1", "ecv2", "ecv2signingonly"):
        assert {f"accept-{version}-card", f"accept-{version}-network-token"} <= names
    assert {"accept-ecv2-rotation-new-key", "accept-ecv2-rotation-old-key"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_recorded_vector(path: Path) -> None:
    vector = _load(path)
    assert path.stem == vector["name"]
    assert _outcome(vector) == vector["expect"]


def test_every_token_reachable_code_has_a_vector() -> None:
    recorded = {_load(p)["expect"].get("error") for p in FILES} - {None}
    every = _all_codes()
    assert set(TOKEN_UNREACHABLE_CODES) <= every
    assert recorded == every - set(TOKEN_UNREACHABLE_CODES)


def test_rotation_vectors_configure_two_keys() -> None:
    for which in ("new", "old"):
        vector = _load(VECTORS / f"accept-ecv2-rotation-{which}-key.json")
        assert len(vector["keys"]["merchant_private_keys_pem"]) == 2


def test_recorder_rerun_writes_the_same_names(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("kept\n")
    (tmp_path / "stale.json").write_text("{}\n")
    paths = record(tmp_path)
    assert sorted(p.name for p in paths) == [p.name for p in FILES]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in FILES] + ["README.md"]
    )
    for path in paths:
        assert _outcome(_load(path)) == _load(path)["expect"]


def test_recorder_usage_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


# --- the property ----------------------------------------------------------------------


@functools.cache
def _world() -> World:
    return World()


@functools.cache
def _minted(version: str) -> tuple[Sealer, dict[str, Any]]:
    w = _world()
    sealer = w.sealer(version)
    return sealer, sealer.seal_dict(payload(), w.merchant.public_key())


def _recipient(version: str) -> Recipient:
    w = _world()
    return Recipient(
        "merchant:12345678901234567890",
        root_keys=w.roots.root_signing_keys(),
        private_keys=[w.merchant],
        protocol_version=version,
    )


TARGETS = {
    "ECv1": ("signedMessage", "signature", "tag"),
    "ECv2": ("signedMessage", "signedKey", "intermediateSignature", "signature", "tag"),
    "ECv2SigningOnly": ("signedMessage", "signedKey", "intermediateSignature", "signature"),
}
CODES = {
    "signedMessage": "signature_invalid",
    "signature": "signature_invalid",
    "signedKey": "intermediate_signature_invalid",
    "intermediateSignature": "intermediate_signature_invalid",
    "tag": "tag_mismatch",
}


def _tampered(version: str, target: str, index: int, mask: int) -> dict[str, Any]:
    sealer, token = _minted(version)
    if target == "signedMessage":
        return tamper.with_signed_message_char(token, index)
    if target == "signedKey":
        return tamper.with_signed_key_char(token, index)
    if target == "intermediateSignature":
        return tamper.with_intermediate_signature_byte(token, index, mask)
    if target == "signature":
        return tamper.with_signature_byte(token, index, mask)
    return tamper.with_tag_byte(sealer, token, index)


@st.composite
def _damage(draw: st.DrawFn) -> tuple[str, str, int, int]:
    version = draw(st.sampled_from(sorted(TARGETS)))
    target = draw(st.sampled_from(TARGETS[version]))
    return version, target, draw(st.integers(0, 4096)), draw(st.integers(1, 255))


@settings(max_examples=fuzz_examples(60), deadline=None)
@given(_damage())
def test_one_changed_byte_is_refused_with_its_code(damage: tuple[str, str, int, int]) -> None:
    version, target, index, mask = damage
    token = tamper.dumps(_tampered(version, target, index, mask))
    now = EPOCH + dt.timedelta(milliseconds=NOW_MS)
    with pytest.raises(GooglePayError) as caught:
        _recipient(version).unseal_plaintext(token, now=now)
    assert caught.value.code == CODES[target]


@pytest.mark.parametrize("version", sorted(TARGETS))
def test_the_untampered_token_opens(version: str) -> None:
    _, token = _minted(version)
    now = EPOCH + dt.timedelta(milliseconds=NOW_MS)
    assert _recipient(version).unseal_plaintext(tamper.dumps(token), now=now) == payload()
