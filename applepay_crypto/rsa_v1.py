"""RSA_v1: unwrap the AES key with RSA-OAEP (SHA-256, MGF1-SHA-256), then AES-128-GCM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import ApplePayError, DecryptionFailedError, KeyOperationError, TagMismatchError

if TYPE_CHECKING:
    from .keys import KeyUnwrapper

__all__ = ["OAEP_PADDING", "decrypt", "decrypt_with_symmetric_key", "unwrap", "unwrap_key"]

ZERO_IV = bytes(16)
OAEP_PADDING = padding.OAEP(
    mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


def unwrap(unwrapper: KeyUnwrapper, wrapped_key: bytes) -> bytes:
    """The token's AES-128 key through the key holder's seam."""
    # Review (#11): the wrapped key is exactly one RSA block of this key, so its boundary
    # with data (concatenated without a length under the messageDigest) cannot move.
    size = unwrapper.key_size
    if len(wrapped_key) != (size + 7) // 8:
        raise DecryptionFailedError(
            f"header.wrappedKey is {len(wrapped_key)} bytes; this {size}-bit "
            f"key wraps to {(size + 7) // 8}"
        )
    try:
        key = unwrapper.unwrap_oaep_sha256(wrapped_key)
    except ValueError:
        # One message for every OAEP failure: no padding oracle.
        raise DecryptionFailedError(
            "RSA-OAEP could not unwrap header.wrappedKey with this key"
        ) from None
    except ApplePayError:
        raise
    except Exception as exc:
        # A user's holder: only the exception's type is named (its text may quote anything).
        raise KeyOperationError(
            f"the key holder failed to unwrap header.wrappedKey ({type(exc).__name__})"
        ) from exc
    if len(key) != 16:
        raise DecryptionFailedError("the unwrapped key is not a 128-bit AES key")
    return key


def unwrap_key(private_key: rsa.RSAPrivateKey, wrapped_key: bytes) -> bytes:
    """:func:`unwrap` with a ``cryptography`` key in this process."""
    from .keys import InProcessKeyUnwrapper

    return unwrap(InProcessKeyUnwrapper(private_key), wrapped_key)


def decrypt_with_symmetric_key(data: bytes, key: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(ZERO_IV, data, None)
    except InvalidTag:
        # The key unwrapped (OAEP checks its own integrity): the data is not the data
        # encrypted under it.
        raise TagMismatchError(
            "AES-GCM rejected the data (tag mismatch) with the unwrapped key: the data was "
            "altered, or does not belong to this wrappedKey"
        ) from None


def decrypt(data: bytes, wrapped_key: bytes, unwrapper: KeyUnwrapper) -> bytes:
    return decrypt_with_symmetric_key(data, unwrap(unwrapper, wrapped_key))
