"""``keys new``: a merchant private key, the CSR to upload to Apple, and a stand-in certificate.

Two purposes, two kinds of key (Apple's portal rejects anything else):

- ``processing``: the payment processing key tokens are encrypted to. EC P-256 (EC_v1), or
  RSA-2048 for RSA_v1 (China). Besides the CSR, a stand-in certificate carrying the merchant
  id extension is written, signed by a test authority or self-signed, so tokens can be
  minted and decrypted before Apple's certificate arrives. Apple's ``.cer`` replaces it.
- ``identity``: the merchant identity key, RSA-2048; the TLS client key for merchant
  sessions. Only the key and the CSR: the certificate can only come from Apple.

File names follow :meth:`TestMerchant.save`: ``merchant.key``/``.csr``/``.pem`` for
processing, ``identity.key``/``.csr`` for identity.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization

from ..errors import ConfigurationError, OutputExistsError
from ..keys import MerchantPrivateKey
from ..testing.authority import TestAuthority
from ..testing.merchant import payment_processing_certificate
from .certfiles import write_private_key, write_public_file
from .certs import (
    KeyType,
    Purpose,
    certificate_public_key_hash,
    certificate_signing_request,
    describe_key,
    new_private_key,
)

__all__ = ["NewMerchantKey", "create_merchant_key", "default_purpose"]

#: Apple's portal only registers identifiers of this shape (``merchant.`` + reverse DNS).
_MERCHANT_ID = re.compile(r"merchant\.[A-Za-z0-9][A-Za-z0-9.\-_]*")
_STEMS: dict[Purpose, str] = {"processing": "merchant", "identity": "identity"}


@dataclass(frozen=True)
class NewMerchantKey:
    """What ``keys new`` wrote, and what the merchant needs to know about it."""

    purpose: Purpose
    key: str
    merchant_id: str
    paths: dict[str, Path]
    #: ``header.publicKeyHash`` of tokens encrypted to this key (processing keys).
    public_key_hash: str | None
    #: Who signed the stand-in certificate: ``test-ca``, ``self-signed``, or None (identity).
    certificate_signer: Literal["test-ca", "self-signed"] | None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "key": self.key,
            "merchant_id": self.merchant_id,
            "files": {name: str(path) for name, path in self.paths.items()},
            "public_key_hash": self.public_key_hash,
            "certificate_signer": self.certificate_signer,
        }


def default_purpose(key_type: KeyType) -> Purpose:
    """EC keys are for payment processing; RSA keys usually for merchant identity."""
    return "processing" if key_type == "ec" else "identity"


def check_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.fullmatch(merchant_id):
        raise ConfigurationError(
            f"{merchant_id!r} is not a merchant identifier: Apple's look like merchant.com.example"
        )
    return merchant_id


def planned_paths(directory: Path, purpose: Purpose) -> dict[str, Path]:
    stem = _STEMS[purpose]
    paths = {"key": directory / f"{stem}.key", "csr": directory / f"{stem}.csr"}
    if purpose == "processing":
        paths["certificate"] = directory / f"{stem}.pem"
    return paths


def create_merchant_key(
    directory: str | os.PathLike[str],
    *,
    merchant_id: str,
    key_type: KeyType = "ec",
    purpose: Purpose | None = None,
    authority: TestAuthority | None = None,
    organization: str | None = None,
    email: str | None = None,
    country: str | None = None,
    overwrite: bool = False,
) -> NewMerchantKey:
    """Generate and write a merchant key, its CSR and (processing) a stand-in certificate.

    Nothing is written if any target file exists, unless ``overwrite``.
    """
    purpose = purpose or default_purpose(key_type)
    check_merchant_id(merchant_id)
    if purpose == "identity" and key_type != "rsa":
        raise ConfigurationError(
            "Apple issues merchant identity certificates for RSA-2048 keys only: use --type rsa"
        )
    target = Path(directory)
    paths = planned_paths(target, purpose)
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not overwrite:
        verb = "exists" if len(existing) == 1 else "exist"
        raise OutputExistsError(f"{', '.join(existing)} {verb}; refusing to overwrite")
    target.mkdir(parents=True, exist_ok=True)
    key = new_private_key(key_type)
    csr = certificate_signing_request(
        key, merchant_id=merchant_id, organization=organization, email=email, country=country
    )
    write_private_key(key, paths["key"], overwrite=overwrite)
    write_public_file(
        paths["csr"], csr.public_bytes(serialization.Encoding.PEM), overwrite=overwrite
    )
    if purpose == "identity":
        return NewMerchantKey(purpose, describe_key(key), merchant_id, paths, None, None)
    return _with_stand_in(key, merchant_id, paths, authority=authority, overwrite=overwrite)


def _with_stand_in(
    key: MerchantPrivateKey,
    merchant_id: str,
    paths: dict[str, Path],
    *,
    authority: TestAuthority | None,
    overwrite: bool,
) -> NewMerchantKey:
    certificate = payment_processing_certificate(key, merchant_id=merchant_id, authority=authority)
    write_public_file(
        paths["certificate"],
        certificate.public_bytes(serialization.Encoding.PEM),
        overwrite=overwrite,
    )
    return NewMerchantKey(
        purpose="processing",
        key=describe_key(key),
        merchant_id=merchant_id,
        paths=paths,
        public_key_hash=certificate_public_key_hash(certificate),
        certificate_signer="test-ca" if authority is not None else "self-signed",
    )
