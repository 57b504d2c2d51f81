"""Fixtures for the certificate, doctor and merchant session tests (helpers: certs_support)."""

from __future__ import annotations

import datetime as dt

import pytest
from certs_support import Identity, make_certificate, merchant_id_extension, merchant_name, real
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from applepay_crypto.testing import TestAuthority

from support import REAL_VECTORS, RealVector


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def identity(authority: TestAuthority, rsa_key: rsa.RSAPrivateKey) -> Identity:
    merchant_id = "merchant.com.example.ec"
    cert = make_certificate(
        rsa_key,
        merchant_name(merchant_id, f"Apple Pay Merchant Identity:{merchant_id}"),
        issuer=authority.root,
        extra=(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
            merchant_id_extension(merchant_id),
        ),
        not_before=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1),
        not_after=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=800),
    )
    return Identity(merchant_id, rsa_key, cert)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def vector(request: pytest.FixtureRequest) -> RealVector:
    if not REAL_VECTORS.is_dir():
        pytest.skip(f"{REAL_VECTORS} is absent: the real vectors in ../shared are not here")
    return real(request.param)
