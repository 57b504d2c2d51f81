"""``doctor``: why a token does or does not verify and decrypt, step by step, in plain words.

Other libraries answer a bad token with one exception ("tag mismatch", "no matching key").
The doctor runs every check it can, independently, and turns each outcome into a
:class:`Finding`: the step, ``ok``/``warning``/``problem``/``skipped``, the library's error
code, what it means and how to fix it. It never raises on a bad token or a bad key, and it
never shows card data: only whether the payload decrypted and its type.

The signature steps carry Apple's numbers (1.a OIDs ... 1.e signing time, as in
:mod:`signature`); the key steps follow how a token finds its key: ``publicKeyHash``, then
key type, then (EC_v1) the merchant identifier that feeds the key derivation.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._timetext import utc_text_or_none
from ..decryptor import TokenSource
from ..moments import utc_moment
from ..signature import DEFAULT_MAX_AGE, utc_now
from ..token import PaymentToken, parse_token, read_token
from .findings import INTERNAL_ERROR, Finding, Findings, Status
from .keys import check_keys
from .signature import RootSource, check_signature

__all__ = [
    "INTERNAL_ERROR",
    "Diagnosis",
    "Finding",
    "Findings",
    "RootSource",
    "Status",
    "diagnose",
]


@dataclass(frozen=True)
class Diagnosis:
    """All findings; ``ok`` when the token verified and decrypted."""

    findings: tuple[Finding, ...]
    version: str | None
    public_key_hash: str | None
    signing_time: dt.datetime | None
    verified: bool
    decrypted: bool

    @property
    def ok(self) -> bool:
        return self.verified and self.decrypted

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status == "problem")

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verified": self.verified,
            "decrypted": self.decrypted,
            "version": self.version,
            "public_key_hash": self.public_key_hash,
            "signing_time": _iso(self.signing_time),
            "findings": [f.to_dict() for f in self.findings],
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return utc_text_or_none(moment)


def diagnose(
    token: TokenSource | os.PathLike[str],
    *,
    keys: Sequence[Any] = (),
    certificates: Sequence[Any] = (),
    merchant_id: str | None = None,
    root: RootSource = None,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
) -> Diagnosis:
    """Check ``token`` against ``keys`` (paths, bytes, key objects, or keys held outside
    this process as :class:`~applepay_crypto.keys.HeldKey`) and never raise.

    ``certificates[i]`` is the payment processing certificate of ``keys[i]`` (may be
    shorter, or hold ``None``); ``merchant_id`` is the identifier the merchant believes is
    right; ``root`` as for :func:`decrypt_token` (a path, a certificate or a TrustStore;
    default the installed Apple Root CA - G3); ``now`` the verification time.
    """
    findings = Findings()
    parsed = _parse(token, findings)
    if parsed is None:
        return Diagnosis(tuple(findings.items), None, None, None, verified=False, decrypted=False)
    moment = utc_moment(now) if now is not None else utc_now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    start = len(findings.items)
    signing_time = check_signature(parsed, findings, root=root, now=moment, max_age=max_age)
    verified = signing_time is not None and not findings.failed_since(start)
    # The data is known intact when 1.d passed, even if the root or the window did not.
    intact = any(f.step == "1.d signature" and f.status == "ok" for f in findings.items)
    decrypted = check_keys(
        parsed,
        findings,
        keys=keys,
        certificates=certificates,
        merchant_id=merchant_id,
        signing_time=signing_time,
        intact=intact,
    )
    return Diagnosis(
        tuple(findings.items),
        parsed.version,
        parsed.public_key_hash_b64,
        signing_time,
        verified=verified,
        decrypted=decrypted,
    )


def _parse(token: TokenSource | os.PathLike[str], findings: Findings) -> PaymentToken | None:
    parsed: PaymentToken | None = None
    with findings.guard("token"):
        parsed = read_token(token) if isinstance(token, os.PathLike) else parse_token(token)
    if parsed is not None:
        findings.ok(
            "token",
            f"a well-formed {parsed.version} token for the key with publicKeyHash "
            f"{parsed.public_key_hash_b64}",
        )
    return parsed
