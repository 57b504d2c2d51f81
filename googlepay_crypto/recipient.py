"""The recipient of Google Pay payment method tokens (ECv1, ECv2, ECv2SigningOnly)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto.keys import KeyAgreement

from .payment_data import CardPaymentData, NetworkTokenPaymentData
from .root_keys import RootKeySource

__all__ = ["GOOGLE_SENDER_ID", "PROTOCOL_VERSIONS", "Recipient", "VerifiedToken"]

PROTOCOL_VERSIONS = ("ECv1", "ECv2", "ECv2SigningOnly")
GOOGLE_SENDER_ID = "Google"

MerchantKeyLike = ec.EllipticCurvePrivateKey | KeyAgreement


@dataclass(frozen=True)
class VerifiedToken:
    """What :meth:`Recipient.verify` establishes without decrypting."""

    protocol_version: str
    #: signedMessage as signed: the encrypted JSON (ECv1, ECv2) or the message itself
    #: (ECv2SigningOnly).
    signed_message: str
    #: The intermediate signing key's expiration (ECv2, ECv2SigningOnly), else ``None``.
    key_expiration: dt.datetime | None
    #: The message, for ECv2SigningOnly (its messageExpiration checked); ``None`` when it is
    #: encrypted.
    message: str | None


class Recipient:
    """A merchant or gateway receiving tokens, configured once, used for many tokens."""

    def __init__(
        self,
        recipient_id: str,
        *,
        root_keys: RootKeySource,
        private_keys: Sequence[MerchantKeyLike] = (),
        protocol_version: str = "ECv2",
        sender_id: str = GOOGLE_SENDER_ID,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        raise NotImplementedError

    def unseal(
        self, token: str | bytes, *, now: dt.datetime | None = None
    ) -> CardPaymentData | NetworkTokenPaymentData:
        """Every check, decryption, and the typed payment payload."""
        raise NotImplementedError

    def unseal_plaintext(self, token: str | bytes, *, now: dt.datetime | None = None) -> str:
        """Every check and decryption; the message text as Tink's ``unseal`` returns it."""
        raise NotImplementedError

    def verify(self, token: str | bytes, *, now: dt.datetime | None = None) -> VerifiedToken:
        """The signatures and key expiration, without decrypting."""
        raise NotImplementedError
