"""The doctor's key checks: each key and certificate, then which one has the publicKeyHash.

The mistakes caught here are the ones merchants make most: the merchant identity
certificate given for the payment processing one, a key paired with another certificate,
a merchant id that differs from the certificate's, the old key after a renewal, an RSA key
for an EC_v1 token. Decryption itself is :mod:`.decryption`.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..keys import (
    HeldKey,
    KeyHolder,
    MerchantPrivateKey,
    load_certificate,
    load_private_key,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
    public_key_hash,
)
from ..merchant.certs import (
    certificate_public_key,
    certificate_public_key_hash,
    classify_certificate,
    describe_key,
)
from ..token import PaymentToken
from .decryption import STEP, decrypt_with

if TYPE_CHECKING:
    from .findings import Findings

__all__ = ["check_keys"]

_STEP_HASH = "publicKeyHash"
_PAIR_FIX = (
    "Pair each --key with its own payment processing certificate (--cert at the same "
    "position); after a renewal the new certificate goes with the new key."
)


@dataclass(frozen=True)
class _Key:
    label: str
    #: The private key in this process, or a holder of it elsewhere (issue #12: a token).
    holder: MerchantPrivateKey | KeyHolder
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    certificate: x509.Certificate | None

    @property
    def hash_b64(self) -> str:
        return base64.b64encode(public_key_hash(self.public_key)).decode("ascii")


def _label(index: int, source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return f"key {index + 1} ({os.fspath(source)})"
    if isinstance(source, HeldKey):
        return f"key {index + 1} ({source.kind})"
    return f"key {index + 1}"


def check_keys(
    token: PaymentToken,
    findings: Findings,
    *,
    keys: Sequence[Any],
    certificates: Sequence[Any],
    merchant_id: str | None,
    signing_time: dt.datetime | None,
    intact: bool,
) -> bool:
    """Record the key findings; return whether the token decrypted."""
    loaded = [
        key
        for index, source in enumerate(keys)
        if (key := _load(index, source, certificates, findings)) is not None
    ]
    for key in loaded:
        _check_pair(key, merchant_id, signing_time, findings)
    match = _find_key(token, loaded, findings)
    if match is None:
        findings.skipped(STEP, "no key given has the token's publicKeyHash")
        return False
    return decrypt_with(
        token,
        match.holder,
        match.public_key,
        match.certificate,
        label=match.label,
        merchant_id=merchant_id,
        intact=intact,
        findings=findings,
    )


def _load(index: int, source: Any, certificates: Sequence[Any], findings: Findings) -> _Key | None:
    label = _label(index, source)
    cert_source = certificates[index] if index < len(certificates) else None
    certificate: x509.Certificate | None = None
    if cert_source is not None:
        with findings.guard(label, fix="Give the certificate as Apple's .cer or as PEM."):
            certificate = load_certificate(cert_source)
    if isinstance(source, HeldKey):  # a key in a token: its stored certificate by default
        chosen = certificate if cert_source is not None else source.certificate
        return _Key(label, source.holder, source.public_key, chosen)
    private_key: MerchantPrivateKey | None = None
    with findings.guard(label, fix="Give the payment processing private key (PEM or DER)."):
        private_key = load_private_key(source)
    if private_key is None:
        return None
    return _Key(label, private_key, private_key.public_key(), certificate)


def _check_pair(
    key: _Key, merchant_id: str | None, signing_time: dt.datetime | None, findings: Findings
) -> None:
    cert = key.certificate
    described = f"{describe_key(key.public_key)} key with publicKeyHash {key.hash_b64}"
    if cert is None:
        findings.ok(key.label, f"{described} (no certificate given)")
        return
    start = len(findings.items)
    kind = classify_certificate(cert)
    if kind.kind == "merchant_identity":
        findings.problem(
            key.label,
            "invalid_configuration",
            f"the certificate is a merchant identity certificate ({kind.basis}): the TLS client "
            "certificate for merchant sessions. Apple never encrypts tokens to it.",
            "Use the Apple Pay payment processing certificate and its private key.",
        )
    elif kind.kind != "payment_processing":
        findings.problem(
            key.label,
            "invalid_configuration",
            f"the certificate is {kind.label}, not a payment processing certificate",
            "Use the Apple Pay payment processing certificate and its private key.",
        )
    if public_key_hash(key.public_key) != public_key_hash(certificate_public_key(cert)):
        findings.problem(
            key.label,
            "invalid_configuration",
            "the certificate does not belong to this private key",
            _PAIR_FIX,
        )
    _check_merchant_id(key, cert, merchant_id, findings)
    if (
        kind.kind == "payment_processing"
        and signing_time is not None
        and not cert.not_valid_before_utc <= signing_time <= cert.not_valid_after_utc
    ):
        findings.warning(
            key.label,
            "certificate_invalid",
            f"the certificate was not valid when the token was signed (valid "
            f"{cert.not_valid_before_utc.date()} to {cert.not_valid_after_utc.date()}): "
            "Apple encrypts to the current certificate, so the token is likely for another one",
        )
    if not findings.failed_since(start):
        who = merchant_id_from_certificate(cert) or "an unnamed merchant"
        findings.ok(key.label, f"{described}, with its payment processing certificate for {who}")


def _check_merchant_id(
    key: _Key, cert: x509.Certificate, merchant_id: str | None, findings: Findings
) -> None:
    if merchant_id is None:
        return
    cert_id = merchant_id_from_certificate(cert)
    cert_hash: bytes | None = None
    with findings.guard(key.label):
        cert_hash = merchant_id_hash_from_certificate(cert)
    expected = cert_hash or (merchant_id_hash(cert_id) if cert_id else None)
    if expected is not None and expected != merchant_id_hash(merchant_id):
        findings.problem(
            key.label,
            "invalid_configuration",
            f"the merchant id given ({merchant_id!r}) differs from the certificate's"
            + (f" ({cert_id!r})" if cert_id else ""),
            "Use the identifier the certificate was issued for, or leave --merchant-id out.",
        )


def _find_key(token: PaymentToken, keys: list[_Key], findings: Findings) -> _Key | None:
    wanted = token.public_key_hash_b64
    for key in keys:
        if key.hash_b64 == wanted:
            findings.ok(_STEP_HASH, f"the token needs publicKeyHash {wanted}: {key.label} has it")
            return key
    held = (
        "; ".join(f"{k.label}: {k.hash_b64} ({describe_key(k.public_key)})" for k in keys)
        or "no usable key was given"
    )
    message = f"the token was encrypted to the key with publicKeyHash {wanted}; {held}"
    message += _version_hint(token, keys) + _certificate_hint(wanted, keys)
    findings.problem(
        _STEP_HASH,
        "key_not_found",
        message,
        "Find the payment processing key whose certificate has this hash (`applepay-crypto "
        "keys hash --cert FILE`). Keep the old key after a renewal until no token carries its "
        "hash; tokens for another merchant id or environment need that merchant's key.",
    )
    return None


def _version_hint(token: PaymentToken, keys: list[_Key]) -> str:
    kinds = {isinstance(k.public_key, ec.EllipticCurvePublicKey) for k in keys}
    if token.version == "EC_v1" and kinds == {False}:
        return (
            ". This is an EC_v1 token: it needs an EC P-256 payment processing key, and every "
            "key given is RSA (an RSA_v1 key, or the merchant identity key)"
        )
    if token.version == "RSA_v1" and kinds == {True}:
        return (
            ". This is an RSA_v1 token (China): it needs the RSA-2048 payment processing key, "
            "and every key given is EC"
        )
    return ""


def _certificate_hint(wanted: str, keys: list[_Key]) -> str:
    for key in keys:
        if key.certificate is not None and certificate_public_key_hash(key.certificate) == wanted:
            return (
                f". The certificate given with {key.label} has it: find the private key that "
                "belongs to that certificate"
            )
    return ""
