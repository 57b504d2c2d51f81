"""The message's expiry: ``messageExpiration``, milliseconds since the epoch, expired when
``messageExpiration <= now`` (Tink ``validateMessage``).

As Tink, it is checked when the message is a JSON object holding the member; a message that
is not JSON, or lacks the member, is returned unchecked (Google's payment payloads always
hold it, and :func:`~googlepay_crypto.payment_data.parse_payment_data` requires it). A JSON
number is accepted, as Gson's ``getAsString`` does; anything else is refused. Unlike Tink, a
message with duplicate member names is refused: which ``messageExpiration`` counts would
depend on the parser.
"""

from __future__ import annotations

from typing import Any

from ._json import DECODER, StrictJsonError, too_deep
from ._time import parse_millis
from .errors import InvalidJsonError, MalformedTokenError, MessageExpiredError

__all__ = ["check_message_expiration", "message_expiration", "parsed_message"]


def _as_json(message: str) -> Any:
    if too_deep(message):
        raise InvalidJsonError("the message nests too deep to check its messageExpiration")
    try:
        return DECODER.decode(message)
    except StrictJsonError:
        raise InvalidJsonError(
            "the message is not strict JSON (a duplicate member or a NaN constant)"
        ) from None
    except (ValueError, RecursionError):
        return None


def parsed_message(message: str) -> Any:
    """The message's JSON value, or ``None`` when it is not JSON (Tink returns such
    messages unchecked); ``invalid_json`` when it is JSON a strict parser refuses."""
    return _as_json(message)


def message_expiration(message: str) -> int | None:
    """``messageExpiration`` in milliseconds, or ``None`` when the message has none."""
    value = _as_json(message)
    if not isinstance(value, dict) or "messageExpiration" not in value:
        return None
    raw = value["messageExpiration"]
    millis = parse_millis(raw)
    if millis is None or isinstance(raw, bool):
        raise MalformedTokenError(
            "the message's messageExpiration is not milliseconds since the epoch"
        )
    return millis


def check_message_expiration(message: str, now_ms: int) -> None:
    expiration = message_expiration(message)
    if expiration is not None and expiration <= now_ms:
        raise MessageExpiredError(
            "the message expired (messageExpiration is not after the verification time)"
        )
