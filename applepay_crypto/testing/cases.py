"""The cases the recorder mints: every accepted shape and every rejection, each with the
outcome it must have."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import ec as ec_keys

from ..signature import INTERMEDIATE_OID, LEAF_OID
from ..token import MAX_TOKEN_BYTES
from .authority import TestAuthority
from .chains import INTERMEDIATE, LEAF, Profile, issue
from .merchant import TestMerchant
from .mint import ephemeral_key_with_leading_zero, mint
from .payload import emv_payload, sample_payload

__all__ = ["SIGNED_AT", "VERIFY_AT", "Case", "World", "negative_cases", "positive_cases"]

SIGNED_AT = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
VERIFY_AT = SIGNED_AT + dt.timedelta(seconds=30)
AUTHORITY_FROM = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


@dataclass
class World:
    authority: TestAuthority
    ec: TestMerchant
    rsa: TestMerchant
    ec_renewed: TestMerchant


@dataclass
class Case:
    name: str
    description: str
    token: Any  # dict (json input) or str (text input)
    expected: dict[str, Any]
    keys: list[TestMerchant] = field(default_factory=list)
    merchant_id_only: bool = False
    verify_at: dt.datetime = VERIFY_AT
    root: TestAuthority | None = None  # the trusted authority, when not the world's


def _mint(world: World, payload: Any, merchant: TestMerchant, **options: Any) -> dict[str, Any]:
    options.setdefault("signing_time", SIGNED_AT)
    options.setdefault("version", "RSA_v1" if merchant is world.rsa else "EC_v1")
    authority = options.pop("authority", world.authority)
    return mint(payload, recipient=merchant, authority=authority, **options)


def _ok(token: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "payment_data": payload,
        "version": token["version"],
        # Review (#11): the id leaves the library in lower case, however it was spelled.
        "transaction_id": token["header"]["transactionId"].lower(),
    }


def _flip_byte(b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def _flip_hex(text: str) -> str:
    """The first byte's lowest bit flipped (overwriting it with "ff" is no change 1 time
    in 256)."""
    return format(int(text[:2], 16) ^ 0x01, "02x") + text[2:]


def _flip_signature_value(signature_b64: str) -> str:
    """Change one byte inside the signer's signature value (the CMS stays readable)."""
    raw = base64.b64decode(signature_b64)
    value = cms.ContentInfo.load(raw)["content"]["signer_infos"][0]["signature"].native
    return _flip_byte(signature_b64, raw.rindex(value) + len(value) - 2)


def _ec_public_key(merchant: TestMerchant) -> ec_keys.EllipticCurvePublicKey:
    key = merchant.certificate.public_key()
    assert isinstance(key, ec_keys.EllipticCurvePublicKey)
    return key


def positive_cases(world: World) -> Iterator[Case]:
    ec, rsa = world.ec, world.rsa
    for merchant, version in ((ec, "EC_v1"), (rsa, "RSA_v1")):
        slug = version.lower().replace("_", "-")
        for with_app_data in (False, True):
            payload = sample_payload()
            token = _mint(
                world,
                payload,
                merchant,
                application_data=bytes(range(32)) if with_app_data else None,
            )
            suffix = "-application-data" if with_app_data else ""
            yield Case(
                f"{slug}-3dsecure{suffix}",
                f"{version} 3DSecure token" + (" with applicationData" if with_app_data else ""),
                token,
                _ok(token, payload),
                [merchant],
            )
        payload = emv_payload()
        token = _mint(world, payload, merchant)
        yield Case(
            f"{slug}-emv",
            f"{version} EMV token (emvData, encryptedPINData)",
            token,
            _ok(token, payload),
            [merchant],
        )
    payloads = {
        "cardholder-name": (
            "cardholderName present",
            sample_payload(cardholder_name="Jane Appleseed"),
        ),
        "merchant-token": (
            "merchant token fields and authentication responses",
            sample_payload(
                merchantTokenIdentifier="DNITHE302204193521431999",
                merchantTokenMetadata={
                    "cardArt": [],
                    "cardMetadata": {"paymentDescription": "Visa 1111"},
                },
                authenticationResponses=[
                    {
                        "merchantIdentifier": ec.merchant_id,
                        "authenticationData": "AAECAw==",
                        "transactionAmount": 1000,
                    }
                ],
            ),
        ),
        "unknown-fields": (
            "unknown extra fields kept",
            sample_payload(futureField={"nested": [1, "two", None]}, anotherOne=True),
        ),
        "no-eci": ("3DSecure without eciIndicator", sample_payload(eci=None)),
    }
    for slug, (description, payload) in payloads.items():
        token = _mint(world, payload, ec)
        yield Case(f"ec-v1-{slug}", f"EC_v1, {description}", token, _ok(token, payload), [ec])
    payload = sample_payload()
    token = _mint(
        world,
        payload,
        ec,
        ephemeral_key=ephemeral_key_with_leading_zero(_ec_public_key(ec)),
    )
    yield Case(
        "ec-v1-leading-zero-secret",
        "EC_v1 whose ECDH shared secret starts with a zero byte",
        token,
        _ok(token, payload),
        [ec],
    )
    token = _mint(world, payload, ec)
    yield Case(
        "ec-v1-merchant-id-string",
        "key given with the merchant id string instead of the certificate",
        token,
        _ok(token, payload),
        [ec],
        merchant_id_only=True,
    )
    token = _mint(world, payload, world.ec_renewed)
    yield Case(
        "ec-v1-key-rotation",
        "keyring of the old and the renewed key; token for the renewed one",
        token,
        _ok(token, payload),
        [ec, world.ec_renewed],
    )
    token = _mint(world, payload, ec)
    yield Case(
        "ec-v1-window-edge",
        "verified exactly 5 minutes after signing",
        token,
        _ok(token, payload),
        [ec],
        verify_at=SIGNED_AT + dt.timedelta(minutes=5),
    )
    upper = _mint(world, payload, ec, transaction_id=secrets.token_hex(32).upper())
    yield Case(
        "ec-v1-upper-case-transaction-id",
        "transactionId in upper case: accepted, reported in lower case",
        upper,
        _ok(upper, payload),
        [ec],
    )
    pk_token = {
        "paymentData": token,
        "paymentMethod": {"displayName": "Visa 1111", "network": "Visa", "type": "debit"},
        "transactionIdentifier": token["header"]["transactionId"].upper(),
    }
    shapes: dict[str, Any] = {
        "pkpaymenttoken": ("a PKPaymentToken object", pk_token),
        "applepay-js-payment": (
            "Apple Pay JS event.payment",
            {"token": pk_token, "shippingContact": {"countryCode": "NL"}},
        ),
        "base64": (
            "base64 of the paymentData JSON (YabandPay's payment_token_object)",
            base64.b64encode(json.dumps(token).encode()).decode(),
        ),
        "json-text": ("paymentData as JSON text", json.dumps(token, indent=1)),
    }
    for slug, (description, shape) in shapes.items():
        yield Case(f"shape-{slug}", f"input shape: {description}", shape, _ok(token, payload), [ec])


def negative_cases(world: World) -> Iterator[Case]:
    ec, rsa = world.ec, world.rsa
    payload = sample_payload()

    def tampered(
        name: str,
        description: str,
        change: Callable[[dict[str, Any]], None],
        code: str,
        merchant: TestMerchant = ec,
        keys: list[TestMerchant] | None = None,
        **options: Any,
    ) -> Case:
        token = _mint(world, payload, merchant, **options)
        change(token)
        return Case(name, description, token, {"error": code}, keys or [merchant])

    yield tampered(
        "tamper-data",
        "one byte of data changed",
        lambda t: t.update(data=_flip_byte(t["data"], 5)),
        "signature_invalid",
    )
    yield tampered(
        "tamper-ephemeral-public-key",
        "one byte of header.ephemeralPublicKey changed",
        lambda t: t["header"].update(
            ephemeralPublicKey=_flip_byte(t["header"]["ephemeralPublicKey"], -1)
        ),
        "signature_invalid",
    )
    yield tampered(
        "tamper-wrapped-key",
        "one byte of header.wrappedKey changed",
        lambda t: t["header"].update(wrappedKey=_flip_byte(t["header"]["wrappedKey"], 7)),
        "signature_invalid",
        rsa,
        version="RSA_v1",
    )
    yield tampered(
        "tamper-transaction-id",
        "one byte of header.transactionId changed",
        lambda t: t["header"].update(transactionId=_flip_hex(t["header"]["transactionId"])),
        "signature_invalid",
    )
    yield tampered(
        "tamper-application-data",
        "one byte of header.applicationData changed",
        lambda t: t["header"].update(applicationData=_flip_hex(t["header"]["applicationData"])),
        "signature_invalid",
        application_data=bytes(32),
    )
    yield tampered(
        "tamper-public-key-hash",
        "one byte of header.publicKeyHash changed (not signed: no key has it)",
        lambda t: t["header"].update(publicKeyHash=_flip_byte(t["header"]["publicKeyHash"], 0)),
        "key_not_found",
    )
    yield tampered(
        "tamper-signature",
        "one byte of the CMS signature value changed",
        lambda t: t.update(signature=_flip_signature_value(t["signature"])),
        "signature_invalid",
    )
    yield tampered(
        "application-data-dropped",
        "header.applicationData removed",
        lambda t: t["header"].pop("applicationData"),
        "signature_invalid",
        application_data=bytes(range(32)),
    )
    yield tampered(
        "wrong-key",
        "publicKeyHash rewritten to the configured key; the data is for another key",
        lambda t: t["header"].update(publicKeyHash=ec.merchant_key.public_key_hash_b64),
        "decryption_failed",
        world.ec_renewed,
        keys=[ec],
    )

    authorities = {
        "leaf-without-oid": (
            "signing leaf lacks 1.2.840.113635.100.6.29",
            world.authority.with_leaves(
                not_before=AUTHORITY_FROM,
                not_after=AUTHORITY_FROM + dt.timedelta(days=3650),
                leaf_oid=False,
            ),
            "certificate_invalid",
        ),
        "intermediate-without-oid": (
            "intermediate lacks 1.2.840.113635.100.6.2.14",
            TestAuthority.create(
                not_before=AUTHORITY_FROM, intermediate_oid=False, root=world.authority.root
            ),
            "certificate_invalid",
        ),
        "other-root": (
            "chain leads to another root",
            TestAuthority.create(not_before=AUTHORITY_FROM),
            "untrusted_root",
        ),
        "leaf-expired": (
            "signing leaf expired before the signing time",
            world.authority.with_leaves(
                not_before=AUTHORITY_FROM, not_after=SIGNED_AT - dt.timedelta(days=1)
            ),
            "certificate_invalid",
        ),
    }
    for name, (description, authority, code) in authorities.items():
        token = _mint(world, payload, ec, authority=authority)
        yield Case(name, description, token, {"error": code}, [ec], root=world.authority)

    token = _mint(world, payload, ec)
    yield Case(
        "signing-time-too-old",
        "verified 5 minutes 1 second after signing",
        token,
        {"error": "signing_time_out_of_window"},
        [ec],
        verify_at=SIGNED_AT + dt.timedelta(minutes=5, seconds=1),
    )
    yield Case(
        "signing-time-in-future",
        "verified 5 minutes 1 second before the signing time",
        token,
        {"error": "signing_time_out_of_window"},
        [ec],
        verify_at=SIGNED_AT - dt.timedelta(minutes=5, seconds=1),
    )
    yield Case(
        "unknown-public-key-hash",
        "token for a key the merchant does not hold",
        _mint(world, payload, world.ec_renewed),
        {"error": "key_not_found"},
        [ec],
    )
    yield Case(
        "wrong-merchant-id",
        "token encrypted for another merchant id (KDF party V)",
        _mint(world, payload, ec, merchant_id="merchant.com.someone.else"),
        {"error": "decryption_failed"},
        [ec],
    )

    yield from _grammar_cases(world, payload)
    yield from _chain_cases(world, payload)

    text = json.dumps(token)
    malformed: dict[str, tuple[str, Any, str]] = {
        "malformed-json": ("truncated JSON", text[: len(text) // 2], "malformed_token"),
        "bad-base64": (
            "data is not base64",
            {**token, "data": token["data"][:-4] + "*!*!"},
            "malformed_token",
        ),
        "unknown-version": ("version EC_v2", {**token, "version": "EC_v2"}, "unsupported_version"),
        "version-header-mismatch": (
            "RSA_v1 version over an EC_v1 header",
            {**token, "version": "RSA_v1"},
            "malformed_token",
        ),
        "oversized": (
            "input larger than 64 KiB",
            text + " " * (MAX_TOKEN_BYTES - len(text) + 1),
            "malformed_token",
        ),
    }
    for name, (description, broken, code) in malformed.items():
        yield Case(name, description, broken, {"error": code}, [ec])


def _resplit(token: dict[str, Any], moved: int) -> dict[str, Any]:
    """The same signed bytes with the field boundary between transactionId and
    applicationData moved by ``moved`` bytes (positive: into applicationData)."""
    header = dict(token["header"])
    joined = header["transactionId"] + header.pop("applicationData", "")
    cut = 64 - 2 * moved
    header["transactionId"] = joined[:cut]
    if joined[cut:]:
        header["applicationData"] = joined[cut:]
    return {**token, "header": header}


def _grammar_cases(world: World, payload: dict[str, Any]) -> Iterator[Case]:
    """Review (#11), class 1: fixed field widths, so one signature is one transaction."""
    ec = world.ec
    cases = {
        "transaction-id-short": (
            "header.transactionId of 31 bytes (signed as such)",
            _mint(world, payload, ec, transaction_id=secrets.token_hex(31)),
        ),
        "transaction-id-long": (
            "header.transactionId of 33 bytes (signed as such)",
            _mint(world, payload, ec, transaction_id=secrets.token_hex(33)),
        ),
        "application-data-short": (
            "header.applicationData of 31 bytes (signed as such)",
            _mint(world, payload, ec, application_data=bytes(range(31))),
        ),
        "transaction-id-split-into-application-data": (
            "a genuine token's last transactionId byte moved into a new applicationData: "
            "same digest, another id",
            _resplit(_mint(world, payload, ec), 1),
        ),
        "application-data-folded-into-transaction-id": (
            "a genuine token's applicationData appended to its transactionId: same digest, "
            "order binding gone",
            _resplit(_mint(world, payload, ec, application_data=bytes(range(32))), -32),
        ),
    }
    for name, (description, token) in cases.items():
        yield Case(name, description, token, {"error": "malformed_token"}, [ec])


def _chain_cases(world: World, payload: dict[str, Any]) -> Iterator[Case]:
    """Review (#11), classes 2 and 3: exactly leaf -> OID intermediate -> root, each fit."""
    root, intermediate = world.authority.root, world.authority.intermediate
    end = AUTHORITY_FROM + dt.timedelta(days=3650)
    leaf_name = world.authority.ec_leaf.certificate.subject
    junk = issue(
        INTERMEDIATE,
        subject=root.certificate.subject,
        issuer=None,
        not_before=AUTHORITY_FROM,
        not_after=end,
    )
    under_root = issue(
        LEAF, subject=leaf_name, issuer=root, not_before=AUTHORITY_FROM, not_after=end
    )
    not_a_ca = issue(
        Profile(ca=False, key_usage=frozenset({"key_cert_sign"}), marker=INTERMEDIATE_OID),
        subject=intermediate.certificate.subject,
        issuer=root,
        not_before=AUTHORITY_FROM,
        not_after=end,
    )
    under_not_a_ca = issue(
        LEAF, subject=leaf_name, issuer=not_a_ca, not_before=AUTHORITY_FROM, not_after=end
    )
    ca_signer = issue(
        Profile(ca=True, key_usage=frozenset({"key_cert_sign"}), marker=LEAF_OID),
        subject=leaf_name,
        issuer=intermediate,
        not_before=AUTHORITY_FROM,
        not_after=end,
    )
    no_digital_signature = issue(
        Profile(ca=False, key_usage=frozenset({"key_agreement"}), marker=LEAF_OID),
        subject=leaf_name,
        issuer=intermediate,
        not_before=AUTHORITY_FROM,
        not_after=end,
    )
    genuine = world.authority.ec_leaf
    chains = {
        "chain-leaf-under-root-with-junk": (
            "leaf issued by the root, next to a self-signed look-alike of the root carrying "
            "the intermediate OID (validated as leaf -> root)",
            under_root,
            [under_root.certificate, junk.certificate],
        ),
        "chain-extra-certificate": (
            "Apple's two certificates and a third (the junk look-alike)",
            genuine,
            [genuine.certificate, intermediate.certificate, junk.certificate],
        ),
        "chain-intermediate-twice": (
            "the intermediate carried twice",
            genuine,
            [genuine.certificate, intermediate.certificate, intermediate.certificate],
        ),
        "intermediate-not-a-ca": (
            "intermediate with basicConstraints CA:FALSE",
            under_not_a_ca,
            [under_not_a_ca.certificate, not_a_ca.certificate],
        ),
        "signer-is-ca": (
            "signing certificate with CA:TRUE and keyCertSign, no digitalSignature",
            ca_signer,
            [ca_signer.certificate, intermediate.certificate],
        ),
        "signer-without-digital-signature": (
            "signing certificate whose keyUsage lacks digitalSignature",
            no_digital_signature,
            [no_digital_signature.certificate, intermediate.certificate],
        ),
    }
    for name, (description, signer, certificates) in chains.items():
        token = _mint(world, payload, world.ec, signer=signer, certificates=certificates)
        yield Case(name, description, token, {"error": "certificate_invalid"}, [world.ec])
