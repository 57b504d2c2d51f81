"""Merchant keys: loading, the merchant identifier, and a keyring chosen by publicKeyHash.

A token names the key it was encrypted to by ``header.publicKeyHash``: base64 of SHA-256
over the DER SubjectPublicKeyInfo of the payment processing certificate's public key.
During a certificate renewal both keys are live, so decryptors hold a keyring.

The private key itself is used through one of two small seams (issue #12): EC_v1 needs only
Z = ECDH(merchant key, ephemeral key) from whoever holds the key (:class:`KeyAgreement`),
RSA_v1 only the RSA-OAEP-SHA256 unwrap of ``wrappedKey`` (:class:`KeyUnwrapper`). The KDF,
AES-GCM and every check stay in the library. A ``cryptography`` key in this process is one
holder (the default and the fast path), a PKCS#11 token (:mod:`applepay_crypto.keys.pkcs11`)
another, a cloud KMS or a remote signer a third (docs/hsm.md).
"""

from __future__ import annotations

from .files import (
    InsecureKeyFileWarning,
    MerchantPrivateKey,
    load_certificate,
    load_private_key,
    save_private_key,
    warn_if_exposed,
)
from .identity import (
    MERCHANT_ID_OID,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
    public_key_hash,
)
from .in_process import InProcessKeyAgreement, InProcessKeyUnwrapper
from .keyring import Keyring
from .merchant_key import HeldKey, MerchantKey, name_the_pair
from .seams import KeyAgreement, KeyHolder, KeyLookup, KeyUnwrapper, holder_matches

__all__ = [
    "MERCHANT_ID_OID",
    "HeldKey",
    "InProcessKeyAgreement",
    "InProcessKeyUnwrapper",
    "InsecureKeyFileWarning",
    "KeyAgreement",
    "KeyHolder",
    "KeyLookup",
    "KeyUnwrapper",
    "Keyring",
    "MerchantKey",
    "MerchantPrivateKey",
    "holder_matches",
    "load_certificate",
    "load_private_key",
    "merchant_id_from_certificate",
    "merchant_id_hash",
    "merchant_id_hash_from_certificate",
    "name_the_pair",
    "public_key_hash",
    "save_private_key",
    "warn_if_exposed",
]
