"""The seams between the library and whoever holds a merchant's private key (issue #12).

EC_v1 needs only Z from a :class:`KeyAgreement`, RSA_v1 only the OAEP unwrap from a
:class:`KeyUnwrapper`; a :class:`KeyLookup` finds keys on demand.
"""

from __future__ import annotations

import hmac
import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..rsa_v1 import OAEP_PADDING

if TYPE_CHECKING:
    from .merchant_key import MerchantKey

__all__ = ["KeyAgreement", "KeyHolder", "KeyLookup", "KeyUnwrapper", "holder_matches"]

_ECDH = ec.ECDH()


@runtime_checkable
class KeyAgreement(Protocol):
    """EC_v1's seam: whoever holds a P-256 payment processing key computes Z with it.

    ``exchange`` gets the token's ephemeral public key already checked to be a point on
    P-256 (an HSM is never handed an invalid-curve point) and returns Z, the 32-byte
    x-coordinate of the shared point, leading zero bytes kept. Failures are raised as an
    :class:`~applepay_crypto.errors.ApplePayError` (the PKCS#11 holder's own codes); any
    other exception becomes ``key_operation_failed``.
    """

    def exchange(self, ephemeral_public_key: ec.EllipticCurvePublicKey) -> bytes: ...


@runtime_checkable
class KeyUnwrapper(Protocol):
    """RSA_v1's seam: RSA-OAEP with SHA-256 and MGF1-SHA-256, no label, of ``wrappedKey``.

    ``key_size`` (bits) fixes the width of a wrapped key. ``unwrap_oaep_sha256`` raises
    ``ValueError`` when the block does not unwrap (the library turns every such failure into
    one message: no padding oracle), an ApplePayError for the holder's own failures.
    """

    @property
    def key_size(self) -> int: ...

    def unwrap_oaep_sha256(self, wrapped_key: bytes) -> bytes: ...


KeyHolder = KeyAgreement | KeyUnwrapper


class KeyLookup(Protocol):
    """Keys found on demand: a PSP with thousands of merchants loads none at start-up.

    ``find`` returns the key whose publicKeyHash is ``public_key_hash``, or ``None``. It is
    called for every token whose key the keyring does not hold, possibly from several
    threads at once: cache there what is costly to build.
    """

    def find(self, public_key_hash: bytes) -> MerchantKey | None: ...


def holder_matches(holder: KeyHolder, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bool:
    """Whether ``holder`` holds the private half of ``public``: one operation with a
    throw-away peer, whose result must equal what the public key gives. Compared in
    constant time (Z and the unwrapped key are secrets of a kind)."""
    if isinstance(public, ec.EllipticCurvePublicKey) != isinstance(holder, KeyAgreement):
        return False
    if isinstance(public, ec.EllipticCurvePublicKey):
        assert isinstance(holder, KeyAgreement)
        peer = ec.generate_private_key(ec.SECP256R1())
        matches = hmac.compare_digest(
            holder.exchange(peer.public_key()), peer.exchange(_ECDH, public)
        )
    else:
        assert isinstance(holder, KeyUnwrapper)
        probe = os.urandom(16)
        try:
            unwrapped = holder.unwrap_oaep_sha256(public.encrypt(probe, OAEP_PADDING))
        except ValueError:
            unwrapped = b""
        matches = hmac.compare_digest(unwrapped, probe)
    return matches
