"""googlepay_crypto.testing: minted tokens of each protocol open through Recipient to the
exact payload, and the independent sealer of tests/googlepay_support.py agrees (the same
root and intermediate keys, both tokens open)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from googlepay_support import DAY_MS, NOW, NOW_MS
from googlepay_support import Sealer as IndependentSealer

from googlepay_crypto import (
    CardPaymentData,
    IntermediateSignatureError,
    NetworkTokenPaymentData,
    Recipient,
    SignatureInvalidError,
    TagMismatchError,
)
from googlepay_crypto.testing import IntermediateKey, Sealer, TestRootKeys, seal, tamper

RECIPIENT = "merchant:12345678901234567890"
VERSIONS = ("ECv1", "ECv2", "ECv2SigningOnly")


def _payload(network_token: bool = False) -> dict[str, Any]:
    details: dict[str, Any] = {
        "pan": "4111111111111111",
        "expirationMonth": 12,
        "expirationYear": 2030,
        "authMethod": "PAN_ONLY",
    }
    if network_token:
        details.update(authMethod="CRYPTOGRAM_3DS", cryptogram="AAAAtest", eciIndicator="05")
    return {
        "gatewayMerchantId": "shop-1",
        "messageId": "AH2E-minted-1",
        "paymentMethod": "CARD",
        "paymentMethodDetails": details,
    }


@pytest.fixture(scope="module")
def roots() -> TestRootKeys:
    return TestRootKeys.create()


@pytest.fixture(scope="module")
def merchant() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _sealer(roots: TestRootKeys, version: str) -> Sealer:
    intermediate = None if version == "ECv1" else IntermediateKey.create(NOW_MS + DAY_MS)
    return Sealer(roots, RECIPIENT, version, intermediate)


def _recipient(roots: TestRootKeys, version: str, *keys: ec.EllipticCurvePrivateKey) -> Recipient:
    return Recipient(
        RECIPIENT,
        root_keys=roots.root_signing_keys(),
        private_keys=list(keys),
        protocol_version=version,
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("network_token", [False, True])
def test_minted_token_unseals_to_the_exact_payload(
    roots: TestRootKeys, merchant: ec.EllipticCurvePrivateKey, version: str, network_token: bool
) -> None:
    sealer = _sealer(roots, version)
    token = sealer.seal(
        _payload(network_token), merchant.public_key(), message_expiration_ms=NOW_MS + 60_000
    )
    expected = json.dumps(
        {**_payload(network_token), "messageExpiration": str(NOW_MS + 60_000)},
        separators=(",", ":"),
    )
    recipient = _recipient(roots, version, merchant)
    assert recipient.unseal_plaintext(token, now=NOW) == expected
    payment = recipient.unseal(token, now=NOW)
    assert type(payment) is (NetworkTokenPaymentData if network_token else CardPaymentData)
    assert payment.pan == "4111111111111111"


@pytest.mark.parametrize("version", VERSIONS)
def test_text_payload_and_seal_function(
    roots: TestRootKeys, merchant: ec.EllipticCurvePrivateKey, version: str
) -> None:
    intermediate = None if version == "ECv1" else IntermediateKey.create(NOW_MS + DAY_MS)
    text = f'{{"messageExpiration":"{NOW_MS + 1}","note":"caf\u00e9"}}'
    token = seal(
        text,
        roots=roots,
        recipient_id=RECIPIENT,
        merchant_public_key=merchant.public_key(),
        protocol_version=version,
        intermediate=intermediate,
    )
    assert _recipient(roots, version, merchant).unseal_plaintext(token, now=NOW) == text


@pytest.mark.parametrize("version", VERSIONS)
def test_independent_sealer_agrees(merchant: ec.EllipticCurvePrivateKey, version: str) -> None:
    """Both sealers with one root and one intermediate key: the library opens both."""
    independent = IndependentSealer.generated(protocol_version=version)
    roots = TestRootKeys.create((version,))
    roots = TestRootKeys(
        tuple(
            type(k)(independent.root, k.protocol_version, k.key_expiration_ms) for k in roots.keys
        )
    )
    mine = Sealer(
        roots, RECIPIENT, version, IntermediateKey(independent.intermediate, NOW_MS + DAY_MS)
    )
    message = f'{{"messageExpiration":"{NOW_MS + 1}","paymentMethod":"CARD"}}'
    recipient = _recipient(roots, version, merchant)
    theirs = independent.seal(message, merchant.public_key())
    assert recipient.unseal_plaintext(theirs, now=NOW) == message
    assert recipient.unseal_plaintext(mine.seal(message, merchant.public_key()), now=NOW) == message
    if version != "ECv1":  # same keys, same signedKey text: the sealers agree on it
        assert (
            json.loads(theirs)["intermediateSigningKey"]["signedKey"]
            == (mine.intermediate_signing_key()["signedKey"])
        )


def test_tamper_helpers_give_their_codes(
    roots: TestRootKeys, merchant: ec.EllipticCurvePrivateKey
) -> None:
    sealer = _sealer(roots, "ECv2")
    token = sealer.seal_dict(_payload(), merchant.public_key(), message_expiration_ms=NOW_MS + 1)
    recipient = _recipient(roots, "ECv2", merchant)
    cases = [
        (tamper.with_signed_message_char(token, 5), SignatureInvalidError),
        (tamper.with_signature_byte(token, 40), SignatureInvalidError),
        (tamper.with_signed_key_char(token, 5), IntermediateSignatureError),
        (tamper.with_intermediate_signature_byte(token, 40), IntermediateSignatureError),
        (tamper.with_tag_byte(sealer, token, 3), TagMismatchError),
    ]
    for changed, error in cases:
        with pytest.raises(error):
            recipient.unseal_plaintext(tamper.dumps(changed), now=NOW)
