"""Mint tokens the way Apple does: encrypt to a merchant key, sign with detached CMS.

The CMS matches Apple's bytes in shape: BER with indefinite lengths around ContentInfo,
SignedData, the empty id-data content and the certificate set; SHA-256; signed attributes
content-type, signing-time, CMS algorithm protection and message-digest; the leaf and the
intermediate certificates.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .. import ec_v1, rsa_v1
from ..keys import (
    MerchantKey,
    merchant_id_from_certificate,
    merchant_id_hash,
    merchant_id_hash_from_certificate,
    public_key_hash,
)
from ..token import PaymentToken
from .authority import CertifiedKey, TestAuthority
from .merchant import TestMerchant

__all__ = ["Recipient", "ephemeral_key_with_leading_zero", "mint", "sign_detached"]

Recipient = (
    TestMerchant | MerchantKey | x509.Certificate | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
)
_ZERO_IV = bytes(16)


def _resolve(recipient: Recipient, merchant_id: str | None) -> tuple[Any, bytes | None]:
    """The recipient's public key and the SHA-256 of its merchant id (EC_v1's party V)."""
    id_hash = merchant_id_hash(merchant_id) if merchant_id is not None else None
    if isinstance(recipient, TestMerchant):
        return recipient.certificate.public_key(), id_hash or merchant_id_hash(
            recipient.merchant_id
        )
    if isinstance(recipient, MerchantKey):
        return recipient.private_key.public_key(), id_hash or recipient.merchant_id_hash
    if isinstance(recipient, x509.Certificate):
        if id_hash is None:
            id_hash = merchant_id_hash_from_certificate(recipient)
        if id_hash is None and (uid := merchant_id_from_certificate(recipient)) is not None:
            id_hash = merchant_id_hash(uid)
        return recipient.public_key(), id_hash
    return recipient, id_hash


def ephemeral_key_with_leading_zero(
    merchant_public_key: ec.EllipticCurvePublicKey,
) -> ec.EllipticCurvePrivateKey:
    """An ephemeral key whose shared secret with the merchant starts with a zero byte: the
    1-in-256 token that libraries round-tripping Z through an integer fail to decrypt."""
    while True:
        candidate = ec.generate_private_key(ec.SECP256R1())
        if candidate.exchange(ec.ECDH(), merchant_public_key)[0] == 0:
            return candidate


def _encrypt_ec(
    plaintext: bytes,
    public_key: ec.EllipticCurvePublicKey,
    id_hash: bytes,
    ephemeral_key: ec.EllipticCurvePrivateKey | None,
) -> tuple[bytes, dict[str, str], bytes]:
    ephemeral = ephemeral_key or ec.generate_private_key(ec.SECP256R1())
    key = ec_v1.derive_symmetric_key(ephemeral.exchange(ec.ECDH(), public_key), id_hash)
    spki = ephemeral.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return AESGCM(key).encrypt(_ZERO_IV, plaintext, None), {"ephemeralPublicKey": _b64(spki)}, spki


def _encrypt_rsa(
    plaintext: bytes, public_key: rsa.RSAPublicKey
) -> tuple[bytes, dict[str, str], bytes]:
    key = AESGCM.generate_key(bit_length=128)
    wrapped = public_key.encrypt(key, rsa_v1.OAEP_PADDING)
    return AESGCM(key).encrypt(_ZERO_IV, plaintext, None), {"wrappedKey": _b64(wrapped)}, wrapped


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def mint(
    payload: Mapping[str, Any] | bytes,
    *,
    recipient: Recipient,
    authority: TestAuthority,
    merchant_id: str | None = None,
    version: str = "EC_v1",
    signing_time: dt.datetime | None = None,
    application_data: bytes | None = None,
    transaction_id: str | None = None,
    ephemeral_key: ec.EllipticCurvePrivateKey | None = None,
    signer: CertifiedKey | None = None,
    certificates: Sequence[x509.Certificate] | None = None,
) -> dict[str, Any]:
    """A ``paymentData`` JSON object encrypting ``payload`` to ``recipient``.

    ``application_data`` is the value for ``header.applicationData`` (Apple puts there the
    SHA-256 of the PKPaymentRequest's applicationData). ``merchant_id`` overrides the one
    the recipient carries, e.g. to mint a token for the wrong merchant. ``signer`` and
    ``certificates`` (the signature's certificate set, in order) replace the authority's
    leaf and [leaf, intermediate]: chains of any shape (:mod:`.chains`).
    """
    plaintext = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    public_key, id_hash = _resolve(recipient, merchant_id)
    if version == "EC_v1":
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise ValueError("EC_v1 tokens are encrypted to an EC P-256 key")
        if id_hash is None:
            raise ValueError("EC_v1 needs the merchant id (from the certificate or merchant_id=)")
        data, key_header, material = _encrypt_ec(plaintext, public_key, id_hash, ephemeral_key)
    elif version == "RSA_v1":
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise ValueError("RSA_v1 tokens are encrypted to an RSA key")
        data, key_header, material = _encrypt_rsa(plaintext, public_key)
    else:
        raise ValueError(f"cannot mint version {version!r}")
    transaction_id = transaction_id or secrets.token_hex(32)
    header = {
        **key_header,
        "publicKeyHash": _b64(public_key_hash(public_key)),
        "transactionId": transaction_id,
    }
    if application_data is not None:
        header["applicationData"] = application_data.hex()
    token = PaymentToken(
        version=version,
        data=data,
        signature=b"",
        public_key_hash=public_key_hash(public_key),
        transaction_id=transaction_id,
        ephemeral_public_key=material if version == "EC_v1" else None,
        wrapped_key=material if version == "RSA_v1" else None,
        application_data=application_data,
    )
    signature = sign_detached(
        token.signed_content(),
        signer=signer or authority.leaf_for(version),
        intermediate=authority.intermediate,
        signing_time=signing_time or dt.datetime.now(dt.timezone.utc),
        certificates=certificates,
    )
    return {"version": version, "data": _b64(data), "signature": _b64(signature), "header": header}


def _indefinite(tag: int, *parts: bytes) -> bytes:
    """A BER constructed value with indefinite length, as Apple emits."""
    return bytes((tag, 0x80)) + b"".join(parts) + b"\x00\x00"


def sign_detached(
    content: bytes,
    *,
    signer: CertifiedKey,
    intermediate: CertifiedKey,
    signing_time: dt.datetime,
    certificates: Sequence[x509.Certificate] | None = None,
) -> bytes:
    """Detached CMS SignedData over ``content``, shaped like Apple's token signatures.

    The certificate set is [signer, intermediate] unless ``certificates`` gives another."""
    is_ec = isinstance(signer.private_key, ec.EllipticCurvePrivateKey)
    signature_algorithm = "sha256_ecdsa" if is_ec else "sha256_rsa"
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}
            ),
            cms.CMSAttribute(
                {
                    "type": "cms_algorithm_protection",
                    "values": [
                        {
                            "digest_algorithm": {"algorithm": "sha256"},
                            "signature_algorithm": {"algorithm": signature_algorithm},
                        }
                    ],
                }
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
        ]
    )
    to_sign = attributes.dump()
    if isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        signature = signer.private_key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    else:
        signature = signer.private_key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
    leaf_der = signer.certificate.public_bytes(serialization.Encoding.DER)
    leaf = asn1_x509.Certificate.load(leaf_der)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": leaf.issuer,
                        "serial_number": leaf.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    digest_algorithms = cms.DigestAlgorithms([{"algorithm": "sha256"}]).dump()
    return _indefinite(
        0x30,
        core.ObjectIdentifier("1.2.840.113549.1.7.2").dump(),  # signedData
        _indefinite(
            0xA0,
            _indefinite(
                0x30,
                core.Integer(1).dump(),
                digest_algorithms,
                _indefinite(0x30, core.ObjectIdentifier("1.2.840.113549.1.7.1").dump()),  # data
                _indefinite(
                    0xA0,
                    *(
                        (
                            leaf_der,
                            intermediate.certificate.public_bytes(serialization.Encoding.DER),
                        )
                        if certificates is None
                        else (c.public_bytes(serialization.Encoding.DER) for c in certificates)
                    ),
                ),
                cms.SignerInfos([signer_info]).dump(),
            ),
        ),
    )
