"""What a token says about itself, without keys and without trusting it."""

from __future__ import annotations

from typing import Any

from cryptography import x509

from ._timetext import utc_text
from .signature import (
    environment_of,
    parse_signed_data,
    readable_certificates,
    select_certificates,
    signing_time_of,
)
from .token import PaymentToken

__all__ = ["describe_certificate", "describe_token"]


def describe_certificate(cert: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "not_before": _iso(cert.not_valid_before_utc),
        "not_after": _iso(cert.not_valid_after_utc),
    }


def _iso(moment: Any) -> str:
    return utc_text(moment)


def describe_token(token: PaymentToken) -> dict[str, Any]:
    """Version, header, signing time, signer chain and environment, all unverified."""
    signed = parse_signed_data(token.signature)
    leaf, others = select_certificates(signed)
    with readable_certificates("inspect"):
        return _describe(token, signed, leaf, others)


def _describe(
    token: PaymentToken, signed: Any, leaf: x509.Certificate, others: list[x509.Certificate]
) -> dict[str, Any]:
    return {
        "version": token.version,
        "transaction_id": token.transaction_id,
        "public_key_hash": token.public_key_hash_b64,
        "application_data": token.application_data.hex() if token.application_data else None,
        "header": token.header_json(),
        "data_bytes": len(token.data),
        "signing_time": _iso(signing_time_of(signed)),
        "environment": environment_of(leaf),
        "signer": describe_certificate(leaf),
        "certificates": [describe_certificate(c) for c in (leaf, *others)],
    }
