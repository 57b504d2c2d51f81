"""Merchant private keys: files, and the key-agreement seam for keys held elsewhere.

The seam is applepay_crypto's public :class:`applepay_crypto.keys.KeyAgreement` (one
``exchange(ephemeral_public_key) -> bytes`` method): the same P-256 ECDH, so an HSM holder
built for Apple Pay (``applepay_crypto.keys.pkcs11``) serves Google Pay unchanged.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto.keys import InProcessKeyAgreement, KeyAgreement

__all__ = ["InProcessKeyAgreement", "KeyAgreement", "load_merchant_key", "read_merchant_key"]


def load_merchant_key(data: str | bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PKCS#8 or SEC1 PEM, DER, or base64 PKCS#8 (the form Google's
    documentation prints: ``openssl pkcs8 -topk8 -nocrypt -outform DER | base64``)."""
    raise NotImplementedError


def read_merchant_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """:func:`load_merchant_key` of a file's bytes."""
    raise NotImplementedError
