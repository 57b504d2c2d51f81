"""Coverage-guided fuzzing of googlepay_crypto with atheris (libFuzzer), run by hand.

    python fuzz/fuzz_googlepay.py --seed-corpus fuzz/corpus-googlepay   # once: seeds per target
    python fuzz/fuzz_googlepay.py TARGET fuzz/corpus-googlepay/TARGET -max_total_time=300

TARGET is one of:

- ``token``: the input as the token (bytes and text) into ``Recipient.unseal`` and
  ``verify`` for ECv1, ECv2 and ECv2SigningOnly, configured with Tink's test keys, and into
  ``describe_token`` (``googlepay-crypto inspect``);
- ``signed``: the input becomes signedMessage, signed with Tink's test root / intermediate
  keys for each version, so the code behind the signatures runs on it (the encrypted
  payload's shape, the ephemeral key, the tag, and for ECv2SigningOnly the message and its
  messageExpiration);
- ``payment``: ``parse_payment_data`` then ``repr``, ``masked_dict``, ``to_dict``, and
  ``shown_message`` (the CLI's masked and revealed message);
- ``rootkeys``: ``parse_root_keys`` then ``for_version`` for every version.

An input passes when it ends in a result or a GooglePayError; anything else is a crash
(``crash-*``). Seeds come from ../shared/vectors/googlepay (tokens, signed messages,
plaintexts, keys.json texts; never copied into the repository: ``fuzz/corpus*/`` is
ignored) and from ``vectors/googlepay/`` when the minter has recorded it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import atheris
import harness
from harness import text, write_seeds

with atheris.instrument_imports(include=["googlepay_crypto"]):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from googlepay_crypto import GooglePayError, Recipient, describe_token, parse_root_keys
    from googlepay_crypto.payment_data import REDACTED, parse_payment_data
    from googlepay_crypto.results import shown_message
    from googlepay_crypto.signatures import intermediate_signed_bytes, message_signed_bytes

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "vectors" / "googlepay"
OWN = REPO / "vectors" / "googlepay"
VERSIONS = ("ECv1", "ECv2", "ECv2SigningOnly")
_NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
_NOW_MS = 1767225600000


def _private(pkcs8_base64: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(base64.b64decode(pkcs8_base64), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _spki(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _keys() -> dict[str, Any]:
    """Tink's test keys when ../shared is here, else fresh keys (the ``token`` target's
    seeds then fail their signatures, the other targets do not care)."""
    path = SHARED / "keys" / "tink-test-keys.json"
    if path.is_file():
        material = json.loads(path.read_text())
        roots = material["root_signing_keys"]
        inter = material["intermediate_signing_keys"]
        return {
            "roots": {v: _private(roots[v]["private_pkcs8_base64"]) for v in VERSIONS},
            "intermediates": {v: _private(inter[v]["private_pkcs8_base64"]) for v in VERSIONS[1:]},
            "merchant": _private(material["merchant"]["private_pkcs8_base64"]),
        }
    fresh = lambda: ec.generate_private_key(ec.SECP256R1())  # noqa: E731
    return {
        "roots": {v: fresh() for v in VERSIONS},
        "intermediates": {v: fresh() for v in VERSIONS[1:]},
        "merchant": fresh(),
    }


_KEYS = _keys()
_ROOT_KEYS = parse_root_keys(
    json.dumps(
        {
            "keys": [
                {
                    "keyValue": _spki(k),
                    "protocolVersion": v,
                    "keyExpiration": str(_NOW_MS + 86_400_000),
                }
                for v, k in _KEYS["roots"].items()
            ]
        }
    )
)
_RECIPIENTS = {
    v: Recipient(
        "someRecipient", root_keys=_ROOT_KEYS, private_keys=[_KEYS["merchant"]], protocol_version=v
    )
    for v in VERSIONS
}
_ECDSA = ec.ECDSA(hashes.SHA256())


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data, _ECDSA)).decode()


def _signed_token(version: str, signed_message: str) -> str:
    token: dict[str, Any] = {"protocolVersion": version, "signedMessage": signed_message}
    signer = _KEYS["roots"][version]
    if version != "ECv1":
        signer = _KEYS["intermediates"][version]
        signed_key = json.dumps(
            {"keyValue": _spki(signer), "keyExpiration": str(_NOW_MS + 3_600_000)}
        )
        token["intermediateSigningKey"] = {
            "signedKey": signed_key,
            "signatures": [
                _sign(
                    _KEYS["roots"][version],
                    intermediate_signed_bytes("Google", version, signed_key),
                )
            ],
        }
    token["signature"] = _sign(
        signer, message_signed_bytes("Google", "someRecipient", version, signed_message)
    )
    return json.dumps(token)


def fuzz_token(data: bytes) -> None:
    for recipient in _RECIPIENTS.values():
        for token in (data, text(data)):
            with contextlib.suppress(GooglePayError):
                recipient.unseal(token, now=_NOW)
            with contextlib.suppress(GooglePayError):
                recipient.verify(token, now=_NOW)
    for token in (data, text(data)):
        with contextlib.suppress(GooglePayError):
            describe_token(token)


def fuzz_signed(data: bytes) -> None:
    message = text(data)
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        return  # not text: the token parser refuses it before any signature
    for version, recipient in _RECIPIENTS.items():
        token = _signed_token(version, message)
        try:
            plaintext = recipient.unseal_plaintext(token, now=_NOW)
        except GooglePayError:
            continue
        if version == "ECv2SigningOnly":  # a message that verifies comes back unchanged
            assert plaintext == message


def fuzz_payment(data: bytes) -> None:
    message = text(data)
    with contextlib.suppress(GooglePayError):
        masked = shown_message(message)
        shown_message(message, reveal=True)
        assert masked == REDACTED or isinstance(masked, dict | list | str | int | float | None)
    for source in (data, text(data)):
        try:
            payment = parse_payment_data(source)
        except GooglePayError:
            continue
        repr(payment), payment.masked_dict(), payment.to_dict()
        assert payment.pan not in repr(payment)


def fuzz_rootkeys(data: bytes) -> None:
    try:
        keys = parse_root_keys(data)
    except GooglePayError:
        return
    for version in VERSIONS:
        keys.for_version(version, _NOW_MS)
    repr(keys)


TARGETS = {
    "token": fuzz_token,
    "signed": fuzz_signed,
    "payment": fuzz_payment,
    "rootkeys": fuzz_rootkeys,
}


def _vectors() -> list[dict[str, Any]]:
    found = []
    for folder in (SHARED, OWN):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.json")):
            if "keys" in path.relative_to(folder).parts:
                continue
            with contextlib.suppress(ValueError, OSError):
                vector = json.loads(path.read_text())
                if isinstance(vector, dict) and isinstance(vector.get("token"), str):
                    found.append(vector)
    return found


def seed_corpus(directory: Path) -> None:
    vectors = _vectors()
    seeds: dict[str, list[bytes]] = {name: [] for name in TARGETS}
    for vector in vectors:
        token = vector["token"]
        seeds["token"].append(token.encode())
        with contextlib.suppress(ValueError, TypeError, AttributeError, KeyError):
            seeds["signed"].append(json.loads(token)["signedMessage"].encode())
        plaintext = vector.get("expected", {}).get("plaintext")
        if isinstance(plaintext, str):
            seeds["payment"].append(plaintext.encode())
            seeds["signed"].append(plaintext.encode())
        if isinstance(vector.get("root_keys_json"), str):
            seeds["rootkeys"].append(vector["root_keys_json"].encode())
    seeds["payment"].append(b'{"paymentMethod":"CARD","paymentMethodDetails":{}}')
    seeds["rootkeys"].append(b'{"keys":[]}')
    seeds["token"].append(_signed_token("ECv2SigningOnly", '{"messageExpiration":"1"}').encode())
    write_seeds(directory, seeds)


def main() -> None:
    harness.main(TARGETS, seed_corpus)


if __name__ == "__main__":
    main()
