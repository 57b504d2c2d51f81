"""ECv1 / ECv2 decryption: ECIES-KEM with HKDF-SHA256, AES-CTR and HMAC-SHA256.

Tink ``PaymentMethodTokenHybridDecrypt`` and ``PaymentMethodTokenRecipientKem``:

- signedMessage holds exactly ``encryptedMessage``, ``ephemeralPublicKey`` and ``tag``, base64;
- ``ephemeralPublicKey`` is an uncompressed P-256 point (65 bytes, 0x04 first);
- HKDF-SHA256 over ``ephemeralPublicKey || ECDH shared secret``, empty salt (RFC 5869: 32
  zero bytes), info ``"Google"`` for every version; the output is the AES key, then the MAC
  key: 16 + 16 bytes for ECv1, 32 + 32 for ECv2;
- the tag is HMAC-SHA256(MAC key, ciphertext), checked in constant time *before* decrypting;
- AES-CTR with a zero IV (each key is used once).

With several merchant keys (rotation) or key holders, each is tried in turn until a tag
matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from applepay_crypto.keys import KeyAgreement

from . import _base64
from ._json import loads_strict
from .errors import (
    DecryptionFailedError,
    EphemeralKeyInvalidError,
    GooglePayError,
    InvalidJsonError,
    KeyOperationError,
    MalformedEncryptedMessageError,
    TagMismatchError,
)

__all__ = [
    "HKDF_INFO",
    "KEY_SIZES",
    "EncryptedMessage",
    "KeySizes",
    "decrypt",
    "derive_keys",
    "parse_encrypted_message",
]

#: Tink ``GOOGLE_CONTEXT_INFO_ECV1``, used by every version.
HKDF_INFO = b"Google"
_ZERO_IV = bytes(16)
_P256 = ec.SECP256R1()
_UNCOMPRESSED_POINT_BYTES = 65
_MEMBERS = frozenset({"encryptedMessage", "ephemeralPublicKey", "tag"})
#: A payload far larger than any Google sends (a few hundred bytes) is refused unread.
MAX_CIPHERTEXT_BYTES = 64 * 1024


@dataclass(frozen=True)
class KeySizes:
    aes_key: int
    mac_key: int


#: Tink ``PaymentMethodTokenConstants`` / ``ProtocolVersionConfig``.
KEY_SIZES = {"ECv1": KeySizes(16, 16), "ECv2": KeySizes(32, 32)}


@dataclass(frozen=True)
class EncryptedMessage:
    ciphertext: bytes
    ephemeral_public_key: bytes
    tag: bytes


def _member(value: dict[str, object], name: str) -> bytes:
    item = value[name]
    data = _base64.decode(item) if isinstance(item, str) else None
    if data is None:
        raise MalformedEncryptedMessageError(f"signedMessage.{name} is not a base64 string")
    return data


def parse_encrypted_message(signed_message: str) -> EncryptedMessage:
    """signedMessage of ECv1 / ECv2: exactly the three base64 members."""
    value = loads_strict(signed_message, InvalidJsonError, "signedMessage")
    if not isinstance(value, dict) or value.keys() != _MEMBERS:
        raise MalformedEncryptedMessageError(
            "signedMessage must be a JSON object of exactly encryptedMessage, "
            "ephemeralPublicKey and tag"
        )
    ciphertext = value["encryptedMessage"]
    if isinstance(ciphertext, str) and len(ciphertext) > MAX_CIPHERTEXT_BYTES * 2:
        raise MalformedEncryptedMessageError(
            f"signedMessage.encryptedMessage is larger than {MAX_CIPHERTEXT_BYTES} bytes"
        )
    return EncryptedMessage(
        ciphertext=_member(value, "encryptedMessage"),
        ephemeral_public_key=_member(value, "ephemeralPublicKey"),
        tag=_member(value, "tag"),
    )


def _ephemeral_key(data: bytes) -> ec.EllipticCurvePublicKey:
    if len(data) != _UNCOMPRESSED_POINT_BYTES or data[0] != 0x04:
        raise EphemeralKeyInvalidError(
            "signedMessage.ephemeralPublicKey is not an uncompressed P-256 point (65 bytes, "
            "0x04 first)"
        )
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, data)
    except ValueError:
        raise EphemeralKeyInvalidError(
            "signedMessage.ephemeralPublicKey is not a point on P-256"
        ) from None


def derive_keys(
    ephemeral_public_key: bytes, shared_secret: bytes, sizes: KeySizes
) -> tuple[bytes, bytes]:
    """HKDF-SHA256(IKM = ephemeral key || shared secret, salt = zeros, info = "Google"):
    the AES key and the MAC key."""
    output = HKDF(
        algorithm=hashes.SHA256(),
        length=sizes.aes_key + sizes.mac_key,
        salt=None,
        info=HKDF_INFO,
    ).derive(ephemeral_public_key + shared_secret)
    return output[: sizes.aes_key], output[sizes.aes_key :]


def _shared_secret(holder: KeyAgreement, peer: ec.EllipticCurvePublicKey) -> bytes:
    try:
        secret = holder.exchange(peer)
    except GooglePayError:
        raise
    except Exception as exc:  # a holder's own failure (HSM, KMS): named, not quoted
        code = getattr(exc, "code", None)
        detail = f" ({code})" if isinstance(code, str) else f" ({type(exc).__name__})"
        raise KeyOperationError(
            "the merchant key's holder failed to do the key agreement" + detail
        ) from None
    if not isinstance(secret, bytes) or len(secret) != 32:
        raise KeyOperationError("the merchant key's holder returned no 32-byte shared secret")
    return secret


def _tag_matches(mac_key: bytes, ciphertext: bytes, tag: bytes) -> bool:
    mac = hmac.HMAC(mac_key, hashes.SHA256())
    mac.update(ciphertext)
    try:
        mac.verify(tag)  # constant time (cryptography's HMAC.verify)
    except InvalidSignature:
        return False
    return True


def decrypt(signed_message: str, protocol_version: str, holders: Sequence[KeyAgreement]) -> str:
    """The plaintext of an ECv1 / ECv2 signedMessage, whose signature already verified."""
    sizes = KEY_SIZES[protocol_version]
    message = parse_encrypted_message(signed_message)
    peer = _ephemeral_key(message.ephemeral_public_key)
    for holder in holders:
        aes_key, mac_key = derive_keys(
            message.ephemeral_public_key, _shared_secret(holder, peer), sizes
        )
        if not _tag_matches(mac_key, message.ciphertext, message.tag):
            continue
        decryptor = Cipher(algorithms.AES(aes_key), modes.CTR(_ZERO_IV)).decryptor()
        plaintext = decryptor.update(message.ciphertext) + decryptor.finalize()
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionFailedError("the decrypted message is not UTF-8 text") from None
    raise TagMismatchError(
        "the tag does not match under any configured merchant key: the message was altered, "
        "or it was encrypted to another key"
        if len(holders) != 1
        else "the tag does not match: the message was altered, or it was encrypted to "
        "another merchant key"
    )
