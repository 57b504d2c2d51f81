"""Helpers for the googlepay_crypto tests: the shared vectors in ../shared/vectors/googlepay
(third-party material, read from there, never copied), and a small sealer.

The sealer is written here from the protocol facts of the vectors' README, independently
of the library's code (and of googlepay_crypto.testing): a token it seals that the library
opens is a check of both.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from googlepay_crypto import Recipient, load_merchant_key, parse_root_keys

from support import SHARED, require_shared

GOOGLEPAY_VECTORS = SHARED / "vectors" / "googlepay"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
NOW_MS = 1767225600000
DAY_MS = 86_400_000


def vector_paths() -> list[Path]:
    """Every unseal vector (the KDF vector and the key files apart)."""
    if not GOOGLEPAY_VECTORS.is_dir():
        return []
    return sorted(
        p
        for p in GOOGLEPAY_VECTORS.rglob("*.json")
        if "keys" not in p.relative_to(GOOGLEPAY_VECTORS).parts and p.name != "kdf-ecv1.json"
    )


def vector_ids() -> list[str]:
    return [str(p.relative_to(GOOGLEPAY_VECTORS)) for p in vector_paths()] or ["(absent)"]


def load_vector(name: str) -> dict[str, Any]:
    path = require_shared(GOOGLEPAY_VECTORS / name)
    vector: dict[str, Any] = json.loads(path.read_text())
    return vector


def vector_now(vector: dict[str, Any]) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
        milliseconds=vector["now"]
    )


def recipient_for(vector: dict[str, Any]) -> Recipient:
    pems = vector["recipient_private_key_pem"]
    pems = [] if pems is None else [pems] if isinstance(pems, str) else pems
    return Recipient(
        vector["recipient_id"],
        root_keys=parse_root_keys(vector["root_keys_json"]),
        private_keys=[load_merchant_key(pem) for pem in pems],
        protocol_version=vector["protocol_version"],
        sender_id=vector["sender_id"],
    )


def tink_keys() -> dict[str, Any]:
    keys: dict[str, Any] = json.loads(
        require_shared(GOOGLEPAY_VECTORS / "keys" / "tink-test-keys.json").read_text()
    )
    return keys


# --- the sealer --------------------------------------------------------------------------


def _lv(*parts: str) -> bytes:
    return b"".join(len(p.encode()).to_bytes(4, "little") + p.encode() for p in parts)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePublicKey) -> str:
    return _b64(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    return _b64(key.sign(data, ec.ECDSA(hashes.SHA256())))


def encrypt(message: str, merchant: ec.EllipticCurvePublicKey, version: str = "ECv2") -> str:
    """signedMessage of ECv1/ECv2: ECIES-KEM (HKDF-SHA256, info "Google"), AES-CTR, HMAC."""
    aes_len, mac_len = (16, 16) if version == "ECv1" else (32, 32)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = ephemeral.exchange(ec.ECDH(), merchant)
    okm = HKDF(hashes.SHA256(), aes_len + mac_len, salt=bytes(32), info=b"Google").derive(
        point + shared
    )
    encryptor = Cipher(algorithms.AES(okm[:aes_len]), modes.CTR(bytes(16))).encryptor()
    ciphertext = encryptor.update(message.encode()) + encryptor.finalize()
    mac = hmac.HMAC(okm[aes_len:], hashes.SHA256())
    mac.update(ciphertext)
    return json.dumps(
        {
            "encryptedMessage": _b64(ciphertext),
            "ephemeralPublicKey": _b64(point),
            "tag": _b64(mac.finalize()),
        },
        separators=(",", ":"),
    )


@dataclass
class Sealer:
    """Seals tokens as Google does, with any root / intermediate key, for any recipient."""

    root: ec.EllipticCurvePrivateKey
    intermediate: ec.EllipticCurvePrivateKey
    recipient_id: str = "merchant:12345678901234567890"
    sender_id: str = "Google"
    protocol_version: str = "ECv2"
    key_expiration_ms: int = NOW_MS + DAY_MS

    @classmethod
    def generated(cls, **options: Any) -> Sealer:
        return cls(
            ec.generate_private_key(ec.SECP256R1()),
            ec.generate_private_key(ec.SECP256R1()),
            **options,
        )

    def root_keys_json(self, expiration_ms: int = NOW_MS + 30 * DAY_MS) -> str:
        return json.dumps(
            {
                "keys": [
                    {
                        "keyValue": _spki(self.root.public_key()),
                        "protocolVersion": self.protocol_version,
                        "keyExpiration": str(expiration_ms),
                    }
                ]
            }
        )

    def seal_signed_message(self, signed_message: str) -> str:
        """A token whose signedMessage is ``signed_message``, every signature right."""
        v = self.protocol_version
        token: dict[str, Any] = {
            "signature": "",
            "protocolVersion": v,
            "signedMessage": signed_message,
        }
        if v == "ECv1":
            token["signature"] = sign(
                self.root, _lv(self.sender_id, self.recipient_id, v, signed_message)
            )
        else:
            signed_key = json.dumps(
                {
                    "keyValue": _spki(self.intermediate.public_key()),
                    "keyExpiration": str(self.key_expiration_ms),
                },
                separators=(",", ":"),
            )
            token["intermediateSigningKey"] = {
                "signedKey": signed_key,
                "signatures": [sign(self.root, _lv(self.sender_id, v, signed_key))],
            }
            token["signature"] = sign(
                self.intermediate, _lv(self.sender_id, self.recipient_id, v, signed_message)
            )
        return json.dumps(token, separators=(",", ":"))

    def seal(self, message: str, merchant: ec.EllipticCurvePublicKey | None = None) -> str:
        if self.protocol_version == "ECv2SigningOnly":
            return self.seal_signed_message(message)
        assert merchant is not None
        return self.seal_signed_message(encrypt(message, merchant, self.protocol_version))

    def recipient(self, *merchant_keys: ec.EllipticCurvePrivateKey, **options: Any) -> Recipient:
        return Recipient(
            self.recipient_id,
            root_keys=parse_root_keys(self.root_keys_json()),
            private_keys=list(merchant_keys),
            protocol_version=self.protocol_version,
            sender_id=self.sender_id,
            **options,
        )


def payment_message(*, expiration_ms: int = NOW_MS + 3_600_000, network_token: bool = False) -> str:
    """A payload in Google's documented shape, with invented card values."""
    details: dict[str, Any] = {
        "expirationYear": 2030,
        "expirationMonth": 12,
        "pan": "4111111111111111",
        "authMethod": "PAN_ONLY",
    }
    if network_token:
        details.update(
            authMethod="CRYPTOGRAM_3DS", cryptogram="AAAAAA+test+cryptogram=", eciIndicator="05"
        )
    return json.dumps(
        {
            "gatewayMerchantId": "merchant-1",
            "messageExpiration": str(expiration_ms),
            "messageId": "AH2Ejt-test-0001",
            "paymentMethod": "CARD",
            "paymentMethodDetails": details,
        },
        separators=(",", ":"),
    )


def fuzz_examples(default: int) -> int:
    return int(os.environ.get("GOOGLEPAY_FUZZ_EXAMPLES", default))


# --- a stand-in for Google's key server ---------------------------------------------------


@dataclass
class KeyServer:
    """keys.json on 127.0.0.1 (a stand-in for Google's key server), with the body, headers
    and status a test sets; ``requests`` counts the GETs it answered."""

    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    requests: int = 0
    url: str = ""


@contextlib.contextmanager
def serve_keys(body: bytes) -> Iterator[KeyServer]:
    """A running :class:`KeyServer` serving ``body`` with ``Cache-Control: max-age=3600``."""
    state = KeyServer(body=body, headers={"Cache-Control": "public, max-age=3600"})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/paymentmethodtoken/keys.json"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
