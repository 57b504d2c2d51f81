"""The recipient of Google Pay payment method tokens (ECv1, ECv2, ECv2SigningOnly).

The checks, in Tink's order (``PaymentMethodTokenRecipient.unseal``; docs/googlepay.md):

1. strict JSON, the exact member set of the expected version, the version itself;
2. (ECv2*) the shape of ``intermediateSigningKey``;
3. the root signing keys valid for the version, now;
4. (ECv2*) some signature of the intermediate key verifies under some root key;
5. (ECv2*) ``signedKey`` parses and its ``keyExpiration`` is in the future;
6. the message signature, under the intermediate key (ECv2*) or a root key (ECv1), over
   the sender id, this recipient's id, the version and signedMessage;
7. (ECv1, ECv2) decryption, the tag checked first, each merchant key in turn;
8. ``messageExpiration`` in the future.

Every time is compared as Tink does: a key or message expires when ``expiration <= now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto.keys import InProcessKeyAgreement, KeyAgreement

from . import decryption
from ._time import from_millis, to_millis, utc_text
from .errors import (
    ConfigurationError,
    IntermediateKeyExpiredError,
    IntermediateSignatureError,
    NoRootKeysError,
    SignatureInvalidError,
)
from .message import check_message_expiration, message_expiration
from .payment_data import CardPaymentData, NetworkTokenPaymentData, parse_payment_data
from .results import UnsealedToken, VerifiedToken
from .root_keys import RootKeySource
from .signatures import (
    intermediate_signed_bytes,
    message_signed_bytes,
    parse_signed_key,
    verifies_under_any,
)
from .token import PROTOCOL_VERSIONS, ParsedToken, parse_token

__all__ = [
    "GOOGLE_SENDER_ID",
    "PROTOCOL_VERSIONS",
    "Recipient",
    "UnsealedToken",
    "VerifiedToken",
]

#: Tink ``GOOGLE_SENDER_ID``; Google Wallet pass callbacks use ``GooglePayPasses``.
GOOGLE_SENDER_ID = "Google"

MerchantKeyLike = ec.EllipticCurvePrivateKey | KeyAgreement


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{what} must be a non-empty string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigurationError(f"{what} is not Unicode text (a lone surrogate)") from None
    return value


def _holder(key: object, index: int) -> KeyAgreement:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ConfigurationError(f"merchant key {index + 1} is not a P-256 key")
        return InProcessKeyAgreement(key)
    if isinstance(key, KeyAgreement):
        return key
    raise ConfigurationError(
        f"merchant key {index + 1} is neither a P-256 private key nor a KeyAgreement holder"
    )


class Recipient:
    """A merchant or gateway receiving tokens, configured once, used for many tokens.

    ``recipient_id`` is ``merchant:<merchantId>`` or ``gateway:<gatewayId>``, exactly as
    Google signs it (not checked further: Tink's tests use other forms). ``private_keys``
    are tried in order (key rotation: the new key first); each is a ``cryptography`` P-256
    key or any :class:`~applepay_crypto.keys.KeyAgreement` holder (an HSM). ECv2SigningOnly
    needs none. ``root_keys`` is a :class:`RootSigningKeys` or a :class:`RootKeyFetcher`;
    ``clock`` gives "now" when a call passes none.
    """

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
        self.recipient_id = _text(recipient_id, "recipient_id")
        self.sender_id = _text(sender_id, "sender_id")
        if protocol_version not in PROTOCOL_VERSIONS:
            raise ConfigurationError(
                "protocol_version must be one of " + ", ".join(PROTOCOL_VERSIONS)
            )
        self.protocol_version = protocol_version
        if not isinstance(root_keys, RootKeySource):
            raise ConfigurationError(
                "root_keys must be RootSigningKeys (load_root_keys) or a RootKeyFetcher"
            )
        self.root_keys = root_keys
        if isinstance(private_keys, str | bytes) or not isinstance(private_keys, Sequence):
            raise ConfigurationError("private_keys must be a sequence of keys")
        self._holders = tuple(_holder(key, index) for index, key in enumerate(private_keys))
        self.clock = clock or _utc_now

    def __repr__(self) -> str:
        return (
            f"Recipient({self.recipient_id!r}, protocol_version={self.protocol_version!r}, "
            f"merchant_keys={len(self._holders)})"
        )

    def _now_ms(self, now: dt.datetime | None) -> int:
        moment = self.clock() if now is None else now
        if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
            raise ConfigurationError("now must be a timezone-aware datetime")
        return to_millis(moment)

    def _root_keys(self, now_ms: int) -> tuple[ec.EllipticCurvePublicKey, ...]:
        keys = self.root_keys.current().for_version(self.protocol_version, now_ms)
        if not keys:
            raise NoRootKeysError(
                f"the root signing keys hold no unexpired key for {self.protocol_version}: "
                "update them (Google rotates its keys; RootKeyFetcher does it for you)"
            )
        return keys

    def _message_keys(
        self, parsed: ParsedToken, roots: tuple[ec.EllipticCurvePublicKey, ...], now_ms: int
    ) -> tuple[tuple[ec.EllipticCurvePublicKey, ...], int | None]:
        """The keys the message signature may verify under, and the intermediate key's
        expiration."""
        intermediate = parsed.intermediate_signing_key
        if intermediate is None:  # ECv1: the root keys sign the message
            return roots, None
        signed = intermediate_signed_bytes(
            self.sender_id, self.protocol_version, intermediate.signed_key
        )
        if not verifies_under_any(intermediate.signatures, roots, signed):
            raise IntermediateSignatureError(
                "no signature of intermediateSigningKey verifies under a root signing key of "
                f"{self.protocol_version} (sender id {self.sender_id!r})"
            )
        signed_key = parse_signed_key(intermediate.signed_key)
        if signed_key.key_expiration <= now_ms:
            raise IntermediateKeyExpiredError(
                "the intermediate signing key expired (keyExpiration "
                f"{signed_key.key_expiration}, {utc_text(from_millis(signed_key.key_expiration))}, "
                "is not after the verification time)"
            )
        return (signed_key.public_key,), signed_key.key_expiration

    def _verify(self, token: str | bytes, now_ms: int) -> tuple[ParsedToken, int | None]:
        parsed = parse_token(token, self.protocol_version)
        roots = self._root_keys(now_ms)
        keys, key_expiration = self._message_keys(parsed, roots, now_ms)
        signed = message_signed_bytes(
            self.sender_id, self.recipient_id, self.protocol_version, parsed.signed_message
        )
        if not verifies_under_any((parsed.signature,), keys, signed):
            raise SignatureInvalidError(
                "the signature over signedMessage does not verify for recipient "
                f"{self.recipient_id!r}: the message was altered, or it is for another "
                "recipient"
            )
        return parsed, key_expiration

    def verify(self, token: str | bytes, *, now: dt.datetime | None = None) -> VerifiedToken:
        """Steps 1 to 6 (and 8 for ECv2SigningOnly, whose message is not encrypted): the
        signatures and key expiration, without decrypting and without a merchant key."""
        now_ms = self._now_ms(now)
        parsed, key_expiration = self._verify(token, now_ms)
        message, expiration = None, None
        if self.protocol_version == "ECv2SigningOnly":
            check_message_expiration(parsed.signed_message, now_ms)
            message = parsed.signed_message
            expiration = message_expiration(message)
        return VerifiedToken(
            protocol_version=parsed.protocol_version,
            signed_message=parsed.signed_message,
            key_expiration=_moment(key_expiration),
            message=message,
            message_expiration=_moment(expiration),
        )

    def unseal_token(self, token: str | bytes, *, now: dt.datetime | None = None) -> UnsealedToken:
        """Every check and decryption; the message's exact text with what the checks
        established (the expirations), whatever the message is."""
        now_ms = self._now_ms(now)
        if self.protocol_version != "ECv2SigningOnly" and not self._holders:
            raise ConfigurationError(
                f"no merchant private key is configured: {self.protocol_version} tokens are "
                "encrypted"
            )
        parsed, key_expiration = self._verify(token, now_ms)
        if self.protocol_version == "ECv2SigningOnly":
            message = parsed.signed_message
        else:
            message = decryption.decrypt(
                parsed.signed_message, self.protocol_version, self._holders
            )
        check_message_expiration(message, now_ms)
        return UnsealedToken(
            protocol_version=parsed.protocol_version,
            key_expiration=_moment(key_expiration),
            message_expiration=_moment(message_expiration(message)),
            plaintext=message,
        )

    def unseal_plaintext(self, token: str | bytes, *, now: dt.datetime | None = None) -> str:
        """Every check and decryption; the message text as Tink's ``unseal`` returns it
        (a payment payload, a Wallet callback, any text)."""
        return self.unseal_token(token, now=now).plaintext

    def unseal(
        self, token: str | bytes, *, now: dt.datetime | None = None
    ) -> CardPaymentData | NetworkTokenPaymentData:
        """Every check, decryption, and the typed payment payload (``paymentMethod`` CARD;
        ``malformed_payment_data`` for any other message: use :meth:`unseal_plaintext`)."""
        return parse_payment_data(self.unseal_plaintext(token, now=now))


def _moment(millis: int | None) -> dt.datetime | None:
    return from_millis(millis) if millis is not None else None
