"""Apple's signature steps, each rejection with its exact code, on tokens minted under a
test authority."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto import (
    ApplePayError,
    TokenVerifier,
    TrustStore,
    parse_token,
)
from applepay_crypto.signature import parse_signed_data
from applepay_crypto.testing import TestAuthority, mint, sample_payload

SIGNED_AT = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.timezone.utc)


def minted(authority: TestAuthority, merchant, **options: Any) -> dict[str, Any]:
    options.setdefault("signing_time", SIGNED_AT)
    return mint(sample_payload(), recipient=merchant, authority=authority, **options)


def code_of(trust: TrustStore, token: Any, *, now: dt.datetime = SIGNED_AT) -> str:
    try:
        TokenVerifier(trust).verify(parse_token(token), now=now)
    except ApplePayError as exc:
        return exc.code
    return "ok"


def test_minted_token_verifies(authority, ec_merchant, rsa_merchant) -> None:
    trust = authority.trust_store()
    assert code_of(trust, minted(authority, ec_merchant)) == "ok"
    assert code_of(trust, minted(authority, rsa_merchant, version="RSA_v1")) == "ok"


def test_1a_leaf_without_apple_oid(authority, ec_merchant) -> None:
    variant = authority.with_leaves(
        not_before=SIGNED_AT - dt.timedelta(days=30),
        not_after=SIGNED_AT + dt.timedelta(days=30),
        leaf_oid=False,
    )
    assert code_of(authority.trust_store(), minted(variant, ec_merchant)) == "certificate_invalid"


def test_1a_intermediate_without_apple_oid(ec_merchant) -> None:
    variant = TestAuthority.create(intermediate_oid=False)
    assert code_of(variant.trust_store(), minted(variant, ec_merchant)) == "certificate_invalid"


def test_1b_chain_to_another_root(authority, ec_merchant) -> None:
    other = TestAuthority.create()
    assert code_of(authority.trust_store(), minted(other, ec_merchant)) == "untrusted_root"


def test_1b_root_carried_in_the_token_is_not_trusted(authority, ec_merchant) -> None:
    other = TestAuthority.create()
    token = minted(other, ec_merchant)
    info = cms.ContentInfo.load(base64.b64decode(token["signature"]))
    certificates = info["content"]["certificates"]
    certificates.append(cms.CertificateChoices({"certificate": _asn1(other.root.certificate)}))
    info["content"]["certificates"] = certificates
    token["signature"] = base64.b64encode(info.dump(force=True)).decode()
    # Review (#11): a third certificate is refused before any path is built (Apple's
    # signature carries exactly two); the root it carries is never looked at.
    assert code_of(authority.trust_store(), token) == "certificate_invalid"
    # Carried in place of the intermediate, it is not trusted either.
    other_only = minted(other, ec_merchant)
    assert code_of(authority.trust_store(), other_only) == "untrusted_root"


def _asn1(cert):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


@pytest.mark.parametrize(
    ("not_before", "not_after"),
    [
        (SIGNED_AT - dt.timedelta(days=400), SIGNED_AT - dt.timedelta(seconds=1)),  # expired
        (SIGNED_AT + dt.timedelta(seconds=1), SIGNED_AT + dt.timedelta(days=400)),  # not yet valid
    ],
)
def test_1c_leaf_not_valid_at_signing_time(authority, ec_merchant, not_before, not_after) -> None:
    variant = authority.with_leaves(not_before=not_before, not_after=not_after)
    token = minted(variant, ec_merchant)
    assert code_of(authority.trust_store(), token) == "certificate_invalid"
    with pytest.raises(ApplePayError, match=r"leaf certificate .* was not valid at signing time"):
        TokenVerifier(authority.trust_store()).verify(parse_token(token), now=SIGNED_AT)


def test_1c_cached_chain_still_checks_dates(authority, ec_merchant) -> None:
    variant = authority.with_leaves(
        not_before=SIGNED_AT - dt.timedelta(days=1), not_after=SIGNED_AT + dt.timedelta(days=1)
    )
    verifier = TokenVerifier(authority.trust_store())
    verifier.verify(parse_token(minted(variant, ec_merchant)), now=SIGNED_AT)
    later = SIGNED_AT + dt.timedelta(days=2)
    token = parse_token(minted(variant, ec_merchant, signing_time=later))
    with pytest.raises(ApplePayError) as caught:
        verifier.verify(token, now=later)
    assert caught.value.code == "certificate_invalid"


def _flip(b64: str, index: int = -20) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("data", lambda t: t.update(data=_flip(t["data"]))),
        (
            "ephemeralPublicKey",
            lambda t: t["header"].update(
                ephemeralPublicKey=_flip(t["header"]["ephemeralPublicKey"], -1)
            ),
        ),
        (
            "transactionId",
            lambda t: t["header"].update(transactionId="00" + t["header"]["transactionId"][2:]),
        ),
        ("applicationData dropped", lambda t: t["header"].pop("applicationData")),
        ("applicationData changed", lambda t: t["header"].update(applicationData="ff" * 32)),
        ("applicationData added", None),
    ],
)
def test_1d_message_digest_covers_every_signed_field(authority, ec_merchant, field, change) -> None:
    if change is None:
        token = minted(authority, ec_merchant)
        token["header"]["applicationData"] = "ab" * 32
    else:
        token = minted(authority, ec_merchant, application_data=bytes(32))
        change(token)
    assert code_of(authority.trust_store(), token) == "signature_invalid", field


def test_1d_rsa_wrapped_key_is_covered(authority, rsa_merchant) -> None:
    token = minted(authority, rsa_merchant, version="RSA_v1")
    token["header"]["wrappedKey"] = _flip(token["header"]["wrappedKey"])
    assert code_of(authority.trust_store(), token) == "signature_invalid"


def test_1d_signature_value_altered(authority, ec_merchant) -> None:
    token = minted(authority, ec_merchant)
    raw = base64.b64decode(token["signature"])
    info = cms.ContentInfo.load(raw)
    sig = info["content"]["signer_infos"][0]["signature"].native
    position = raw.index(sig) + len(sig) - 3
    tampered = bytearray(raw)
    tampered[position] ^= 0x01
    token["signature"] = base64.b64encode(bytes(tampered)).decode()
    assert code_of(authority.trust_store(), token) == "signature_invalid"


def test_publickeyhash_is_not_signed_so_it_is_checked_at_key_lookup(authority, ec_merchant) -> None:
    token = minted(authority, ec_merchant)
    token["header"]["publicKeyHash"] = base64.b64encode(bytes(32)).decode()
    assert code_of(authority.trust_store(), token) == "ok"


def resign(
    token: dict[str, Any],
    authority: TestAuthority,
    change: Callable[[list[Any]], list[Any]],
) -> dict[str, Any]:
    """Rebuild the signed attributes with ``change`` applied and sign them properly, so only
    the attribute check can fail."""
    info = cms.ContentInfo.load(base64.b64decode(token["signature"]))
    signer = info["content"]["signer_infos"][0]
    attributes = cms.CMSAttributes(
        change([cms.CMSAttribute.load(a.dump()) for a in signer["signed_attrs"]])
    )
    key = authority.ec_leaf.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signer["signed_attrs"] = attributes
    signer["signature"] = key.sign(attributes.dump(force=True), ec.ECDSA(hashes.SHA256()))
    return {**token, "signature": base64.b64encode(info.dump(force=True)).decode()}


def _drop(name: str) -> Callable[[list[Any]], list[Any]]:
    return lambda attributes: [a for a in attributes if a["type"].native != name]


def test_resigned_token_still_verifies(authority, ec_merchant) -> None:
    token = resign(minted(authority, ec_merchant), authority, lambda attrs: attrs)
    assert code_of(authority.trust_store(), token) == "ok"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("signing_time", "signature_invalid"),
        ("message_digest", "signature_invalid"),
        ("content_type", "signature_invalid"),
        ("cms_algorithm_protection", "ok"),  # optional (the 2014 Apple token has none)
    ],
)
def test_signed_attributes_required(authority, ec_merchant, name, code) -> None:
    token = resign(minted(authority, ec_merchant), authority, _drop(name))
    assert code_of(authority.trust_store(), token) == code


def test_algorithm_protection_must_agree(authority, ec_merchant) -> None:
    def lie(attributes: list[Any]) -> list[Any]:
        for attribute in attributes:
            if attribute["type"].native == "cms_algorithm_protection":
                attribute["values"] = [
                    {
                        "digest_algorithm": {"algorithm": "sha384"},
                        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                    }
                ]
        return attributes

    token = resign(minted(authority, ec_merchant), authority, lie)
    assert code_of(authority.trust_store(), token) == "signature_invalid"


def test_exactly_one_signer(authority, ec_merchant) -> None:
    token = minted(authority, ec_merchant)
    info = cms.ContentInfo.load(base64.b64decode(token["signature"]))
    signers = info["content"]["signer_infos"]
    info["content"]["signer_infos"] = cms.SignerInfos(
        [signers[0], cms.SignerInfo.load(signers[0].dump())]
    )
    token["signature"] = base64.b64encode(info.dump(force=True)).decode()
    assert code_of(authority.trust_store(), token) == "signature_invalid"


def test_signer_chosen_by_issuer_and_serial(authority, ec_merchant) -> None:
    token = minted(authority, ec_merchant)
    info = cms.ContentInfo.load(base64.b64decode(token["signature"]))
    sid = info["content"]["signer_infos"][0]["sid"].chosen
    sid["serial_number"] = sid["serial_number"].native + 1
    token["signature"] = base64.b64encode(info.dump(force=True)).decode()
    with pytest.raises(ApplePayError, match="0 certificates match the signer"):
        TokenVerifier(authority.trust_store()).verify(parse_token(token), now=SIGNED_AT)


@pytest.mark.parametrize("garbage", [b"\x30\x80", b"\x00" * 10, b"\x30\x03\x02\x01\x01", b"hello"])
def test_unreadable_cms(authority, ec_merchant, garbage) -> None:
    token = minted(authority, ec_merchant)
    token["signature"] = base64.b64encode(garbage).decode()
    assert code_of(authority.trust_store(), token) == "signature_invalid"


def test_1e_window_both_sides_and_configurable(authority, ec_merchant) -> None:
    token = parse_token(minted(authority, ec_merchant))
    trust = authority.trust_store()
    for offset in (dt.timedelta(minutes=5), -dt.timedelta(minutes=5)):
        TokenVerifier(trust).verify(token, now=SIGNED_AT + offset)
    for offset in (dt.timedelta(minutes=5, seconds=1), -dt.timedelta(minutes=5, seconds=1)):
        assert code_of(trust, token, now=SIGNED_AT + offset) == "signing_time_out_of_window"
    wide = TokenVerifier(trust, max_age=dt.timedelta(hours=1))
    wide.verify(token, now=SIGNED_AT + dt.timedelta(minutes=59))


def test_1e_clock_is_injectable(authority, ec_merchant) -> None:
    token = parse_token(minted(authority, ec_merchant))
    verifier = TokenVerifier(
        authority.trust_store(), clock=lambda: SIGNED_AT + dt.timedelta(minutes=1)
    )
    assert verifier.verify(token).signing_time == SIGNED_AT


def test_naive_now_is_utc(authority, ec_merchant) -> None:
    token = parse_token(minted(authority, ec_merchant))
    TokenVerifier(authority.trust_store()).verify(token, now=SIGNED_AT.replace(tzinfo=None))


def test_signed_attributes_are_reencoded_as_a_set(authority, ec_merchant) -> None:
    signed = parse_signed_data(parse_token(minted(authority, ec_merchant)).signature)
    assert signed.signed_attributes[0] == 0x31
