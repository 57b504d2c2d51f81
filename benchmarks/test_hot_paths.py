"""pytest-benchmark suite for the hot paths (not part of the normal test run).

    pip install -e '.[test,bench]'
    python -m pytest benchmarks --benchmark-only

Timings are for comparing commits on one machine; `applepay-crypto bench` reports the
ratios to the cryptographic floor that the project tracks.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from applepay_crypto import TokenDecryptor, parse_token
from applepay_crypto.cms import parse_signed_data
from applepay_crypto.payment_data import PaymentData
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

pytest.importorskip("pytest_benchmark")

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def world():
    authority = TestAuthority.create()
    ec_merchant = TestMerchant.create(authority)
    rsa_merchant = TestMerchant.create(authority, key_type="rsa")
    ec_token = json.dumps(
        mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW)
    ).encode()
    rsa_token = json.dumps(
        mint(
            sample_payload(),
            recipient=rsa_merchant,
            authority=authority,
            version="RSA_v1",
            signing_time=NOW,
        )
    ).encode()
    decryptor = TokenDecryptor(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key], trust=authority.trust_store()
    )
    decryptor.decrypt(ec_token, now=NOW)
    decryptor.decrypt(rsa_token, now=NOW)
    return authority, ec_merchant, ec_token, rsa_token, decryptor


def test_parse_token(benchmark, world) -> None:
    benchmark(parse_token, world[2])


def test_full_cms_parse(benchmark, world) -> None:
    signature = parse_token(world[2]).signature
    benchmark(parse_signed_data, signature)


def test_verify_warm(benchmark, world) -> None:
    token = parse_token(world[2])
    benchmark(world[4].verify, token, now=NOW)


def test_decrypt_ec_v1_warm(benchmark, world) -> None:
    benchmark(world[4].decrypt, world[2], now=NOW)


def test_decrypt_rsa_v1_warm(benchmark, world) -> None:
    benchmark(world[4].decrypt, world[3], now=NOW)


def test_decrypt_cold(benchmark, world) -> None:
    authority, merchant, token, _, _ = world
    benchmark(
        lambda: TokenDecryptor(merchant.merchant_key, trust=authority.trust_store()).decrypt(
            token, now=NOW
        )
    )


def test_payment_data(benchmark) -> None:
    raw = json.dumps(sample_payload()).encode()
    benchmark(PaymentData.from_json, raw)


def test_floor_ec_v1(benchmark, world) -> None:
    authority, merchant, token, _, _ = world
    parsed = parse_token(token)
    signed = parse_signed_data(parsed.signature)
    peer = serialization.load_der_public_key(parsed.ephemeral_public_key)
    leaf = authority.ec_leaf.certificate.public_key()
    ecdsa = ec.ECDSA(hashes.SHA256())

    def floor() -> None:
        merchant.private_key.exchange(ec.ECDH(), peer)
        leaf.verify(signed.signature, signed.signed_attributes, ecdsa)

    benchmark(floor)
