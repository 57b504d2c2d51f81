"""A ``cryptography`` key in this process: the default key holder and the fast path."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..rsa_v1 import OAEP_PADDING

__all__ = ["InProcessKeyAgreement", "InProcessKeyUnwrapper"]

_ECDH = ec.ECDH()


class InProcessKeyAgreement:
    """A ``cryptography`` P-256 key in this process: the default holder and the fast path."""

    __slots__ = ("private_key",)

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.private_key = private_key

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes:
        return self.private_key.exchange(_ECDH, ephemeral_public_key)

    def __repr__(self) -> str:
        return f"InProcessKeyAgreement(EC {self.private_key.curve.name})"


class InProcessKeyUnwrapper:
    """A ``cryptography`` RSA key in this process."""

    __slots__ = ("key_size", "private_key")

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        self.key_size = private_key.key_size

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes:
        return self.private_key.decrypt(wrapped_key, OAEP_PADDING)

    def __repr__(self) -> str:
        return f"InProcessKeyUnwrapper(RSA-{self.key_size})"
