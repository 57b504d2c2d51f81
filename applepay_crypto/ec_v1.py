"""EC_v1: restore the symmetric key with ECDH + the NIST single-step KDF, then AES-256-GCM.

Apple, "Restoring the symmetric key": Z = ECDH(merchant key, ephemeral key) on P-256;
key = SHA-256(00000001 || Z || 0x0D || "id-aes256-GCM" || "Apple" || SHA-256(merchant id)).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from .errors import ApplePayError, KeyOperationError, MalformedTokenError, TagMismatchError
from .token import EC_V1_EPHEMERAL_KEY_BYTES, EC_V1_EPHEMERAL_KEY_PREFIX

if TYPE_CHECKING:
    from .keys import KeyAgreement

__all__ = [
    "KDF_OTHER_INFO_PREFIX",
    "agree",
    "decrypt",
    "decrypt_with_symmetric_key",
    "derive_symmetric_key",
    "restore_symmetric_key",
    "shared_secret",
]

#: AlgorithmID (length-prefixed "id-aes256-GCM") || PartyUInfo ("Apple"); PartyVInfo follows.
KDF_OTHER_INFO_PREFIX = b"\x0did-aes256-GCM" + b"Apple"
#: Apple's IV: 16 zero bytes (a fresh key per token makes a fixed IV safe).
ZERO_IV = bytes(16)
#: SubjectPublicKeyInfo of a P-256 key (id-ecPublicKey, prime256v1) up to its BIT STRING
#: contents' unused-bits byte: what precedes the 65-byte point in every Apple token.
P256_SPKI_PREFIX = EC_V1_EPHEMERAL_KEY_PREFIX[:-1]
_P256 = ec.SECP256R1()
_ECDH = ec.ECDH()


def load_ephemeral_public_key(der: bytes) -> ec.EllipticCurvePublicKey:
    """header.ephemeralPublicKey: DER SubjectPublicKeyInfo of an uncompressed P-256 point.

    Only Apple's shape (the fixed prefix and the point, 91 bytes) is accepted: review (#11),
    a variable-length encoding would let bytes move between the key and the data under the
    same messageDigest. cryptography checks that the point lies on the curve."""
    if len(der) != EC_V1_EPHEMERAL_KEY_BYTES or not der.startswith(EC_V1_EPHEMERAL_KEY_PREFIX):
        raise MalformedTokenError(
            "header.ephemeralPublicKey is not a P-256 public key in Apple's form (DER "
            "SubjectPublicKeyInfo of an uncompressed point, 91 bytes)"
        )
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, der[26:])
    except (ValueError, TypeError):
        raise MalformedTokenError("header.ephemeralPublicKey is not a point on P-256") from None


def shared_secret(private_key: ec.EllipticCurvePrivateKey, ephemeral_public_key: bytes) -> bytes:
    """Z, the 32-byte x-coordinate. cryptography returns it fixed-length, so a leading
    zero byte is kept (libraries that round-trip it through an integer fail 1 token in 256)."""
    return private_key.exchange(_ECDH, load_ephemeral_public_key(ephemeral_public_key))


def derive_symmetric_key(secret: bytes, merchant_id_hash: bytes) -> bytes:
    """NIST SP 800-56A concatenation KDF with SHA-256; party V is SHA-256(merchant id)."""
    kdf = ConcatKDFHash(
        algorithm=hashes.SHA256(), length=32, otherinfo=KDF_OTHER_INFO_PREFIX + merchant_id_hash
    )
    return kdf.derive(secret)


def agree(agreement: KeyAgreement, ephemeral_public_key: bytes) -> bytes:
    """Z through the key holder's seam. The point is checked here, before any holder sees
    it (an HSM is never asked to multiply an invalid-curve point: issue #12)."""
    peer = load_ephemeral_public_key(ephemeral_public_key)
    try:
        secret = agreement.exchange(peer)
    except ApplePayError:
        raise
    except Exception as exc:
        # A user's holder (a KMS client, a remote signer): its text may quote anything,
        # so only its type is named; the cause stays chained for the logs.
        raise KeyOperationError(
            f"the key holder failed to compute the shared secret ({type(exc).__name__})"
        ) from exc
    if len(secret) != 32:
        raise KeyOperationError(
            f"the key holder returned a {len(secret)}-byte shared secret; P-256 gives 32 bytes"
        )
    return secret


def restore_symmetric_key(
    ephemeral_public_key: bytes, agreement: KeyAgreement, merchant_id_hash: bytes
) -> bytes:
    """The token's AES-256 key: Apple's KDF over Z from the key holder."""
    return derive_symmetric_key(agree(agreement, ephemeral_public_key), merchant_id_hash)


def decrypt_with_symmetric_key(data: bytes, key: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(ZERO_IV, data, None)
    except InvalidTag:
        # Altered data and a wrongly derived key (wrong merchant id or key) fail the same
        # tag: only a verified signature tells them apart (TokenDecryptor says which).
        raise TagMismatchError(
            "AES-GCM rejected the data (tag mismatch): the data was altered, or the key was "
            "derived wrongly (the merchant id or the payment processing key is not the one "
            "the token was made for)"
        ) from None


def decrypt(
    data: bytes,
    ephemeral_public_key: bytes,
    agreement: KeyAgreement,
    merchant_id_hash: bytes,
) -> bytes:
    return decrypt_with_symmetric_key(
        data, restore_symmetric_key(ephemeral_public_key, agreement, merchant_id_hash)
    )
