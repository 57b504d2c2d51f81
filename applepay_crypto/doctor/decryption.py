"""The doctor's decryption step: the real decryptor, with every merchant id worth trying.

EC_v1 feeds the SHA-256 of the merchant identifier into the key derivation, so a wrong
identifier surfaces only as an AES-GCM tag mismatch. Trying the identifier the merchant gave
and the certificate's (extension and UID) tells which one the token was made for.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..decryptor import TokenDecryptor
from ..errors import ApplePayError
from ..keys import (
    KeyHolder,
    MerchantKey,
    MerchantPrivateKey,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
    public_key_hash,
)
from ..merchant.certs import describe_key
from ..token import PaymentToken

if TYPE_CHECKING:
    from .findings import Findings

__all__ = ["decrypt_with"]

STEP = "decryption"


def decrypt_with(
    token: PaymentToken,
    holder: MerchantPrivateKey | KeyHolder,
    public: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    certificate: x509.Certificate | None,
    *,
    label: str,
    merchant_id: str | None,
    intact: bool,
    findings: Findings,
) -> bool:
    """Decrypt ``token`` with the key that has its publicKeyHash; record how it went."""
    if isinstance(public, ec.EllipticCurvePublicKey) != (token.version == "EC_v1"):
        findings.problem(
            STEP,
            "key_not_found",
            f"{label} is {describe_key(public)}, which cannot decrypt a {token.version} token",
        )
        return False
    candidates: list[tuple[str, bytes | None]] = (
        [*_merchant_ids(certificate, merchant_id)] if token.version == "EC_v1" else [("", None)]
    )
    if not candidates:
        findings.problem(
            STEP,
            "invalid_configuration",
            "an EC_v1 token also needs the merchant identifier (its SHA-256 is part of the key "
            "derivation), and neither a certificate nor a merchant id was given",
            "Give the payment processing certificate (--cert) or --merchant-id.",
        )
        return False
    errors: list[ApplePayError] = []
    for source, id_hash in candidates:
        try:
            result = TokenDecryptor(
                MerchantKey(holder, public_key_hash(public), id_hash),
                verify_signature=False,
            ).decrypt(token)
        except ApplePayError as exc:
            errors.append(exc)
            continue
        return _report_success(source, result.payment_data.payment_data_type, merchant_id, findings)
    _report_failure(token, [s for s, _ in candidates], errors, intact, findings)
    return False


def _merchant_ids(
    cert: x509.Certificate | None, merchant_id: str | None
) -> list[tuple[str, bytes]]:
    """Every merchant id hash worth trying, labelled, without repeats."""
    options: list[tuple[str, bytes]] = []
    if merchant_id is not None:
        # Review (#11): an id that is not valid Unicode has no hash; diagnose never raises.
        with contextlib.suppress(ApplePayError):
            options.append(
                (f"the merchant id given ({merchant_id!r})", merchant_id_hash(merchant_id))
            )
    if cert is not None:
        cert_id = merchant_id_from_certificate(cert)
        try:
            ext = merchant_id_hash_from_certificate(cert)
        except ApplePayError:
            ext = None
        if ext is not None:
            options.append(("the certificate's merchant id extension", ext))
        if cert_id is not None:
            options.append(
                (f"the certificate's merchant id ({cert_id!r})", merchant_id_hash(cert_id))
            )
    unique: dict[bytes, str] = {}
    for label, digest in options:
        unique.setdefault(digest, label)
    return [(label, digest) for digest, label in unique.items()]


def _report_success(
    source: str, payment_type: str, merchant_id: str | None, findings: Findings
) -> bool:
    """Decrypted; but only a success if it was with the merchant id the merchant configured."""
    given = f"the merchant id given ({merchant_id!r})"
    if source and merchant_id is not None and source != given:
        findings.problem(
            STEP,
            "invalid_configuration",
            f"the token decrypts with {source}, not with {given}",
            "Configure the merchant identifier the payment processing certificate was issued for.",
        )
        return False
    using = f" using {source}" if source else ""
    findings.ok(STEP, f"decrypted{using}: a {payment_type} payload (card data not shown)")
    return True


def _report_failure(
    token: PaymentToken,
    sources: list[str],
    errors: list[ApplePayError],
    intact: bool,
    findings: Findings,
) -> None:
    last = errors[-1]
    if last.code != "decryption_failed":
        findings.problem(STEP, last.code, last.message)
        return
    altered = "" if intact else " (or the token was altered: see step 1.d)"
    if token.version == "EC_v1":
        message = (
            "the key is the right one (its publicKeyHash matches) but AES-GCM rejected the data "
            f"with {' and with '.join(sources)}: EC_v1 derives the key from the SHA-256 of the "
            f"merchant identifier, so the identifier is not the one the token was made for{altered}"
        )
        fix = (
            "Use the merchant identifier the payment processing certificate was issued for "
            "(`applepay-crypto cert inspect CERT` shows it)."
        )
    else:
        message = (
            f"the RSA key matches the publicKeyHash but decryption failed: {last.message}{altered}"
        )
        fix = "Forward Apple's exact token bytes."
    findings.problem(STEP, "decryption_failed", message, fix)
