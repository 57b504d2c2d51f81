"""Issue #14, item 2: ``sign`` never returns a signature PayKKa cannot verify.

PayKKa rebuilds the v1.2 string to sign from the body's top-level ``merchant_id`` and
``timestamp`` (../shared/docs/psp-signing.md). A value given to sign with that the body
does not hold (absent, or another value) is refused with ``body_field_mismatch``; every
signature returned verifies when the string is rebuilt from the body alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paykka_sign import (
    BodyFieldMismatchError,
    PaykkaSignError,
    PaykkaV12Signer,
    PaykkaV12Verifier,
)
from paykka_sign.cli import main

_ids = st.sampled_from(["M1", "M2", "18356675194960"])
_stamps = st.sampled_from([1, 1700805506000, "1700805506001"])
_absent = st.none()
_other = st.dictionaries(
    st.sampled_from(["amount", "currency", "trans_id", "data"]),
    st.one_of(st.integers(0, 10**6), st.text("abcXYZ09", max_size=8)),
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body_mid=st.one_of(_absent, _ids),
    body_ts=st.one_of(_absent, _stamps),
    given_mid=st.one_of(_absent, _ids),
    given_ts=st.one_of(_absent, _stamps),
    other=_other,
    spaced=st.booleans(),
)
def test_property_every_signature_verifies_from_the_body_alone(
    rsa_key: rsa.RSAPrivateKey,
    body_mid: str | None,
    body_ts: Any,
    given_mid: str | None,
    given_ts: Any,
    other: dict[str, Any],
    spaced: bool,
) -> None:
    doc: dict[str, Any] = dict(other)
    if body_mid is not None:
        doc["merchant_id"] = body_mid
    if body_ts is not None:
        doc["timestamp"] = body_ts
    body = json.dumps(doc, separators=(", ", ": ") if spaced else (",", ":")).encode()
    try:
        signed = PaykkaV12Signer(rsa_key).sign(body, merchant_id=given_mid, timestamp=given_ts)
    except PaykkaSignError as exc:
        mismatch = (given_mid is not None and given_mid != body_mid) or (
            given_ts is not None and str(given_ts) != (None if body_ts is None else str(body_ts))
        )
        if mismatch:
            assert exc.code == "body_field_mismatch", exc.message
        else:  # nothing given that disagrees: a field absent everywhere
            assert exc.code == "missing_field"
            assert body_mid is None or body_ts is None
        return
    assert signed.body == body  # byte for byte: the body to send
    assert body_mid is not None and body_ts is not None
    # PayKKa's side: the string rebuilt from the body only, no value given.
    verifier = PaykkaV12Verifier(rsa_key.public_key(), merchant_id=body_mid)
    assert verifier.verify(signed.headers, body).merchant_id == body_mid


def test_a_dict_body_gets_the_values_given(rsa_key: rsa.RSAPrivateKey) -> None:
    signed = PaykkaV12Signer(rsa_key).sign({"amount": 1}, merchant_id="M1", timestamp=5)
    assert json.loads(signed.body) == {"amount": 1, "merchant_id": "M1", "timestamp": 5}
    with pytest.raises(BodyFieldMismatchError):
        PaykkaV12Signer(rsa_key).sign({"merchant_id": "M2"}, merchant_id="M1", timestamp=5)


@pytest.mark.parametrize(
    ("body", "options", "field"),
    [
        (b'{"merchant_id":"M1","amount":1}', ["--timestamp", "1700805506000"], "timestamp"),
        (b'{"merchant_id":"M1","timestamp":1}', ["--timestamp", "2"], "timestamp"),
        (b'{"timestamp":1}', ["--merchant-id", "M1"], "merchant_id"),
        (b'{"merchant_id":"M2","timestamp":1}', ["--merchant-id", "M1"], "merchant_id"),
    ],
)
def test_cli_sign_refuses_values_the_body_does_not_hold(
    key_dir: Path, tmp_path: Path, body: bytes, options: list[str], field: str
) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(body)
    args = ["sign", "--key", str(key_dir / "key.pem"), "--body", str(path), *options]
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "body_field_mismatch"
    assert field in error["message"] and "PayKKa rebuilds" in error["message"]
    text = CliRunner().invoke(main, args, catch_exceptions=False)
    assert text.exit_code == 1 and "body_field_mismatch" in text.stderr


def test_cli_sign_accepts_values_equal_to_the_body(key_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b'{"merchant_id":"M1","timestamp":1700805506000}')
    args = ["sign", "--key", str(key_dir / "key.pem"), "--body", str(path),
            "--merchant-id", "M1", "--timestamp", "1700805506000"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["headers"]["version"] == "v1.2"
