"""RSA_v1: unwrap the AES key with RSA-OAEP (SHA-256, MGF1-SHA-256), then AES-128-GCM."""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionFailedError, TagMismatchError

__all__ = ["OAEP_PADDING", "decrypt", "unwrap_key"]

ZERO_IV = bytes(16)
OAEP_PADDING = padding.OAEP(
    mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


def unwrap_key(private_key: rsa.RSAPrivateKey, wrapped_key: bytes) -> bytes:
    # Review (#11): the wrapped key is exactly one RSA block of this key, so its boundary
    # with data (concatenated without a length under the messageDigest) cannot move.
    if len(wrapped_key) != (private_key.key_size + 7) // 8:
        raise DecryptionFailedError(
            f"header.wrappedKey is {len(wrapped_key)} bytes; this {private_key.key_size}-bit "
            f"key wraps to {(private_key.key_size + 7) // 8}"
        )
    try:
        key = private_key.decrypt(wrapped_key, OAEP_PADDING)
    except ValueError:
        # One message for every OAEP failure: no padding oracle.
        raise DecryptionFailedError(
            "RSA-OAEP could not unwrap header.wrappedKey with this key"
        ) from None
    if len(key) != 16:
        raise DecryptionFailedError("the unwrapped key is not a 128-bit AES key")
    return key


def decrypt(data: bytes, wrapped_key: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    try:
        return AESGCM(unwrap_key(private_key, wrapped_key)).decrypt(ZERO_IV, data, None)
    except InvalidTag:
        # The key unwrapped (OAEP checks its own integrity): the data is not the data
        # encrypted under it.
        raise TagMismatchError(
            "AES-GCM rejected the data (tag mismatch) with the unwrapped key: the data was "
            "altered, or does not belong to this wrappedKey"
        ) from None
