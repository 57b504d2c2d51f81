"""Mint Apple-Pay-shaped test tokens under a test authority.

Merchants cannot get Apple to sign tokens on demand; this package signs them the way
Apple does, with a test root you trust explicitly::

    from applepay_crypto import TokenDecryptor
    from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

    authority = TestAuthority.create()
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example")
    token = mint(sample_payload(), recipient=merchant, authority=authority)
    TokenDecryptor(merchant.merchant_key, trust=authority.trust_store()).decrypt(token)

Never trust a test root in production.
"""

from .authority import CertifiedKey, TestAuthority
from .issuing import issue_from_csr, read_csr
from .merchant import TestMerchant, merchant_identity_certificate, payment_processing_certificate
from .mint import ephemeral_key_with_leading_zero, mint, sign_detached
from .payload import TEST_PAN, emv_payload, luhn_check_digit, sample_payload, test_pan

__all__ = [
    "TEST_PAN",
    "CertifiedKey",
    "TestAuthority",
    "TestMerchant",
    "emv_payload",
    "ephemeral_key_with_leading_zero",
    "issue_from_csr",
    "luhn_check_digit",
    "merchant_identity_certificate",
    "mint",
    "payment_processing_certificate",
    "read_csr",
    "sample_payload",
    "sign_detached",
    "test_pan",
]
