"""The merchant's object: configured once (keys, trust, window), then one call per token.

    decryptor = TokenDecryptor([MerchantKey.load("key.pem", certificate="cert.pem")])
    result = decryptor.decrypt(request_body)

Steps, in order: parse the token's shape, verify Apple's signature (step 1), pick the key
by publicKeyHash, restore the symmetric key for the token's version, AES-GCM decrypt,
check the payload's shape.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import ec_v1, rsa_v1
from ._frozen import build
from ._timetext import utc_text_or_none
from .errors import (
    ConfigurationError,
    DecryptionFailedError,
    TagMismatchError,
)
from .keys import (
    InProcessKeyAgreement,
    InProcessKeyUnwrapper,
    KeyAgreement,
    Keyring,
    KeyUnwrapper,
    MerchantKey,
)
from .logs import logs_rejections
from .moments import utc_moment
from .payment_data import PaymentData
from .replay import ReplayGuard, check_replay
from .rsa_v1 import OAEP_PADDING
from .signature import DEFAULT_MAX_AGE, TokenVerifier, VerifiedSignature, utc_now
from .token import PaymentToken, parse_token
from .trust import TrustStore

__all__ = [
    "SYMMETRIC_KEY_BYTES",
    "DecryptedToken",
    "SymmetricKey",
    "TokenDecryptor",
    "TokenSource",
    "decrypt_token",
    "decrypt_with_symmetric_key",
    "verify_token",
]

_log = logging.getLogger(__name__)

TokenSource = bytes | bytearray | str | Mapping[str, Any] | PaymentToken


@dataclass(frozen=True, repr=False, eq=False)
class DecryptedToken:
    """A verified (unless verification was switched off) and decrypted token."""

    version: str
    transaction_id: str
    public_key_hash: bytes
    application_data: bytes | None
    verified: bool
    #: When Apple signed the token; ``None`` only when verification was switched off.
    signing_time: dt.datetime | None
    payment_data: PaymentData

    @property
    def public_key_hash_b64(self) -> str:
        return base64.b64encode(self.public_key_hash).decode("ascii")

    def to_json_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """The CLI's JSON: Apple's payload as decrypted with ``reveal``, masked otherwise."""
        return {
            "verified": self.verified,
            "version": self.version,
            "transaction_id": self.transaction_id,
            "signing_time": _iso(self.signing_time),
            "public_key_hash": self.public_key_hash_b64,
            "payment_data": (
                self.payment_data.to_dict() if reveal else self.payment_data.masked_dict()
            ),
        }

    def __repr__(self) -> str:
        return (
            f"DecryptedToken(version={self.version!r}, transaction_id={self.transaction_id!r}, "
            f"verified={self.verified}, signing_time={_iso(self.signing_time)!r}, "
            f"payment_data={self.payment_data!r})"
        )


def _keyring(keys: object) -> Keyring:
    """The decryptor's keys as given, or a clear refusal (issue #14, item 6): a path or PEM
    where a loaded key belongs is the commonest slip."""
    if isinstance(keys, Keyring):
        return keys
    if isinstance(keys, MerchantKey):
        return Keyring([keys])
    iterable = isinstance(keys, Iterable) and not isinstance(keys, str | bytes | os.PathLike)
    items = list(keys) if iterable else None  # type: ignore[call-overload]
    if not items or not all(isinstance(key, MerchantKey) for key in items):
        raise ConfigurationError(
            "keys must be a MerchantKey, a Keyring or a non-empty list of MerchantKey "
            f"(not {type(keys).__name__}): MerchantKey.load(path, certificate=...) reads files"
        )
    return Keyring(items)


def _moment(now: dt.datetime | str | None) -> dt.datetime | None:
    """``now=`` as given (a datetime, naive meaning UTC, or ISO 8601 text with a zone),
    checked before any work: a wrong type is a ConfigurationError even unverified."""
    return utc_moment(now) if now is not None else None


def _iso(moment: dt.datetime | None) -> str | None:
    return utc_text_or_none(moment)


class TokenDecryptor:
    """Verify and decrypt Apple Pay tokens for one merchant (one or more keys).

    ``trust`` defaults to Apple Root CA - G3 as found by :func:`trust.load_apple_root`.
    ``clock`` supplies "now" for the signing-time window; each call may override it
    with ``now=``. ``verify_signature=False`` skips step 1 entirely: only for tokens
    whose origin is known by other means (tests, archives verified before).
    ``replay_guard`` makes the last step: a transactionId seen before is rejected.

    ``keys`` may be a :class:`Keyring`, which may find keys through a lookup. One decryptor
    is safe to share between threads (issue #12): it keeps no per-token state, the keyring
    and the trust store do not change after construction, ``cryptography`` keys may be used
    concurrently, the PKCS#11 holder takes a session per operation from a pool, and the
    replay guards are atomic. A holder of your own must be thread-safe too.
    """

    def __init__(
        self,
        keys: MerchantKey | Iterable[MerchantKey] | Keyring,
        *,
        trust: TrustStore | None = None,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], dt.datetime] = utc_now,
        verify_signature: bool = True,
        replay_guard: ReplayGuard | None = None,
    ) -> None:
        if replay_guard is not None and not verify_signature:
            raise ConfigurationError("a replay guard needs verified signing times")
        self.replay_guard = replay_guard
        self.keyring = _keyring(keys)
        for key in self.keyring:
            _warm_up(key)
        self.verify_signature = verify_signature
        self.verifier = (
            TokenVerifier(trust or TrustStore.apple_root(), max_age=max_age, clock=clock)
            if verify_signature
            else None
        )

    @logs_rejections(_log, "token")
    def verify(
        self, token: TokenSource, *, now: dt.datetime | str | None = None
    ) -> VerifiedSignature:
        if self.verifier is None:
            raise ConfigurationError("this decryptor was configured without signature verification")
        return self.verifier.verify(parse_token(token), now=now)

    @logs_rejections(_log, "token")
    def decrypt(
        self,
        token: TokenSource,
        *,
        now: dt.datetime | str | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> DecryptedToken:
        """Verify, decrypt, and (with a replay guard) refuse a transactionId seen before.

        ``replay_guard`` here overrides the decryptor's own for this call.
        """
        now = _moment(now)
        parsed = parse_token(token)
        verified = self.verifier.verify(parsed, now=now) if self.verifier is not None else None
        key = self.keyring.find(parsed.public_key_hash, version=parsed.version)
        try:
            plaintext = _decrypt_payload(parsed, key)
        except TagMismatchError as exc:
            raise _explain_tag_mismatch(parsed, verified=verified is not None) from exc.__cause__
        result = _complete(
            parsed,
            verified,
            plaintext,
            replay_guard if replay_guard is not None else self.replay_guard,
        )
        _log.info(
            "token decrypted with the merchant key of publicKeyHash %s", key.public_key_hash_b64
        )
        return result

    @logs_rejections(_log, "token")
    def derive_symmetric_key(
        self, token: TokenSource, *, now: dt.datetime | str | None = None
    ) -> SymmetricKey:
        """The token's AES key, for a split where another party decrypts without the private
        key (issue #12, part 5). Only after full verification: the same parse and signature
        checks as :meth:`decrypt`, then the key derived through the merchant key's holder.

        The result is a SECRET: with it and the token, anyone reads the card number. The
        data is not decrypted here (the key holder need never see cardholder data), so a
        wrong merchant id shows where the key is used; no replay guard is consulted (the
        side that charges keeps it, :meth:`decrypt_with_symmetric_key`).
        """
        if self.verifier is None:
            raise ConfigurationError(
                "a symmetric key is handed out for verified tokens only: this decryptor was "
                "configured without signature verification"
            )
        now = _moment(now)
        parsed = parse_token(token)
        self.verifier.verify(parsed, now=now)
        key = self.keyring.find(parsed.public_key_hash, version=parsed.version)
        if parsed.version == "EC_v1":
            assert key.merchant_id_hash is not None
            secret = ec_v1.restore_symmetric_key(
                cast(bytes, parsed.ephemeral_public_key),
                cast(KeyAgreement, key.holder),
                key.merchant_id_hash,
            )
        else:
            secret = rsa_v1.unwrap(cast(KeyUnwrapper, key.holder), cast(bytes, parsed.wrapped_key))
        _log.info(
            "symmetric key derived with the merchant key of publicKeyHash %s",
            key.public_key_hash_b64,
        )
        return SymmetricKey(parsed.version, parsed.transaction_id, parsed.public_key_hash, secret)

    @logs_rejections(_log, "token")
    def decrypt_with_symmetric_key(
        self,
        token: TokenSource,
        key: SymmetricKey | bytes,
        *,
        now: dt.datetime | str | None = None,
        replay_guard: ReplayGuard | None = None,
    ) -> DecryptedToken:
        """:meth:`decrypt` with the token's AES key given instead of derived: the same
        parse, signature check (unless switched off), payload checks and replay guard."""
        now = _moment(now)
        parsed = parse_token(token)
        verified = self.verifier.verify(parsed, now=now) if self.verifier is not None else None
        plaintext = _decrypt_with_symmetric_key(parsed, key)
        return _complete(
            parsed,
            verified,
            plaintext,
            replay_guard if replay_guard is not None else self.replay_guard,
        )


def _complete(
    parsed: PaymentToken,
    verified: VerifiedSignature | None,
    plaintext: bytes,
    guard: ReplayGuard | None,
) -> DecryptedToken:
    """The steps after AES-GCM, the same for every way the key was had."""
    payment_data = PaymentData.from_json(plaintext)
    if guard is not None:
        if verified is None:
            raise ConfigurationError("a replay guard needs verified signing times")
        # Recorded only once the token decrypts: a token refused for a fixable reason
        # (a key missing from the keyring) can be retried; of concurrent duplicates,
        # exactly one passes the atomic check.
        check_replay(guard, parsed.transaction_id, verified.signing_time)
    return build(
        DecryptedToken,
        version=parsed.version,
        transaction_id=parsed.transaction_id,
        public_key_hash=parsed.public_key_hash,
        application_data=parsed.application_data,
        verified=verified is not None,
        signing_time=verified.signing_time if verified is not None else None,
        payment_data=payment_data,
    )


#: The AES key length of each version: AES-256-GCM for EC_v1, AES-128-GCM for RSA_v1.
SYMMETRIC_KEY_BYTES = {"EC_v1": 32, "RSA_v1": 16}


@dataclass(frozen=True, repr=False, eq=False)
class SymmetricKey:
    """One token's AES key, bound to the token it was derived for. A SECRET (it decrypts the
    card number): never shown by repr/str, never logged, sent only over a channel fit for
    cardholder data. ``key`` holds the raw bytes; ``bytes(k)`` gives them too."""

    version: str
    transaction_id: str
    public_key_hash: bytes
    key: bytes

    def __bytes__(self) -> bytes:
        return self.key

    def __repr__(self) -> str:
        return (
            f"SymmetricKey(version={self.version!r}, transaction_id={self.transaction_id!r}, "
            f"key=<secret AES-{8 * len(self.key)} key>)"
        )

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def _decrypt_with_symmetric_key(parsed: PaymentToken, key: SymmetricKey | bytes) -> bytes:
    if isinstance(key, SymmetricKey):
        if (key.version, key.transaction_id, key.public_key_hash) != (
            parsed.version,
            parsed.transaction_id,
            parsed.public_key_hash,
        ):
            raise DecryptionFailedError(
                f"the symmetric key was derived for another token ({key.version}, "
                f"transactionId {key.transaction_id}), not this one ({parsed.version}, "
                f"transactionId {parsed.transaction_id})"
            )
        raw = key.key
    else:
        raw = bytes(key)
    wanted = SYMMETRIC_KEY_BYTES[parsed.version]
    if len(raw) != wanted:
        raise DecryptionFailedError(
            f"a {parsed.version} token's symmetric key is {wanted} bytes, not {len(raw)}"
        )
    try:
        if parsed.version == "EC_v1":
            return ec_v1.decrypt_with_symmetric_key(parsed.data, raw)
        return rsa_v1.decrypt_with_symmetric_key(parsed.data, raw)
    except TagMismatchError:
        raise TagMismatchError(
            "AES-GCM rejected the data (tag mismatch) with the symmetric key given: it is not "
            "this token's key, or the data was altered"
        ) from None


def _explain_tag_mismatch(token: PaymentToken, *, verified: bool) -> TagMismatchError:
    """Review (#11): altered data and a wrongly derived key fail the same AES-GCM tag. A
    verified signature covers the data, so then the key is wrong; without one (``--no-verify``)
    altered data is as likely, and blaming the merchant id would send the merchant the wrong
    way."""
    if not verified:
        return TagMismatchError(
            "AES-GCM rejected the data (tag mismatch). The signature was not checked, so the "
            "data may have been altered; otherwise the key was derived wrongly (the merchant "
            "id or the payment processing key is not the one the token was made for). Verify "
            "the signature to tell the two apart."
        )
    if token.version == "RSA_v1":
        return TagMismatchError(
            "AES-GCM rejected the data (tag mismatch) with the unwrapped key, although Apple's "
            "signature over it verified: the wrappedKey was not made for this key"
        )
    return TagMismatchError(
        "AES-GCM rejected the data (tag mismatch), although Apple's signature over it verified: "
        "the key was derived wrongly. Check that the merchant id is the one of the payment "
        "processing certificate (its SHA-256 is used, not the string) and that the key is the "
        "payment processing key."
    )


def _warm_up(key: MerchantKey) -> None:
    """One private-key operation at configuration time: the first one in a process costs a
    millisecond more (OpenSSL's lazy set-up), which the first token should not pay. Keys
    held outside this process are left alone (MerchantKey.from_holder checks them)."""
    holder = key.holder
    if isinstance(holder, InProcessKeyAgreement):
        holder.exchange(ec.generate_private_key(ec.SECP256R1()).public_key())
    elif isinstance(holder, InProcessKeyUnwrapper):
        public = holder.private_key.public_key()
        holder.unwrap_oaep_sha256(public.encrypt(bytes(16), OAEP_PADDING))


def _decrypt_payload(token: PaymentToken, key: MerchantKey) -> bytes:
    # Keyring.find(version=) matched the key's holder to the token's version, and
    # parse_token the header fields to it: no isinstance checks on the hot path.
    if token.version == "EC_v1":
        assert key.merchant_id_hash is not None
        return ec_v1.decrypt(
            token.data,
            cast(bytes, token.ephemeral_public_key),
            cast(KeyAgreement, key.holder),
            key.merchant_id_hash,
        )
    return rsa_v1.decrypt(
        token.data, cast(bytes, token.wrapped_key), cast(KeyUnwrapper, key.holder)
    )


RootSource = str | os.PathLike[str] | x509.Certificate | TrustStore | None


def _trust(root: RootSource) -> TrustStore:
    if isinstance(root, TrustStore):
        return root
    return TrustStore.apple_root(root)


@logs_rejections(_log, "token")
def decrypt_token(
    token: TokenSource,
    *,
    key: MerchantKey | Iterable[MerchantKey],
    root: RootSource = None,
    now: dt.datetime | str | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    replay_guard: ReplayGuard | None = None,
) -> DecryptedToken:
    """One-shot verify and decrypt; services decrypting many tokens keep a TokenDecryptor."""
    decryptor = TokenDecryptor(key, trust=_trust(root), max_age=max_age)
    return decryptor.decrypt(token, now=now, replay_guard=replay_guard)


@logs_rejections(_log, "token")
def verify_token(
    token: TokenSource,
    *,
    root: RootSource = None,
    now: dt.datetime | str | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
) -> VerifiedSignature:
    """Apple's step 1 alone, without any merchant key."""
    return TokenVerifier(_trust(root), max_age=max_age).verify(parse_token(token), now=now)


@logs_rejections(_log, "token")
def decrypt_with_symmetric_key(
    token: TokenSource,
    key: SymmetricKey | bytes,
    *,
    root: RootSource = None,
    now: dt.datetime | str | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    replay_guard: ReplayGuard | None = None,
) -> DecryptedToken:
    """For the party without any merchant key (a PSP given the key by the key holder):
    verify the token's signature itself, decrypt with ``key``, check the payload, consult
    ``replay_guard``. Pass a loaded :class:`TrustStore` as ``root`` when doing many."""
    verifier = TokenVerifier(_trust(root), max_age=max_age)
    now = _moment(now)
    parsed = parse_token(token)
    verified = verifier.verify(parsed, now=now)
    return _complete(parsed, verified, _decrypt_with_symmetric_key(parsed, key), replay_guard)
