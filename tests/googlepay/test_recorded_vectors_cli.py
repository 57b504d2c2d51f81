"""The project's own recorded Google Pay vectors (vectors/googlepay/, made by
``python -m googlepay_crypto.testing.record``) through ``googlepay-crypto decrypt --json``:
each gives its recorded plaintext (with --reveal) or its recorded error code (a message
that is not a CARD payment is opened and named by its kind, as ``unseal_token`` does), exit 1 for a
refused token and 2 for a setup error, as the library does (test_recorded_vectors.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_googlepay_cli import invoke, one_error, write_key

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "googlepay"
NAMES = sorted(p.name for p in VECTORS.glob("*.json"))


def _argv(vector: dict[str, Any], base: Path) -> list[str]:
    token = base / "token.json"
    token.write_text(vector["token"], encoding="utf-8")
    keys = base / "keys.json"
    keys.write_text(vector["root_keys_json"], encoding="utf-8")
    argv = ["decrypt", str(token), "--recipient-id", vector["recipient_id"]]
    argv += ["--root-keys", str(keys), "--at", vector["now_iso"]]
    argv += ["--protocol-version", vector["protocol_version"], "--sender-id", vector["sender_id"]]
    for index, text in enumerate(vector["keys"]["merchant_private_keys_pem"]):
        argv += ["--key", str(write_key(base / f"key{index}.pem", text))]
    return [*argv, "--json"]


def test_the_recorded_set_is_there() -> None:
    assert len(NAMES) >= 30
    assert any(n.startswith("accept-") for n in NAMES)
    assert any(n.startswith("reject-") for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_recorded_vector_through_decrypt(name: str, tmp_path: Path) -> None:
    vector = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    argv = _argv(vector, tmp_path)
    expect = vector["expect"]
    if expect.get("error") == "malformed_payment_data" and vector["call"] == "unseal":
        # Recipient.unseal wants a CARD payment; the command, like unseal_token, opens any
        # message and says what kind it is: never shown as a payment.
        result = invoke(argv)
        assert result.exit_code == 0, result.output[-400:]
        assert json.loads(result.stdout)["message_type"] != "payment"
        return
    if "error" in expect:
        assert one_error(invoke(argv))["code"] == expect["error"]
        return
    result = invoke([*argv, "--reveal"])
    assert result.exit_code == 0, result.output[-400:]
    assert json.loads(result.stdout)["plaintext"] == expect["plaintext"]
