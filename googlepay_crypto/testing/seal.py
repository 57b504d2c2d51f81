"""Seal Google Pay payment method tokens as Google does (ECv1, ECv2, ECv2SigningOnly).

Protocol facts (Tink ``PaymentMethodTokenSender`` / ``PaymentMethodTokenHybridEncrypt``;
../shared/vectors/googlepay/README.md): signatures are ECDSA P-256 / SHA-256, DER, over
length-prefixed strings (4-byte little-endian UTF-8 length, then the bytes); the root key
signs ``senderId || protocolVersion || signedKey``; the intermediate key (ECv1: the root
key) signs ``senderId || recipientId || protocolVersion || signedMessage``. Encryption is
ECDH P-256 with an ephemeral key, HKDF-SHA256 (salt empty, info "Google") over
``ephemeral point || shared secret``, AES-CTR (zero IV) and HMAC-SHA256 over the ciphertext;
the keys are 16 + 16 bytes for ECv1 and 32 + 32 for ECv2.

:class:`Sealer` keeps its keys, so a caller may edit a token's parts and sign them again:
that is how negative vectors reach the decryption checks (see :mod:`.tamper`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..signatures import intermediate_signed_bytes, message_signed_bytes
from .keys import IntermediateKey, TestRootKeys

__all__ = ["GOOGLE", "Sealer", "encrypt_message", "payload_text", "seal"]

GOOGLE = "Google"
_SIZES = {"ECv1": (16, 16), "ECv2": (32, 32)}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    """Base64 DER ECDSA P-256 / SHA-256 signature."""
    return _b64(key.sign(data, ec.ECDSA(hashes.SHA256())))


def payload_text(payload: Mapping[str, Any] | str, message_expiration_ms: int | None) -> str:
    """The message text: a dict serialized compactly (``messageExpiration`` set when given),
    or text as is (which must then carry its own expiration, if any)."""
    if isinstance(payload, str):
        if message_expiration_ms is not None:
            raise ValueError("give messageExpiration inside a text payload, or pass a dict")
        return payload
    document = dict(payload)
    if message_expiration_ms is not None:
        document["messageExpiration"] = str(message_expiration_ms)
    return _compact(document)


def encrypt_message(
    plaintext: bytes,
    merchant_public_key: ec.EllipticCurvePublicKey,
    protocol_version: str = "ECv2",
    *,
    ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
) -> dict[str, str]:
    """signedMessage's members (``encryptedMessage``, ``ephemeralPublicKey``, ``tag``)."""
    aes_len, mac_len = _SIZES[protocol_version]
    ephemeral = ephemeral_key or ec.generate_private_key(ec.SECP256R1())
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ephemeral.exchange(ec.ECDH(), merchant_public_key)
    okm = HKDF(hashes.SHA256(), aes_len + mac_len, salt=None, info=b"Google").derive(point + shared)
    encryptor = Cipher(algorithms.AES(okm[:aes_len]), modes.CTR(bytes(16))).encryptor()
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    mac = hmac.HMAC(okm[aes_len:], hashes.SHA256())
    mac.update(ciphertext)
    return {
        "encryptedMessage": _b64(ciphertext),
        "ephemeralPublicKey": _b64(point),
        "tag": _b64(mac.finalize()),
    }


@dataclass(frozen=True)
class Sealer:
    """Google's side for one recipient id and protocol version, under test root keys."""

    roots: TestRootKeys
    recipient_id: str
    protocol_version: str = "ECv2"
    #: Required for ECv2 and ECv2SigningOnly; ignored for ECv1.
    intermediate: IntermediateKey | None = None
    sender_id: str = GOOGLE

    def _intermediate(self) -> IntermediateKey:
        if self.intermediate is None:
            raise ValueError(f"{self.protocol_version} needs an intermediate signing key")
        return self.intermediate

    def intermediate_signing_key(self) -> dict[str, Any]:
        """``{"signedKey", "signatures"}``, signed by the version's root key."""
        signed_key = self._intermediate().signed_key()
        root = self.roots.signing_key(self.protocol_version)
        signed = intermediate_signed_bytes(self.sender_id, self.protocol_version, signed_key)
        return {"signedKey": signed_key, "signatures": [sign(root, signed)]}

    def sign_message(self, signed_message: str) -> str:
        """The message signature over ``signed_message`` for this recipient."""
        key = (
            self.roots.signing_key("ECv1")
            if self.protocol_version == "ECv1"
            else self._intermediate().private_key
        )
        signed = message_signed_bytes(
            self.sender_id, self.recipient_id, self.protocol_version, signed_message
        )
        return sign(key, signed)

    def token_for(self, signed_message: str) -> dict[str, Any]:
        """The token as a dict (Google's member order), every signature right."""
        token: dict[str, Any] = {"signature": self.sign_message(signed_message)}
        if self.protocol_version != "ECv1":
            token["intermediateSigningKey"] = self.intermediate_signing_key()
        token["protocolVersion"] = self.protocol_version
        token["signedMessage"] = signed_message
        return token

    def signed_message_for(
        self, message: str | bytes, merchant_public_key: ec.EllipticCurvePublicKey | None
    ) -> str:
        data = message.encode("utf-8") if isinstance(message, str) else message
        if self.protocol_version == "ECv2SigningOnly":
            return data.decode("utf-8")
        if merchant_public_key is None:
            raise ValueError(f"{self.protocol_version} tokens need the merchant public key")
        return _compact(encrypt_message(data, merchant_public_key, self.protocol_version))

    def seal_dict(
        self,
        payload: Mapping[str, Any] | str,
        merchant_public_key: ec.EllipticCurvePublicKey | None = None,
        *,
        message_expiration_ms: int | None = None,
    ) -> dict[str, Any]:
        """A token as a dict, to edit before :func:`.tamper.dumps`."""
        message = payload_text(payload, message_expiration_ms)
        return self.token_for(self.signed_message_for(message, merchant_public_key))

    def seal(
        self,
        payload: Mapping[str, Any] | str,
        merchant_public_key: ec.EllipticCurvePublicKey | None = None,
        *,
        message_expiration_ms: int | None = None,
    ) -> str:
        """The token's JSON text."""
        return _compact(
            self.seal_dict(
                payload, merchant_public_key, message_expiration_ms=message_expiration_ms
            )
        )


def seal(
    payload: Mapping[str, Any] | str,
    *,
    roots: TestRootKeys,
    recipient_id: str,
    merchant_public_key: ec.EllipticCurvePublicKey | None = None,
    protocol_version: str = "ECv2",
    intermediate: IntermediateKey | None = None,
    message_expiration_ms: int | None = None,
    sender_id: str = GOOGLE,
) -> str:
    """One token's JSON text; see :class:`Sealer`."""
    sealer = Sealer(roots, recipient_id, protocol_version, intermediate, sender_id)
    return sealer.seal(payload, merchant_public_key, message_expiration_ms=message_expiration_ms)
