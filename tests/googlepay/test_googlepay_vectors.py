"""Every unseal vector of ../shared/vectors/googlepay (141) and its KDF vector, through the
library: the expected plaintext byte for byte, or the expected refusal with its exact code.

The vectors' README names error classes; ERROR_CODES maps each to this library's code. Where
a class covers several checks (``decrypt``, ``protocol_version``), CAUSES names the finer
code of the vectors that reach another one.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from googlepay_support import (
    GOOGLEPAY_VECTORS,
    load_vector,
    recipient_for,
    vector_ids,
    vector_now,
)

from googlepay_crypto import GooglePayError, PaymentData
from googlepay_crypto.decryption import KEY_SIZES, decrypt, derive_keys

from support import require_shared

#: The README's error classes, and the code this library gives for each.
ERROR_CODES = {
    "json": "invalid_json",
    "format": "malformed_token",
    "protocol_version": "protocol_version_mismatch",
    "no_root_keys": "no_root_keys",
    "intermediate_signature": "intermediate_signature_invalid",
    "intermediate_expired": "intermediate_key_expired",
    "signature": "signature_invalid",
    "decrypt": "tag_mismatch",
    "message_expired": "message_expired",
}

#: Vectors whose class holds a finer check than the class's usual one.
CAUSES = {
    "tink/ecv1-protocolversion-float.json": "unsupported_protocol_version",
    "tink/ecv1-protocolversion-int.json": "unsupported_protocol_version",
    "generated/ecv2/tampered-ephemeral-key-compressed.json": "invalid_ephemeral_key",
    "generated/ecv2/tampered-ephemeral-key-off-curve.json": "invalid_ephemeral_key",
    "generated/ecv2/tampered-extra-payload-member.json": "malformed_encrypted_message",
    "generated/ecv2/tampered-payload-missing-tag.json": "malformed_encrypted_message",
}

#: The ``decrypt`` class is one family: every code of it is a DecryptionFailedError.
DECRYPT_FAMILY = {"tag_mismatch", "invalid_ephemeral_key", "malformed_encrypted_message"}


def test_every_vector_is_found() -> None:
    require_shared(GOOGLEPAY_VECTORS)
    assert len(vector_ids()) == 141


@pytest.mark.parametrize("name", vector_ids())
def test_vector(name: str) -> None:
    vector = load_vector(name)
    recipient = recipient_for(vector)
    now = vector_now(vector)
    expected = vector["expected"]
    if "plaintext" in expected:
        assert recipient.unseal_plaintext(vector["token"], now=now) == expected["plaintext"]
        # verify() agrees without decrypting (and without needing the merchant key).
        verified = recipient.verify(vector["token"], now=now)
        assert verified.protocol_version == vector["protocol_version"]
        if vector["protocol_version"] == "ECv2SigningOnly":
            assert verified.message == expected["plaintext"]
        return
    code = CAUSES.get(name, ERROR_CODES[expected["error"]])
    with pytest.raises(GooglePayError) as caught:
        recipient.unseal_plaintext(vector["token"], now=now)
    assert caught.value.code == code, caught.value.message
    if expected["error"] == "decrypt":
        assert code in DECRYPT_FAMILY


def _payment_vectors() -> list[str]:
    names = []
    for name in vector_ids():
        if name == "(absent)":
            return [name]
        expected = load_vector(name)["expected"]
        details = expected.get("plaintext_json", {})
        if isinstance(details, dict) and details.get("paymentMethod") == "CARD":
            names.append(name)
    return names


@pytest.mark.parametrize("name", _payment_vectors())
def test_payment_vectors_give_the_typed_payload(name: str) -> None:
    vector = load_vector(name)
    payment = recipient_for(vector).unseal(vector["token"], now=vector_now(vector))
    doc = vector["expected"]["plaintext_json"]
    details = doc["paymentMethodDetails"]
    assert isinstance(payment, PaymentData)
    assert payment.plaintext == vector["expected"]["plaintext"]
    assert payment.to_dict() == doc
    assert payment.pan == details["pan"]
    assert (payment.expiration_month, payment.expiration_year) == (
        details["expirationMonth"],
        details["expirationYear"],
    )
    assert payment.auth_method == details["authMethod"]
    assert payment.cryptogram == details.get("cryptogram")
    assert payment.eci_indicator == details.get("eciIndicator")
    assert payment.message_id == doc["messageId"]
    assert details["pan"] not in repr(payment)
    if payment.cryptogram:
        assert payment.cryptogram not in repr(payment)
        assert payment.cryptogram not in json.dumps(payment.masked_dict())


def test_kdf_vector() -> None:
    """Google's .NET KeyDerivationTest / TagVerificationTest / MessageDecryptionTest values:
    one 32-byte HKDF output split 16 + 16 for ECv1."""
    vector = json.loads(
        require_shared(GOOGLEPAY_VECTORS / "external/google-dotnet/kdf-ecv1.json").read_text()
    )
    merchant = load_pem_private_key(vector["recipient_private_key_pem"].encode(), None)
    assert isinstance(merchant, ec.EllipticCurvePrivateKey)
    point = base64.b64decode(vector["ephemeral_public_key"])
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    aes_key, mac_key = derive_keys(point, merchant.exchange(ec.ECDH(), peer), KEY_SIZES["ECv1"])
    assert aes_key.hex().upper() == vector["expected"]["aes_key_hex"]
    assert mac_key.hex().upper() == vector["expected"]["mac_key_hex"]
    signed_message = json.dumps(
        {
            "encryptedMessage": vector["encrypted_message"],
            "ephemeralPublicKey": vector["ephemeral_public_key"],
            "tag": vector["expected"]["tag"],
        }
    )
    from googlepay_crypto.keys import InProcessKeyAgreement

    plaintext = decrypt(signed_message, "ECv1", [InProcessKeyAgreement(merchant)])
    assert plaintext == vector["expected"]["plaintext"]
