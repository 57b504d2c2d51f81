"""The cases ``record`` writes: accept cases (each protocol, card and network-token payloads,
two-key rotation) and reject cases for every code a token can trigger.

Times are fixed (``NOW`` = 2026-01-01T00:00:00Z, as ../shared/vectors/googlepay uses); keys
are made afresh by each run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from .keys import IntermediateKey, TestRootKeys
from .seal import Sealer

__all__ = ["DAY_MS", "NOW_MS", "RECIPIENT_ID", "Case", "World", "cases", "new_key", "payload"]

NOW_MS = 1767225600000
DAY_MS = 86_400_000
RECIPIENT_ID = "merchant:12345678901234567890"
_P256 = ec.SECP256R1()


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(_P256)


@dataclass
class World:
    """The keys every case of one run shares."""

    roots: TestRootKeys = field(default_factory=TestRootKeys.create)
    merchant: ec.EllipticCurvePrivateKey = field(default_factory=new_key)
    old_merchant: ec.EllipticCurvePrivateKey = field(default_factory=new_key)
    intermediate: IntermediateKey = field(
        default_factory=lambda: IntermediateKey.create(NOW_MS + DAY_MS)
    )

    def sealer(self, version: str, intermediate: IntermediateKey | None = None) -> Sealer:
        chosen = None if version == "ECv1" else intermediate or self.intermediate
        return Sealer(self.roots, RECIPIENT_ID, version, chosen)


@dataclass
class Case:
    name: str
    description: str
    protocol_version: str
    token: str
    expect: dict[str, str]
    world: World
    merchant_keys: list[ec.EllipticCurvePrivateKey]
    recipient_id: str = RECIPIENT_ID
    root_keys: TestRootKeys | None = None
    now_ms: int = NOW_MS
    call: str = "unseal_plaintext"
    intermediate: IntermediateKey | None = None


def payload(network_token: bool = False, *, expiration_ms: int = NOW_MS + 3_600_000) -> str:
    """A payload in Google's documented shape, with invented values (a test PAN)."""
    details: dict[str, Any] = {
        "pan": "4111111111111111",
        "expirationMonth": 12,
        "expirationYear": 2030,
        "authMethod": "PAN_ONLY",
    }
    if network_token:
        details.update(
            authMethod="CRYPTOGRAM_3DS",
            cryptogram="AgAAAAAABk4DWZ4C28yUQAAAAAA=",
            eciIndicator="05",
        )
    document = {
        "gatewayMerchantId": "exampleGatewayMerchantId",
        "messageExpiration": str(expiration_ms),
        "messageId": "AH2EjtTestMessageId0001",
        "paymentMethod": "CARD",
        "paymentMethodDetails": details,
    }
    return json.dumps(document, separators=(",", ":"))


def _accept(w: World) -> list[Case]:
    out = []
    for version in ("ECv1", "ECv2", "ECv2SigningOnly"):
        for kind, network in (("card", False), ("network-token", True)):
            message = payload(network)
            token = w.sealer(version).seal(message, w.merchant.public_key())
            out.append(
                Case(
                    f"accept-{version.lower()}-{kind}",
                    f"{version} token of a {kind.replace('-', ' ')} payload",
                    version,
                    token,
                    {"plaintext": message},
                    w,
                    [w.merchant],
                    call="unseal",
                )
            )
    message = payload()
    for which, key in (("new", w.merchant), ("old", w.old_merchant)):
        out.append(
            Case(
                f"accept-ecv2-rotation-{which}-key",
                f"two merchant keys configured (new first); the token is to the {which} one",
                "ECv2",
                w.sealer("ECv2").seal(message, key.public_key()),
                {"plaintext": message},
                w,
                [w.merchant, w.old_merchant],
                call="unseal",
            )
        )
    return out


def cases(world: World | None = None) -> list[Case]:
    w = world or World()
    good = w.sealer("ECv2").seal_dict(payload(), w.merchant.public_key())
    from .rejects import reject_cases  # rejects builds on this module's World and Case

    return [*_accept(w), *reject_cases(w, good)]
