"""The doctor's signature checks: Apple's steps 1.a-1.e, each run on its own.

:class:`TokenVerifier` stops at the first failure; here every step that can still be
checked is, so one run shows e.g. both an expired leaf and a token outside the window.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

from cryptography import x509

from .._timetext import utc_text
from ..keys import load_certificate
from ..moments import utc_moment
from ..signature import (
    SignedData,
    check_certificate_oids,
    check_message_digest,
    check_signer_signature,
    check_signing_time,
    environment_of,
    parse_signed_data,
    select_certificates,
    signing_time_of,
)
from ..token import PaymentToken
from ..trust import TrustStore, is_apple_root

if TYPE_CHECKING:
    from .findings import Findings

__all__ = ["RootSource", "check_signature"]

#: Where the trusted root comes from, as for :func:`decrypt_token`.
RootSource = str | os.PathLike[str] | x509.Certificate | TrustStore | None

_ALTERED_FIX = (
    "Forward Apple's exact bytes: the data, header or signature was changed (re-encoded, "
    "trimmed, or a field from another token)."
)


def check_signature(
    token: PaymentToken,
    findings: Findings,
    *,
    root: RootSource,
    now: dt.datetime,
    max_age: dt.timedelta,
) -> dt.datetime | None:
    """Record each step's finding; return the signing time when the CMS could be read."""
    now = utc_moment(now)
    signed: SignedData | None = None
    signing_time: dt.datetime | None = None
    with findings.guard("1 CMS", fix=_ALTERED_FIX):
        signed = parse_signed_data(token.signature)
        signing_time = signing_time_of(signed)
    if signed is None or signing_time is None:
        for step in ("1.a OIDs", "1.b root", "1.c chain", "1.d signature", "1.e signing time"):
            findings.skipped(step, "the signature could not be read")
        return None
    findings.ok(
        "1 CMS",
        f"Apple's signature is readable; it says the token was signed at {_iso(signing_time)}",
    )
    chain = _check_oids(signed, findings)
    trust = _check_root(root, findings)
    _check_chain(chain, signing_time, now, trust, findings)
    _check_digest_and_signature(signed, token, chain, findings)
    _check_window(signing_time, now, max_age, findings)
    return signing_time


def _iso(moment: dt.datetime) -> str:
    return utc_text(moment)


def _name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _check_oids(
    signed: SignedData, findings: Findings
) -> tuple[x509.Certificate, x509.Certificate] | None:
    chain: tuple[x509.Certificate, x509.Certificate] | None = None
    with findings.guard("1.a OIDs", fix="Only tokens signed by Apple Pay decrypt here."):
        leaf, others = select_certificates(signed)
        chain = (leaf, check_certificate_oids(leaf, others))
    if chain is not None:
        findings.ok(
            "1.a OIDs",
            f"signed by {_name(chain[0])} ({environment_of(chain[0])}), issued by "
            f"{_name(chain[1])}: both carry Apple's Apple Pay extensions",
        )
    return chain


def _check_digest_and_signature(
    signed: SignedData,
    token: PaymentToken,
    chain: tuple[x509.Certificate, x509.Certificate] | None,
    findings: Findings,
) -> None:
    if chain is None:
        findings.skipped("1.d signature", "no signing certificate to check the signature with")
        return
    start = len(findings.items)
    with findings.guard("1.d signature", fix=_ALTERED_FIX):
        check_message_digest(signed, token)
        check_signer_signature(signed, chain[0])
    if not findings.failed_since(start):
        findings.ok("1.d signature", "the signature covers exactly this token's data and header")


def _check_root(root: RootSource, findings: Findings) -> TrustStore | None:
    trust: TrustStore | None = None
    with findings.guard("1.b root", fix="Run `applepay-crypto trust install` once."):
        trust = _trust_store(root)
    if trust is None:
        return None
    if trust.apple:
        findings.ok("1.b root", "Apple Root CA - G3 is available (its fingerprint is pinned)")
    else:
        names = ", ".join(_name(r) for r in trust.roots)
        findings.warning(
            "1.b root",
            "untrusted_root",
            f"trusting {names} instead of Apple Root CA - G3: right for test tokens only",
            "For real tokens, drop --root to use the installed Apple Root CA - G3.",
        )
    return trust


def _trust_store(root: RootSource) -> TrustStore:
    if isinstance(root, TrustStore):
        return root
    if root is None:
        return TrustStore.apple_root()
    cert = root if isinstance(root, x509.Certificate) else load_certificate(root)
    if is_apple_root(cert):
        return TrustStore.apple_root(cert)
    return TrustStore.for_test_roots([cert])


def _check_chain(
    chain: tuple[x509.Certificate, x509.Certificate] | None,
    signing_time: dt.datetime,
    now: dt.datetime,
    trust: TrustStore | None,
    findings: Findings,
) -> None:
    if chain is None:
        findings.skipped("1.c chain", "no Apple certificates to build the chain from")
        return
    if trust is None:
        findings.skipped("1.c chain", "no trusted root to check the chain against (see 1.b)")
        return
    leaf, intermediate = chain
    for cert, role in ((leaf, "signing (leaf)"), (intermediate, "intermediate")):
        if not cert.not_valid_before_utc <= signing_time <= cert.not_valid_after_utc:
            findings.problem(
                "1.c chain",
                "certificate_invalid",
                _date_problem(cert, role, signing_time),
                "A token signed outside its certificate's validity is not Apple's: reject it.",
            )
            return
    start = len(findings.items)
    with findings.guard("1.c chain", fix=_chain_fix(leaf, trust)):
        trust.validate_chain(leaf, [intermediate], signing_time)
    if findings.failed_since(start):
        return
    message = "the chain leads to the trusted root and was valid at the signing time " + _iso(
        signing_time
    )
    if now > leaf.not_valid_after_utc:
        message += (
            f"; Apple's signing certificate has expired since ({_iso(leaf.not_valid_after_utc)}), "
            "which is normal for a recorded token: the chain is checked at the signing time"
        )
    findings.ok("1.c chain", message)


def _chain_fix(leaf: x509.Certificate, trust: TrustStore) -> str:
    """What to do when the chain does not lead to the trusted root (issue #14, item 7)."""
    if environment_of(leaf) == "test" and trust.apple:
        return (
            "This is a test token (signed by a test authority, as applepay-crypto mint "
            "makes): check it against that authority's root, --root CA_DIR/root.pem (in "
            "code: TrustStore.for_test_roots); real tokens chain to Apple Root CA - G3."
        )
    if not trust.apple:
        return (
            "The token is not signed under the root given: for a real Apple token, drop "
            "--root (Apple Root CA - G3 is the default); for a test token, give the root of "
            "the authority that minted it."
        )
    return "A token whose chain does not lead to Apple Root CA - G3 is not Apple's: reject it."


def _date_problem(cert: x509.Certificate, role: str, signing_time: dt.datetime) -> str:
    if signing_time > cert.not_valid_after_utc:
        late = signing_time - cert.not_valid_after_utc
        return (
            f"Apple's {role} certificate ({_name(cert)}) had expired when the token was signed: "
            f"it expired at {_iso(cert.not_valid_after_utc)}, {_days(late)} before the signing "
            f"time {_iso(signing_time)}"
        )
    early = cert.not_valid_before_utc - signing_time
    return (
        f"Apple's {role} certificate ({_name(cert)}) was not valid yet when the token was "
        f"signed: valid from {_iso(cert.not_valid_before_utc)}, {_days(early)} after the "
        f"signing time {_iso(signing_time)}"
    )


def _days(delta: dt.timedelta) -> str:
    """A duration the way people say it: 3 days, 5.5 hours, 5 min, 40 s."""
    seconds = delta.total_seconds()
    if delta >= dt.timedelta(days=2):
        return f"{delta.days} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{int(seconds)} s"


def _check_window(
    signing_time: dt.datetime, now: dt.datetime, max_age: dt.timedelta, findings: Findings
) -> None:
    start = len(findings.items)
    with findings.guard(
        "1.e signing time",
        fix=(
            "Decrypt tokens as they arrive: Apple allows a few minutes. For a recorded token, "
            f"check it at its signing time: --at {_iso(signing_time)} (in code: now=)."
        ),
    ):
        check_signing_time(signing_time, now, max_age)
    if not findings.failed_since(start):
        findings.ok(
            "1.e signing time",
            f"signed {_iso(signing_time)}, within {_days(max_age)} of the verification time "
            + _iso(now),
        )
