"""The project's recorded Google Pay vectors (``vectors/googlepay/``): the file format, and
running one through the library (the recorder and the tests share this).

A vector is one JSON object; ``vectors/googlepay/README.md`` describes each member.
"""

from __future__ import annotations

from typing import Any

from .._time import from_millis
from ..errors import GooglePayError
from ..keys import load_merchant_key
from ..recipient import Recipient
from ..root_keys import parse_root_keys

__all__ = ["CALLS", "FORMAT", "TOKEN_UNREACHABLE_CODES", "recipient_for", "run_vector"]

FORMAT = "googlepay-crypto-vector/1"
#: ``unseal_plaintext`` returns the message text; ``unseal`` also parses the payment payload.
CALLS = ("unseal_plaintext", "unseal")

#: Codes of googlepay_crypto.errors that no token can trigger, each with the reason.
TOKEN_UNREACHABLE_CODES = {
    "googlepay_error": "the base class: every refusal raises a subclass",
    "invalid_root_keys": "raised when the keys.json document is parsed, before any token",
    "root_keys_unavailable": "raised when fetching keys.json from Google fails",
    "invalid_configuration": "raised for the recipient's own keys, id, options or clock",
    "key_operation_failed": "raised when a merchant key's holder (an HSM) fails on its own",
    "internal_error": "reports a bug of the library, which no vector should record",
}


def recipient_for(vector: dict[str, Any]) -> Recipient:
    pems = vector["keys"]["merchant_private_keys_pem"]
    return Recipient(
        vector["recipient_id"],
        root_keys=parse_root_keys(vector["root_keys_json"]),
        private_keys=[load_merchant_key(pem) for pem in pems],
        protocol_version=vector["protocol_version"],
        sender_id=vector["sender_id"],
    )


def run_vector(vector: dict[str, Any]) -> dict[str, str]:
    """The library's outcome, in the form of ``expect``: ``{"plaintext"}`` or ``{"error"}``."""
    recipient = recipient_for(vector)
    now = from_millis(vector["now"])
    try:
        if vector["call"] == "unseal":
            return {"plaintext": recipient.unseal(vector["token"], now=now).plaintext}
        return {"plaintext": recipient.unseal_plaintext(vector["token"], now=now)}
    except GooglePayError as exc:
        return {"error": exc.code}
