"""Test signing keys in Google's shapes: a root key set with its ``keys.json`` document, and
intermediate signing keys with a chosen ``keyExpiration``.

keys.json is ``{"keys": [{"keyValue": <base64 X.509 SPKI>, "protocolVersion": ...,
"keyExpiration": <ms as a decimal string>}]}`` (Google, "Root signing keys"). Never trust a
test root in production.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..root_keys import RootSigningKeys, parse_root_keys

__all__ = ["IntermediateKey", "TestRootKey", "TestRootKeys", "private_pem", "spki_base64"]

#: 2100-01-01T00:00:00Z: far enough that a test root does not expire under a test.
FAR_FUTURE_MS = 4102444800000


def spki_base64(key: ec.EllipticCurvePublicKey) -> str:
    """Base64 of the key's X.509 SubjectPublicKeyInfo, as keys.json and signedKey hold it."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """PKCS#8 PEM, unencrypted (test material only)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@dataclass(frozen=True)
class TestRootKey:
    """One root signing key and the keys.json entry that publishes it."""

    __test__ = False  # not a pytest test class

    private_key: ec.EllipticCurvePrivateKey
    protocol_version: str
    #: Milliseconds since the epoch; ``None`` writes an entry without keyExpiration.
    key_expiration_ms: int | None = FAR_FUTURE_MS

    def entry(self) -> dict[str, str]:
        item = {
            "keyValue": spki_base64(self.private_key.public_key()),
            "protocolVersion": self.protocol_version,
        }
        if self.key_expiration_ms is not None:
            item["keyExpiration"] = str(self.key_expiration_ms)
        return item


@dataclass(frozen=True)
class TestRootKeys:
    """A set of test root signing keys, one or more per protocol version."""

    __test__ = False  # not a pytest test class

    keys: tuple[TestRootKey, ...]

    @classmethod
    def create(
        cls,
        protocol_versions: tuple[str, ...] = ("ECv1", "ECv2", "ECv2SigningOnly"),
        *,
        key_expiration_ms: int | None = FAR_FUTURE_MS,
    ) -> TestRootKeys:
        """A fresh P-256 key for each version in ``protocol_versions``."""
        return cls(
            tuple(
                TestRootKey(ec.generate_private_key(ec.SECP256R1()), v, key_expiration_ms)
                for v in protocol_versions
            )
        )

    def signing_key(self, protocol_version: str) -> ec.EllipticCurvePrivateKey:
        """The first root key published for ``protocol_version``."""
        for key in self.keys:
            if key.protocol_version == protocol_version:
                return key.private_key
        raise ValueError(f"this test root key set has no key for {protocol_version}")

    def keys_json(self) -> str:
        """The keys.json document, as Google serves it."""
        return json.dumps({"keys": [key.entry() for key in self.keys]}, indent=2)

    def root_signing_keys(self) -> RootSigningKeys:
        """The parsed keys.json, ready for :class:`~googlepay_crypto.Recipient`."""
        return parse_root_keys(self.keys_json())


@dataclass(frozen=True)
class IntermediateKey:
    """An intermediate signing key (ECv2, ECv2SigningOnly) and its ``signedKey`` text."""

    private_key: ec.EllipticCurvePrivateKey
    key_expiration_ms: int

    @classmethod
    def create(cls, key_expiration_ms: int) -> IntermediateKey:
        return cls(ec.generate_private_key(ec.SECP256R1()), key_expiration_ms)

    def signed_key(self) -> str:
        """``{"keyValue", "keyExpiration"}`` in Google's member order, compact."""
        return json.dumps(
            {
                "keyValue": spki_base64(self.private_key.public_key()),
                "keyExpiration": str(self.key_expiration_ms),
            },
            separators=(",", ":"),
        )
