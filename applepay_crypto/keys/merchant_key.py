"""One merchant key: its holder, its publicKeyHash and its merchant id; and a key held
outside this process before its merchant id is known."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import ConfigurationError
from .files import MerchantPrivateKey, PathOrBytes, load_certificate, load_private_key
from .identity import (
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
    public_key_hash,
)
from .in_process import InProcessKeyAgreement, InProcessKeyUnwrapper
from .seams import KeyAgreement, KeyHolder, KeyUnwrapper, holder_matches

__all__ = ["HeldKey", "MerchantKey", "name_the_pair"]


def _describe(key: MerchantPrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return f"RSA-{key.key_size}"


def _holder_for(key: MerchantPrivateKey | KeyHolder) -> KeyHolder:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return InProcessKeyAgreement(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return InProcessKeyUnwrapper(key)
    if isinstance(key, KeyAgreement | KeyUnwrapper):
        return key
    raise ConfigurationError(
        f"a {type(key).__name__} is neither a private key nor a key holder (an object with "
        "exchange(ephemeral_public_key) for EC_v1 or unwrap_oaep_sha256(wrapped_key) for RSA_v1)"
    )


def _check_usable(public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> None:
    if isinstance(public, ec.EllipticCurvePublicKey):
        if not isinstance(public.curve, ec.SECP256R1):
            raise ConfigurationError(
                f"an {_describe(public)} key cannot decrypt EC_v1 tokens (P-256 only)"
            )
    elif public.key_size < 2048:
        raise ConfigurationError(f"an {_describe(public)} key is too small for RSA_v1")


@dataclass(frozen=True, repr=False, eq=False, init=False)
class MerchantKey:
    """One payment processing key with what decryption needs to know about it.

    ``holder`` does the private-key operation (:class:`KeyAgreement` for EC_v1,
    :class:`KeyUnwrapper` for RSA_v1); :attr:`private_key` is the ``cryptography`` key
    when the key is in this process.
    """

    holder: KeyHolder
    public_key_hash: bytes
    merchant_id_hash: bytes | None
    merchant_id: str | None
    certificate: x509.Certificate | None
    #: The token version this key decrypts (worked out once: it is asked per token).
    version: str
    #: "EC P-256", "RSA-2048", or what an outside holder says of itself.
    kind: str

    def __init__(
        self,
        key: MerchantPrivateKey | KeyHolder,
        public_key_hash: bytes,
        merchant_id_hash: bytes | None,
        merchant_id: str | None = None,
        certificate: x509.Certificate | None = None,
    ) -> None:
        holder = _holder_for(key)
        version = "EC_v1" if isinstance(holder, KeyAgreement) else "RSA_v1"
        if version == "EC_v1" and merchant_id_hash is None:
            raise ConfigurationError("an EC key needs the merchant identifier's SHA-256")
        if isinstance(holder, InProcessKeyAgreement | InProcessKeyUnwrapper):
            kind = _describe(holder.private_key)
        else:
            kind = str(getattr(holder, "kind", None) or type(holder).__name__)
        for name, value in (
            ("holder", holder),
            ("public_key_hash", public_key_hash),
            ("merchant_id_hash", merchant_id_hash),
            ("merchant_id", merchant_id),
            ("certificate", certificate),
            ("version", version),
            ("kind", kind),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def load(
        cls,
        key: PathOrBytes | MerchantPrivateKey,
        *,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        password: bytes | None = None,
    ) -> MerchantKey:
        """Load a key; the merchant id comes from ``certificate`` or from ``merchant_id``.

        EC keys need the merchant identifier (EC_v1's KDF uses its SHA-256); RSA keys do not.
        When both a certificate and an identifier are given they must agree.
        """
        private_key = load_private_key(key, password=password)
        return cls._assemble(
            private_key, private_key.public_key(), certificate=certificate, merchant_id=merchant_id
        )

    @classmethod
    def from_holder(
        cls,
        holder: KeyHolder,
        *,
        public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        check: bool = True,
    ) -> MerchantKey:
        """A key held outside this process (an HSM, a KMS, a remote service).

        Its public key comes from ``public_key`` or from the payment processing
        ``certificate``, the merchant id as for :meth:`load`. With ``check`` (the default)
        one private-key operation through ``holder`` proves that it holds the private half
        of that public key: a holder pointed at the wrong key fails here, at configuration,
        not on the first token.
        """
        if public_key is None:
            if certificate is None:
                raise ConfigurationError(
                    "a key held outside this process needs its public key or its payment "
                    "processing certificate (the publicKeyHash is computed from it)"
                )
            public_key = _merchant_public_key(load_certificate(certificate))
        key = cls._assemble(holder, public_key, certificate=certificate, merchant_id=merchant_id)
        if check:
            _check_holder_matches(key.holder, public_key)
        return key

    @classmethod
    def _assemble(
        cls,
        key: MerchantPrivateKey | KeyHolder,
        public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
        *,
        certificate: PathOrBytes | x509.Certificate | None,
        merchant_id: str | None,
    ) -> MerchantKey:
        _check_usable(public)
        holder = _holder_for(key)
        if isinstance(public, ec.EllipticCurvePublicKey) != isinstance(holder, KeyAgreement):
            raise ConfigurationError(
                f"the key holder {type(holder).__name__} does not fit an {_describe(public)} "
                "key (EC keys need exchange(), RSA keys unwrap_oaep_sha256())"
            )
        cert = load_certificate(certificate) if certificate is not None else None
        id_hash = merchant_id_hash(merchant_id) if merchant_id is not None else None
        if cert is not None:
            _check_certificate_matches_key(cert, public)
            cert_hash = merchant_id_hash_from_certificate(cert)
            cert_id = merchant_id_from_certificate(cert)
            if cert_hash is None and cert_id is not None:
                cert_hash = merchant_id_hash(cert_id)
            if id_hash is not None and cert_hash is not None and id_hash != cert_hash:
                raise ConfigurationError(
                    f"merchant id {merchant_id!r} differs from the one in the certificate"
                    + (f" ({cert_id!r})" if cert_id else "")
                )
            id_hash = id_hash or cert_hash
            merchant_id = merchant_id or cert_id
        if id_hash is None and isinstance(public, ec.EllipticCurvePublicKey):
            raise ConfigurationError(
                "an EC key needs the merchant identifier: give the payment processing "
                "certificate or the merchant id (e.g. merchant.com.example)"
            )
        return cls(holder, public_key_hash(public), id_hash, merchant_id, cert)

    @property
    def private_key(self) -> MerchantPrivateKey:
        """The ``cryptography`` private key; a :class:`ConfigurationError` for a key held
        outside this process (its private half cannot be read, by design)."""
        holder = self.holder
        if isinstance(holder, InProcessKeyAgreement | InProcessKeyUnwrapper):
            return holder.private_key
        raise ConfigurationError(
            f"the key with publicKeyHash {self.public_key_hash_b64} is held outside this "
            f"process ({self.kind}): its private key cannot be read"
        )

    @property
    def in_process(self) -> bool:
        """Whether the private key is a ``cryptography`` key in this process."""
        return isinstance(self.holder, InProcessKeyAgreement | InProcessKeyUnwrapper)

    @property
    def public_key_hash_b64(self) -> str:
        return base64.b64encode(self.public_key_hash).decode("ascii")

    def __repr__(self) -> str:
        return (
            f"MerchantKey({self.kind}, "
            f"public_key_hash={self.public_key_hash_b64!r}, merchant_id={self.merchant_id!r})"
        )


def _merchant_public_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ConfigurationError(
            f"the certificate's {type(public).__name__} cannot be a payment processing key"
        )
    return public


@contextlib.contextmanager
def name_the_pair(index: int, key: object, certificate: object | None) -> Iterator[None]:
    """With several ``--key``/``--cert`` pairs, a refusal while loading one names it
    (issue #14, item 7): ``pair 2 (--key new.key, --cert new.pem): ...``."""
    try:
        yield
    except ConfigurationError as exc:
        cert = f", --cert {certificate}" if certificate is not None else ", no --cert"
        raise ConfigurationError(f"pair {index + 1} (--key {key}{cert}): {exc.message}") from None


def _check_holder_matches(
    holder: KeyHolder, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
) -> None:
    if not holder_matches(holder, public):
        raise ConfigurationError(
            "the key holder does not hold the private half of this public key (another key "
            "in the token, or the certificate of another key?)"
        )


def _check_certificate_matches_key(
    cert: x509.Certificate, public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
) -> None:
    if public_key_hash(cert.public_key()) != public_key_hash(public):  # type: ignore[arg-type]
        raise ConfigurationError(
            "the certificate (publicKeyHash "
            f"{_b64(public_key_hash(cert.public_key()))}) does not belong to this private key "  # type: ignore[arg-type]
            f"(publicKeyHash {_b64(public_key_hash(public))}): is it the merchant identity "
            "certificate instead of the payment processing certificate, or another pair's?"
        )


@dataclass(frozen=True, repr=False)
class HeldKey:
    """A private key held outside this process, with its public key, before its merchant
    id is known (what ``doctor``, ``keys hash`` and ``cert inspect`` need of a key in a
    token). ``certificate`` is the one stored beside the key, when there is one."""

    holder: KeyHolder
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    certificate: x509.Certificate | None = None

    @property
    def kind(self) -> str:
        return str(getattr(self.holder, "kind", None) or type(self.holder).__name__)

    def merchant_key(
        self,
        *,
        certificate: PathOrBytes | x509.Certificate | None = None,
        merchant_id: str | None = None,
        check: bool = True,
    ) -> MerchantKey:
        """The :class:`MerchantKey`: the merchant id from ``certificate`` (else the stored
        one) or ``merchant_id``; one operation checks the pair (see
        :meth:`MerchantKey.from_holder`)."""
        chosen = certificate if certificate is not None else self.certificate
        return MerchantKey.from_holder(
            self.holder,
            public_key=None if chosen is not None else self.public_key,
            certificate=chosen,
            merchant_id=merchant_id,
            check=check,
        )

    def __repr__(self) -> str:
        return f"HeldKey({self.kind}, public_key_hash={_b64(public_key_hash(self.public_key))!r})"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
