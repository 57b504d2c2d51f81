"""The CMS layout cache is an optimisation only: with or without it, every token gets the
same answer."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applepay_crypto import ApplePayError, TokenVerifier, TrustStore, parse_token, read_token
from applepay_crypto.cms import LayoutCache, parse_signed_data
from applepay_crypto.testing import mint, sample_payload

from support import load_real_vector, real_vector_names

SIGNED = dt.datetime(2026, 7, 7, 7, 7, 7, tzinfo=dt.timezone.utc)


def outcome(verifier: TokenVerifier, token, now=SIGNED) -> str:
    try:
        verifier.verify(token, now=now)
    except ApplePayError as exc:
        return exc.code
    return "ok"


@pytest.fixture(scope="module")
def tokens(authority, ec_merchant, rsa_merchant):
    made = []
    for merchant, version in ((ec_merchant, "EC_v1"), (rsa_merchant, "RSA_v1")):
        for app_data in (None, bytes(32)):
            for _ in range(3):
                made.append(
                    parse_token(
                        mint(
                            sample_payload(),
                            recipient=merchant,
                            authority=authority,
                            version=version,
                            signing_time=SIGNED,
                            application_data=app_data,
                        )
                    )
                )
    return made


def test_cached_reads_equal_full_parses(authority, tokens) -> None:
    verifier = TokenVerifier(authority.trust_store())
    for token in tokens:
        verifier.verify(token, now=SIGNED)
    assert 1 <= len(verifier._layouts) <= 6  # one layout per leaf and signature length
    for token in tokens:
        signed, context, pending = verifier._layouts.parse(token.signature)
        assert context is not None and pending is None
        assert signed == parse_signed_data(token.signature)


@pytest.mark.parametrize("name", real_vector_names())
def test_real_tokens_read_the_same_from_the_cache(name, apple_root_path) -> None:
    vector = load_real_vector(name)
    token = read_token(vector.path / "token.json")
    verifier = TokenVerifier(TrustStore.apple_root(apple_root_path))
    verifier.verify(token, now=vector.signing_time)
    signed, context, _ = verifier._layouts.parse(token.signature)
    assert context is not None, "Apple's real layout is cacheable"
    assert signed == parse_signed_data(token.signature)
    assert verifier.verify(token, now=vector.signing_time).signing_time == vector.signing_time


def test_nothing_is_learned_from_a_rejected_token(authority, ec_merchant) -> None:
    verifier = TokenVerifier(authority.trust_store())
    token = mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    token["data"] = base64.b64encode(b"\x00" * 40).decode()
    assert outcome(verifier, parse_token(token)) == "signature_invalid"
    assert len(verifier._layouts) == 0


def test_layouts_are_bounded(authority, ec_merchant) -> None:
    cache = LayoutCache(size=2)
    verifier = TokenVerifier(authority.trust_store())
    verifier._layouts = cache
    for _ in range(5):
        variant = authority.with_leaves(
            not_before=SIGNED - dt.timedelta(days=1), not_after=SIGNED + dt.timedelta(days=1)
        )
        verifier.verify(
            parse_token(
                mint(
                    sample_payload(), recipient=ec_merchant, authority=variant, signing_time=SIGNED
                )
            ),
            now=SIGNED,
        )
    assert len(cache) <= 2


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_byte_change_gets_the_same_answer_with_and_without_cache(
    authority, tokens, data
) -> None:
    token = data.draw(st.sampled_from(tokens))
    warm = TokenVerifier(authority.trust_store())
    warm.verify(token, now=SIGNED)
    raw = bytearray(token.signature)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    changed = parse_token(
        {**token.to_json_dict(), "signature": base64.b64encode(bytes(raw)).decode()}
    )
    now = data.draw(
        st.sampled_from([SIGNED, SIGNED + dt.timedelta(minutes=6), SIGNED - dt.timedelta(days=400)])
    )
    cold = TokenVerifier(authority.trust_store())
    assert outcome(warm, changed, now) == outcome(cold, changed, now)
