"""``cert inspect``: what a certificate is and whether it is fit for its Apple Pay job.

One report answers the questions merchants ask support: which kind of certificate is this,
which merchant identifier does it carry (extension 1.2.840.113635.100.6.32 and subject UID,
and do they agree), what key, how long is it still valid, which ``publicKeyHash`` will
tokens carry, and does this private key belong to it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from .._timetext import utc_text
from ..errors import ConfigurationError
from ..keys import (
    HeldKey,
    MerchantPrivateKey,
    holder_matches,
    load_private_key,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
)
from ..keys.files import PathOrBytes
from ..moments import utc_moment
from ..trust import fingerprint
from .certfiles import read_certificate_file
from .certs import (
    CertificateKind,
    certificate_public_key,
    certificate_public_key_hash,
    classify_certificate,
    days_left,
    describe_key,
    key_belongs_to,
)

__all__ = ["EXPIRY_WARNING_DAYS", "CertificateReport", "inspect_certificate", "inspect_file"]

#: Apple starts e-mailing 30 days before a merchant certificate expires; so do we.
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class CertificateReport:
    """Everything ``cert inspect`` shows; ``warnings`` are the things to act on."""

    kind: CertificateKind
    label: str
    kind_basis: str
    kind_certain: bool
    subject: str
    issuer: str
    serial: str
    sha256: str
    merchant_id: str | None
    merchant_id_hash: str | None
    merchant_id_agrees: bool | None
    key: str
    key_type: str
    key_size: int
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    #: ``now`` is past ``notAfter`` (``days_left`` is then 0 or less).
    expired: bool
    public_key_hash: str
    key_matches: bool | None
    file_format: str | None
    warnings: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "kind_basis": self.kind_basis,
            "kind_certain": self.kind_certain,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "sha256": self.sha256,
            "merchant_id": self.merchant_id,
            "merchant_id_hash": self.merchant_id_hash,
            "merchant_id_agrees": self.merchant_id_agrees,
            "key": self.key,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "days_left": self.days_left,
            "expired": self.expired,
            "public_key_hash": self.public_key_hash,
            "key_matches": self.key_matches,
            "file_format": self.file_format,
            "warnings": list(self.warnings),
        }


def _iso(moment: dt.datetime) -> str:
    return utc_text(moment)


def inspect_certificate(
    certificate: x509.Certificate,
    *,
    private_key: MerchantPrivateKey | HeldKey | None = None,
    now: dt.datetime | None = None,
    file_format: str | None = None,
) -> CertificateReport:
    """Describe ``certificate``; with ``private_key``, say whether the key belongs to it
    (a key held in a token is asked to do one operation: issue #12)."""
    moment = utc_moment(now) if now is not None else dt.datetime.now(dt.timezone.utc)
    kind = classify_certificate(certificate)
    public_key = certificate_public_key(certificate)
    warnings: list[str] = []
    merchant_id = merchant_id_from_certificate(certificate)
    id_hash = _merchant_id_hash(certificate, warnings)
    agrees = None
    if merchant_id is not None and id_hash is not None:
        agrees = merchant_id_hash(merchant_id) == id_hash
        if not agrees:
            warnings.append(
                f"the merchant id extension is not the SHA-256 of the subject UID {merchant_id!r}: "
                "the certificate was not issued for that merchant identifier"
            )
    left = days_left(certificate, moment)
    warnings.extend(_validity_warnings(certificate, moment, left))
    warnings.extend(_kind_warnings(kind.kind, public_key))
    matches = _key_matches(private_key, certificate) if private_key is not None else None
    if matches is False:
        warnings.append(
            "the private key does not belong to this certificate (renewed certificate with the "
            "old key, or the other merchant certificate's key?)"
        )
    return CertificateReport(
        kind=kind.kind,
        label=kind.label,
        kind_basis=kind.basis,
        kind_certain=kind.certain,
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        serial=format(certificate.serial_number, "X"),
        sha256=fingerprint(certificate).hex().upper(),
        merchant_id=merchant_id,
        merchant_id_hash=id_hash.hex().upper() if id_hash is not None else None,
        merchant_id_agrees=agrees,
        key=describe_key(public_key),
        key_type="ec" if isinstance(public_key, ec.EllipticCurvePublicKey) else "rsa",
        key_size=public_key.key_size,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        days_left=left,
        expired=moment > certificate.not_valid_after_utc,
        public_key_hash=certificate_public_key_hash(certificate),
        key_matches=matches,
        file_format=file_format,
        warnings=tuple(warnings),
    )


def inspect_file(
    source: PathOrBytes,
    *,
    password: bytes | None = None,
    key: PathOrBytes | MerchantPrivateKey | HeldKey | None = None,
    key_password: bytes | None = None,
    now: dt.datetime | None = None,
) -> CertificateReport:
    """:func:`inspect_certificate` on a ``.cer``, PEM or ``.p12`` file (a ``.p12``'s own key
    is checked unless ``key`` is given)."""
    loaded = read_certificate_file(source, password=password)
    private_key: MerchantPrivateKey | HeldKey | None = None
    if isinstance(key, HeldKey):
        private_key = key
    elif key is not None:
        private_key = load_private_key(key, password=key_password)
    return inspect_certificate(
        loaded.certificate,
        private_key=private_key or loaded.private_key,
        now=now,
        file_format=loaded.format,
    )


def _key_matches(key: MerchantPrivateKey | HeldKey, certificate: x509.Certificate) -> bool:
    if not isinstance(key, HeldKey):
        return key_belongs_to(key, certificate)
    # The public key stored beside a key in a token may be another key's: the private key
    # itself is asked (one ECDH or unwrap with a throw-away peer).
    return holder_matches(key.holder, certificate_public_key(certificate))


def _merchant_id_hash(certificate: x509.Certificate, warnings: list[str]) -> bytes | None:
    try:
        return merchant_id_hash_from_certificate(certificate)
    except ConfigurationError as exc:
        warnings.append(exc.message)
        return None


def _validity_warnings(certificate: x509.Certificate, now: dt.datetime, left: int) -> list[str]:
    if now < certificate.not_valid_before_utc:
        return [f"not valid yet: valid from {_iso(certificate.not_valid_before_utc)}"]
    if now > certificate.not_valid_after_utc:
        return [
            f"expired {_days(-left)} ago ({_iso(certificate.not_valid_after_utc)}): create a new "
            "certificate in Apple's developer portal"
        ]
    if left < EXPIRY_WARNING_DAYS:
        return [
            f"expires in {_days(left)} ({_iso(certificate.not_valid_after_utc)}): renew it now; "
            "keep the old key until no token carries its publicKeyHash"
        ]
    return []


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _kind_warnings(kind: CertificateKind, public_key: Any) -> list[str]:
    is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)
    if kind == "merchant_identity":
        notes = [
            "a merchant identity certificate is the TLS client certificate for merchant sessions; "
            "tokens are never encrypted to it, so it cannot decrypt them"
        ]
        if is_ec or public_key.key_size != 2048:
            notes.append("Apple issues merchant identity certificates for RSA-2048 keys only")
        return notes
    if kind == "payment_processing":
        if is_ec and not isinstance(public_key.curve, ec.SECP256R1):
            return ["EC_v1 tokens need a P-256 key; this certificate's key cannot decrypt them"]
        if not is_ec:
            return ["an RSA payment processing certificate decrypts RSA_v1 tokens (China) only"]
    return []
