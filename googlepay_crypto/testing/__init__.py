"""Mint Google Pay test tokens under test root signing keys (ECv1, ECv2, ECv2SigningOnly).

Merchants cannot get Google to seal tokens on demand; this package seals them the way
Google does, under a test root key set you trust explicitly::

    from googlepay_crypto import Recipient
    from googlepay_crypto.testing import IntermediateKey, Sealer, TestRootKeys

    roots = TestRootKeys.create()
    sealer = Sealer(roots, "merchant:12345678901234567890", "ECv2",
                    IntermediateKey.create(key_expiration_ms=...))
    token = sealer.seal(payload, merchant_key.public_key(), message_expiration_ms=...)
    Recipient("merchant:12345678901234567890", root_keys=roots.root_signing_keys(),
              private_keys=[merchant_key]).unseal(token)

:mod:`googlepay_crypto.testing.tamper` damages tokens one class at a time, and
``python -m googlepay_crypto.testing.record vectors/googlepay`` records the project's
vectors. Never trust a test root in production.
"""

from .keys import IntermediateKey, TestRootKey, TestRootKeys, private_pem, spki_base64
from .seal import GOOGLE, Sealer, encrypt_message, payload_text, seal

__all__ = [
    "GOOGLE",
    "IntermediateKey",
    "Sealer",
    "TestRootKey",
    "TestRootKeys",
    "encrypt_message",
    "payload_text",
    "private_pem",
    "seal",
    "spki_base64",
]
