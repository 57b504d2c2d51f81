"""The reject cases ``record`` writes: one or more for every error code a token can trigger,
each named after the damage (see vectors/googlepay/README.md)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..signatures import intermediate_signed_bytes
from . import tamper
from .cases import DAY_MS, NOW_MS, Case, World, new_key, payload
from .keys import IntermediateKey, TestRootKey, TestRootKeys
from .seal import sign

__all__ = ["reject_cases"]

_P256 = ec.SECP256R1()


def _reject(
    name: str,
    description: str,
    w: World,
    token: dict[str, Any] | str,
    code: str,
    version: str = "ECv2",
    **options: Any,
) -> Case:
    text = token if isinstance(token, str) else tamper.dumps(token)
    options.setdefault("merchant_keys", [w.merchant])
    return Case(f"reject-{name}", description, version, text, {"error": code}, w, **options)


def _edit(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def edit(members: dict[str, Any]) -> dict[str, Any]:
        change(members)
        return members

    return edit


def _compressed(members: dict[str, Any]) -> None:
    point = ec.EllipticCurvePublicKey.from_encoded_point(
        _P256, base64.b64decode(members["ephemeralPublicKey"])
    )
    members["ephemeralPublicKey"] = base64.b64encode(
        point.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    ).decode("ascii")


def _reject_token_shape(w: World, good: dict[str, Any]) -> list[Case]:
    missing = {k: v for k, v in good.items() if k != "intermediateSigningKey"}
    return [
        _reject("invalid-json", "the token is not JSON", w, "{not json", "invalid_json"),
        _reject(
            "duplicate-member",
            "the token repeats a member name",
            w,
            tamper.dumps(good)[:-1] + ',"protocolVersion":"ECv2"}',
            "invalid_json",
        ),
        _reject(
            "missing-member",
            "an ECv2 token without intermediateSigningKey",
            w,
            missing,
            "malformed_token",
        ),
        _reject(
            "unknown-version",
            "protocolVersion ECv3",
            w,
            {**good, "protocolVersion": "ECv3"},
            "unsupported_protocol_version",
        ),
        _reject(
            "wrong-protocol-version",
            "an ECv2 token to an ECv2SigningOnly recipient",
            w,
            good,
            "protocol_version_mismatch",
            "ECv2SigningOnly",
        ),
    ]


def _without_key_value(w: World, good: dict[str, Any]) -> dict[str, Any]:
    """signedKey lacking keyValue, correctly signed by the root: reaches its parsing."""
    signed_key = json.dumps({"keyExpiration": str(NOW_MS + DAY_MS)}, separators=(",", ":"))
    root = w.roots.signing_key("ECv2")
    signature = sign(root, intermediate_signed_bytes("Google", "ECv2", signed_key))
    return {**good, "intermediateSigningKey": {"signedKey": signed_key, "signatures": [signature]}}


def _reject_keys(w: World, good: dict[str, Any]) -> list[Case]:
    ecv1_only = TestRootKeys((TestRootKey(w.roots.signing_key("ECv2"), "ECv1"),))
    other_version = TestRootKeys(
        (
            TestRootKey(w.roots.signing_key("ECv2"), "ECv2SigningOnly"),
            TestRootKey(new_key(), "ECv2"),
        )
    )
    expired_roots = TestRootKeys((TestRootKey(w.roots.signing_key("ECv2"), "ECv2", NOW_MS),))
    expired = IntermediateKey.create(NOW_MS - DAY_MS)
    at_now = IntermediateKey.create(NOW_MS)
    return [
        _reject(
            "no-root-key-for-version",
            "keys.json holds the root key for ECv1 only",
            w,
            good,
            "no_root_keys",
            root_keys=ecv1_only,
        ),
        _reject(
            "root-keys-expired",
            "the only ECv2 root key expires at now",
            w,
            good,
            "no_root_keys",
            root_keys=expired_roots,
        ),
        _reject(
            "root-key-for-another-protocol",
            "the signing root key is published for ECv2SigningOnly, another key for ECv2",
            w,
            good,
            "intermediate_signature_invalid",
            root_keys=other_version,
        ),
        _reject(
            "signed-key-changed",
            "one character of signedKey changed",
            w,
            tamper.with_signed_key_char(good, 20),
            "intermediate_signature_invalid",
        ),
        _reject(
            "intermediate-signature-changed",
            "one byte of the intermediate signature",
            w,
            tamper.with_intermediate_signature_byte(good, 30),
            "intermediate_signature_invalid",
        ),
        _reject(
            "signed-key-without-key-value",
            "a signedKey that lacks keyValue, correctly signed by the root",
            w,
            _without_key_value(w, good),
            "malformed_token",
        ),
        _reject(
            "intermediate-key-expired",
            "keyExpiration a day before now",
            w,
            w.sealer("ECv2", expired).seal_dict(payload(), w.merchant.public_key()),
            "intermediate_key_expired",
            intermediate=expired,
        ),
        _reject(
            "intermediate-key-expires-now",
            "keyExpiration equal to now (expired)",
            w,
            w.sealer("ECv2", at_now).seal_dict(payload(), w.merchant.public_key()),
            "intermediate_key_expired",
            intermediate=at_now,
        ),
    ]


def _reject_message(w: World, good: dict[str, Any]) -> list[Case]:
    s = w.sealer("ECv2")
    ecv1 = w.sealer("ECv1").seal_dict(payload(), w.merchant.public_key())
    not_utf8 = s.token_for(s.signed_message_for(b"\xff\xfe\xfd", w.merchant.public_key()))
    other = [new_key()]
    return [
        _reject(
            "signed-message-changed",
            "one character of signedMessage changed",
            w,
            tamper.with_signed_message_char(good, 10),
            "signature_invalid",
        ),
        _reject(
            "signature-changed",
            "one byte of the message signature",
            w,
            tamper.with_signature_byte(good, 30),
            "signature_invalid",
        ),
        _reject(
            "ecv1-signature-changed",
            "one byte of an ECv1 message signature",
            w,
            tamper.with_signature_byte(ecv1, 30),
            "signature_invalid",
            "ECv1",
        ),
        _reject(
            "wrong-recipient-id",
            "the token was sealed for another recipient id",
            w,
            good,
            "signature_invalid",
            recipient_id="merchant:09876543210987654321",
        ),
        _reject(
            "signed-message-not-json",
            "signedMessage is not JSON (re-signed)",
            w,
            tamper.resigned(s, good, "not json"),
            "invalid_json",
        ),
        _reject(
            "encrypted-message-without-tag",
            "signedMessage lacks tag (re-signed)",
            w,
            tamper.with_encrypted_member(s, good, _edit(lambda m: m.pop("tag"))),
            "malformed_encrypted_message",
        ),
        _reject(
            "compressed-ephemeral-key",
            "ephemeralPublicKey compressed (re-signed)",
            w,
            tamper.with_encrypted_member(s, good, _edit(_compressed)),
            "invalid_ephemeral_key",
        ),
        _reject(
            "tag-changed",
            "one byte of the tag (re-signed)",
            w,
            tamper.with_tag_byte(s, good, 7),
            "tag_mismatch",
        ),
        _reject(
            "other-merchant-key",
            "the token is to a key this recipient lacks",
            w,
            good,
            "tag_mismatch",
            merchant_keys=other,
        ),
        _reject(
            "plaintext-not-utf8",
            "the decrypted message is not UTF-8",
            w,
            not_utf8,
            "decryption_failed",
        ),
        _reject(
            "message-expired",
            "messageExpiration a second before now",
            w,
            s.seal_dict(payload(expiration_ms=NOW_MS - 1000), w.merchant.public_key()),
            "message_expired",
        ),
        _reject(
            "message-expires-now",
            "messageExpiration equal to now (expired)",
            w,
            s.seal_dict(payload(expiration_ms=NOW_MS), w.merchant.public_key()),
            "message_expired",
        ),
        _reject(
            "signing-only-message-expired",
            "an expired ECv2SigningOnly message",
            w,
            w.sealer("ECv2SigningOnly").seal_dict(payload(expiration_ms=NOW_MS - 1)),
            "message_expired",
            "ECv2SigningOnly",
            merchant_keys=[],
        ),
        _reject(
            "not-a-card-payment",
            "a verified message whose paymentMethod is not CARD",
            w,
            s.seal_dict(payload().replace('"CARD"', '"PAYPAL"'), w.merchant.public_key()),
            "malformed_payment_data",
            call="unseal",
        ),
    ]


def reject_cases(w: World, good: dict[str, Any]) -> list[Case]:
    """Every reject case; ``good`` is a valid ECv2 token dict of ``w``."""
    return [*_reject_token_shape(w, good), *_reject_keys(w, good), *_reject_message(w, good)]
