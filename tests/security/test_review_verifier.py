"""Review (#11), the verifier's classes: one genuine token must never become many
transactions (1), the validated path is exactly leaf -> OID-checked intermediate -> pinned
root (2), the signer is an end entity fit for signing and the intermediate a CA (3), and a
tag failure without a verified signature is not blamed on the merchant id (10)."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto import ApplePayError, MemoryReplayGuard, TokenDecryptor
from applepay_crypto.signature import TokenVerifier
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from applepay_crypto.token import parse_token

SIGNED_AT = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
NOW = SIGNED_AT + dt.timedelta(seconds=5)

# --- class 1: re-splits of the signed content --------------------------------------------


@dataclass(frozen=True)
class Genuine:
    """A minted token and its signed content cut at its four field boundaries."""

    token: dict[str, Any]
    material_field: str
    content: bytes
    cuts: tuple[int, int, int]  # ends of material, data, transactionId
    transaction_id: str
    application_data: bytes | None

    def resplit(self, cuts: tuple[int, int, int], *, case: str = "lower") -> dict[str, Any]:
        """The same signature over the same bytes, cut differently into the four fields."""
        a, b, c = cuts
        content = self.content
        txid = content[b:c].hex()
        if case == "upper":
            txid = txid.upper()
        elif case == "mixed":
            txid = "".join(ch.upper() if i % 2 else ch for i, ch in enumerate(txid))
        header: dict[str, Any] = {
            self.material_field: _b64(content[:a]),
            "publicKeyHash": self.token["header"]["publicKeyHash"],
            "transactionId": txid,
        }
        if c < len(content):
            header["applicationData"] = content[c:].hex()
        return {
            "version": self.token["version"],
            "data": _b64(content[a:b]),
            "signature": self.token["signature"],
            "header": header,
        }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _genuine(
    authority: TestAuthority, merchant: TestMerchant, version: str, app_data: bytes | None
) -> Genuine:
    token = mint(
        sample_payload(),
        recipient=merchant,
        authority=authority,
        version=version,
        signing_time=SIGNED_AT,
        application_data=app_data,
    )
    parsed = parse_token(token)
    material = parsed.key_material
    a = len(material)
    b = a + len(parsed.data)
    c = b + 32
    return Genuine(
        token=token,
        material_field="ephemeralPublicKey" if version == "EC_v1" else "wrappedKey",
        content=parsed.signed_content(),
        cuts=(a, b, c),
        transaction_id=parsed.transaction_id,
        application_data=app_data,
    )


@pytest.fixture(scope="module")
def genuine_tokens(
    authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> list[Genuine]:
    app_data = bytes(range(0x40, 0x60))
    return [
        _genuine(authority, ec_merchant, "EC_v1", None),
        _genuine(authority, ec_merchant, "EC_v1", app_data),
        _genuine(authority, rsa_merchant, "RSA_v1", None),
        _genuine(authority, rsa_merchant, "RSA_v1", app_data),
    ]


@pytest.fixture(scope="module")
def decryptor(
    authority: TestAuthority, ec_merchant: TestMerchant, rsa_merchant: TestMerchant
) -> TokenDecryptor:
    return TokenDecryptor(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key], trust=authority.trust_store()
    )


def _outcome(decryptor: TokenDecryptor, token: dict[str, Any]) -> Any:
    try:
        return decryptor.decrypt(token, now=NOW)
    except ApplePayError as exc:
        return exc.code


#: How a re-split may end: refused by the grammar, or its data fails AES-GCM / RSA-OAEP.
REFUSALS = {"malformed_token", "decryption_failed"}


@st.composite
def resplits(draw: st.DrawFn, count: int) -> tuple[int, tuple[int, int, int], str]:
    """Which genuine token, new cut points near the old ones (where the attacks are) or
    anywhere, and how the transactionId is spelled."""
    index = draw(st.integers(0, count - 1))
    shift = st.integers(-70, 70) | st.integers(-2000, 2000)
    moves = (draw(shift), draw(shift), draw(shift))
    case = draw(st.sampled_from(["lower", "upper", "mixed"]))
    return index, moves, case


def _cuts(genuine: Genuine, moves: tuple[int, int, int]) -> tuple[int, int, int]:
    size = len(genuine.content)
    a, b, c = (min(max(cut + move, 0), size) for cut, move in zip(genuine.cuts, moves, strict=True))
    a, b, c = sorted((a, b, c))
    return a, b, c


@fuzz_settings(250)
@given(resplits(4))
def test_every_resplit_is_refused_or_keeps_the_transaction_id(
    genuine_tokens: list[Genuine],
    decryptor: TokenDecryptor,
    draw: tuple[int, tuple[int, int, int], str],
) -> None:
    """Class 1: from one genuine token, no cut of the signed bytes into (key material, data,
    transactionId, applicationData), in any spelling, decrypts under another transaction id
    (or another applicationData): a replay guard or idempotency key sees one transaction."""
    index, moves, case = draw
    genuine = genuine_tokens[index]
    cuts = _cuts(genuine, moves)
    outcome = _outcome(decryptor, genuine.resplit(cuts, case=case))
    if isinstance(outcome, str):
        assert outcome in REFUSALS, (cuts, outcome)
    else:
        assert outcome.transaction_id == genuine.transaction_id, cuts
        assert outcome.application_data == genuine.application_data, cuts


def test_the_reviewers_31_splits_are_refused(
    genuine_tokens: list[Genuine], decryptor: TokenDecryptor
) -> None:
    """The review's example: the last 1..31 bytes of transactionId moved into a new
    applicationData decrypted under 31 new ids; each is now refused by the grammar."""
    genuine = genuine_tokens[0]
    a, b, c = genuine.cuts
    for moved in range(1, 32):
        assert _outcome(decryptor, genuine.resplit((a, b, c - moved))) == "malformed_token"
    # ... and the reverse: applicationData appended to transactionId (order binding lost).
    a, b, c = genuine_tokens[1].cuts
    assert _outcome(decryptor, genuine_tokens[1].resplit((a, b, c + 32))) == "malformed_token"


def test_signature_only_residual_is_exactly_the_documented_one(
    genuine_tokens: list[Genuine], authority: TestAuthority
) -> None:
    """With fixed widths, verify() (no decryption) accepts exactly two cuts of the signed
    bytes: the genuine one, and the one SECURITY.md names (applicationData <-> no
    applicationData, the 32 bytes before it becoming the transactionId). That second cut
    never decrypts (its data ends inside the old transactionId or lacks its tag)."""
    verifier = TokenVerifier(authority.trust_store())
    for genuine in genuine_tokens:
        a, b, c = genuine.cuts
        accepted = set()
        for new_b in range(b - 70, b + 71):
            for new_c in range(new_b, min(new_b + 70, len(genuine.content)) + 1):
                try:
                    verifier.verify(parse_token(genuine.resplit((a, new_b, new_c))), now=NOW)
                except ApplePayError:
                    continue
                accepted.add((new_b, new_c))
        size = len(genuine.content)
        if genuine.application_data is None:
            residual = (b - 32, b)  # data's last 32 bytes become the id, the id applicationData
        else:
            residual = (b + 32, size)  # the id joins data, applicationData becomes the id
        assert accepted == {(b, c), residual}, genuine.token["version"]


def test_spellings_of_one_id_are_one_transaction(
    genuine_tokens: list[Genuine], authority: TestAuthority, ec_merchant: TestMerchant
) -> None:
    guard = MemoryReplayGuard(clock=lambda: NOW)
    guarded = TokenDecryptor(
        ec_merchant.merchant_key, trust=authority.trust_store(), replay_guard=guard
    )
    genuine = genuine_tokens[0]
    upper = genuine.resplit(genuine.cuts, case="upper")
    first = guarded.decrypt(upper, now=NOW)
    assert first.transaction_id == genuine.transaction_id == genuine.transaction_id.lower()
    assert parse_token(upper).header_json()["transactionId"] == genuine.transaction_id
    assert first.to_json_dict()["transaction_id"] == genuine.transaction_id
    for case in ("lower", "mixed", "upper"):
        assert _outcome(guarded, genuine.resplit(genuine.cuts, case=case)) == (
            "replayed_transaction"
        )
    # A guard asked directly keys on the lower-case id too.
    assert guard.seen(genuine.transaction_id.upper(), SIGNED_AT) is True
