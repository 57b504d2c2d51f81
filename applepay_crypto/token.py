"""Token input: every shape a token arrives in, normalised to one validated object.

No cryptography happens here. The checks are about shape: a known version, the header
fields of that version and no others, base64 and hex well formed, a bounded size, no
duplicate JSON keys (two parsers must never see two different tokens in one input).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from ._frozen import build
from .errors import MalformedTokenError, UnsupportedVersionError

__all__ = [
    "EC_V1_EPHEMERAL_KEY_BYTES",
    "EC_V1_EPHEMERAL_KEY_PREFIX",
    "HEX_FIELD_BYTES",
    "MAX_TOKEN_BYTES",
    "SUPPORTED_VERSIONS",
    "PaymentToken",
    "parse_token",
    "read_token",
]

#: Real tokens are 3-5 KiB; anything far larger is not a token.
MAX_TOKEN_BYTES = 64 * 1024

_PAYMENT_DATA_FIELDS = frozenset({"version", "data", "signature", "header"})
_HEADER_FIELDS = {
    "EC_v1": ("ephemeralPublicKey", "publicKeyHash", "transactionId"),
    "RSA_v1": ("wrappedKey", "publicKeyHash", "transactionId"),
}
_OPTIONAL_HEADER_FIELDS = ("applicationData",)
SUPPORTED_VERSIONS = tuple(_HEADER_FIELDS)
_ALLOWED_HEADER_FIELDS = {
    version: frozenset(fields) | frozenset(_OPTIONAL_HEADER_FIELDS)
    for version, fields in _HEADER_FIELDS.items()
}

#: paymentData nested in a PKPaymentToken inside an Apple Pay JS payment, each level
#: possibly a base64 or JSON string: a handful of levels is every real shape.
_MAX_NESTING = 6


@dataclass(frozen=True, repr=False)
class PaymentToken:
    """A shape-checked ``paymentData``: fields decoded, nothing verified or decrypted yet."""

    version: str
    data: bytes
    signature: bytes
    public_key_hash: bytes
    transaction_id: str
    ephemeral_public_key: bytes | None = None
    wrapped_key: bytes | None = None
    application_data: bytes | None = None

    def __post_init__(self) -> None:
        # parse_token builds tokens without __init__ and lowers the id itself; a token made
        # by hand gets the same single spelling (review #11).
        object.__setattr__(self, "transaction_id", self.transaction_id.lower())

    @property
    def key_material(self) -> bytes:
        """``ephemeralPublicKey`` (EC_v1) or ``wrappedKey`` (RSA_v1), decoded."""
        material = self.ephemeral_public_key if self.version == "EC_v1" else self.wrapped_key
        assert material is not None  # guaranteed by parse_token
        return material

    @property
    def transaction_id_bytes(self) -> bytes:
        return bytes.fromhex(self.transaction_id)

    @property
    def public_key_hash_b64(self) -> str:
        return base64.b64encode(self.public_key_hash).decode("ascii")

    def signed_content(self) -> bytes:
        """What Apple's messageDigest covers, in Apple's order (step 1.d)."""
        parts = [self.key_material, self.data, self.transaction_id_bytes]
        if self.application_data is not None:
            # Leaving applicationData out is a bug other libraries shipped.
            parts.append(self.application_data)
        return b"".join(parts)

    def header_json(self) -> dict[str, str]:
        """The header as Apple sends it (base64 and hex strings)."""
        header: dict[str, str] = {}
        if self.ephemeral_public_key is not None:
            header["ephemeralPublicKey"] = _b64(self.ephemeral_public_key)
        if self.wrapped_key is not None:
            header["wrappedKey"] = _b64(self.wrapped_key)
        header["publicKeyHash"] = _b64(self.public_key_hash)
        header["transactionId"] = self.transaction_id
        if self.application_data is not None:
            header["applicationData"] = self.application_data.hex()
        return header

    def to_json_dict(self) -> dict[str, Any]:
        """The ``paymentData`` JSON object for this token."""
        return {
            "version": self.version,
            "data": _b64(self.data),
            "signature": _b64(self.signature),
            "header": self.header_json(),
        }

    def __repr__(self) -> str:
        return (
            f"PaymentToken(version={self.version!r}, transaction_id={self.transaction_id!r}, "
            f"public_key_hash={self.public_key_hash_b64!r}, "
            f"application_data={'present' if self.application_data is not None else 'absent'})"
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def parse_token(
    source: bytes | bytearray | str | Mapping[str, Any] | PaymentToken,
    *,
    max_size: int = MAX_TOKEN_BYTES,
) -> PaymentToken:
    """Normalise any accepted token shape to a :class:`PaymentToken`.

    Accepted: ``paymentData`` itself; a PKPaymentToken (``{"paymentData": ...}``); Apple Pay
    JS's ``event.payment`` (``{"token": {...}}``); base64 of the ``paymentData`` JSON; each as
    a dict, a JSON string or bytes. To read a file or stdin use :func:`read_token`.
    """
    if isinstance(source, bytes | bytearray):  # a request body: the common case first
        raw = bytes(source)
    elif isinstance(source, str):
        raw = _utf8(source)
    elif isinstance(source, PaymentToken):
        return source
    elif isinstance(source, Mapping):
        _check_mapping_size(source, max_size)
        return _payment_data_from(source, depth=0)
    else:
        # Review (#11): a framework may hand over already-parsed JSON that is not an object
        # (None, True, [], 1): that is a malformed token, not a programming error.
        raise MalformedTokenError(
            f"a token is a JSON object, its text or bytes, not {type(source).__name__[:40]}"
        )
    _check_size(len(raw), max_size)
    return _payment_data_from(raw, depth=0)


def read_token(path: str | os.PathLike[str], *, max_size: int = MAX_TOKEN_BYTES) -> PaymentToken:
    """Read a token from a file, or from stdin when ``path`` is ``"-"``."""
    if os.fspath(path) == "-":
        return parse_token(_read_bounded(sys.stdin.buffer, max_size), max_size=max_size)
    try:
        with open(path, "rb") as handle:
            raw = _read_bounded(handle, max_size)
    except OSError as exc:
        raise MalformedTokenError(
            f"cannot read token file {os.fspath(path)!r}: {exc.strerror}"
        ) from None
    return parse_token(raw, max_size=max_size)


def _read_bounded(stream: BinaryIO, max_size: int) -> bytes:
    raw = stream.read(max_size + 1)
    _check_size(len(raw), max_size)
    return raw


def _check_size(size: int, max_size: int) -> None:
    if size > max_size:
        raise MalformedTokenError(
            f"token input is larger than {max_size} bytes; real Apple Pay tokens are about 4 KiB"
        )
    if size == 0:
        raise MalformedTokenError("token input is empty")


def _check_mapping_size(source: Mapping[str, Any], max_size: int) -> None:
    try:
        size = len(json.dumps(source, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):  # fuzzing (#7): nested past the limit
        raise MalformedTokenError("token object is not JSON-serialisable") from None
    _check_size(size, max_size)


def _utf8(text: str) -> bytes:
    # Fuzzing (#7): a str, or a JSON "\ud800" escape, can hold a lone surrogate.
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedTokenError("token text is not valid Unicode") from None


def _name(key: object) -> str:
    # Fuzzing (#7): a field name quoted in a message must be printable text (no surrogates).
    return str(key)[:40].encode("utf-8", "backslashreplace").decode("utf-8")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; a repeated key makes it shorter than the pairs
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedTokenError(f"token JSON repeats the key {key[:40]!r}")
            seen.add(key)
    return result


def _reject_constant(name: str) -> None:
    raise MalformedTokenError(f"token JSON contains {name}, which is not JSON")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
)


def _what_token_text_is(text: bytes) -> str:
    if text[:1] == b"[":
        return "it is a JSON array, not an object"
    if text in (b"null", b"true", b"false") or (text[:1].isdigit() and text.isdigit()):
        return "it is a JSON value that is not an object"
    if len(text) < 200:  # a token is thousands of characters, as JSON or as base64
        return f"it is {len(text)} characters of text, far too short for a token"
    return _what_text_is(text)


def _loads(text: bytes) -> Any:
    """``text`` is stripped already: one JSON value must span all of it."""
    try:
        decoded = text.decode("utf-8")
        value, end = _DECODER.raw_decode(decoded)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedTokenError("token is not valid JSON (nor base64 of JSON)") from None
    if end != len(decoded):
        raise MalformedTokenError("token is not valid JSON (nor base64 of JSON)")
    return value


def _payment_data_from(value: Any, *, depth: int) -> PaymentToken:
    """Walk down the known wrappers until ``paymentData`` is found."""
    if depth > _MAX_NESTING:
        raise MalformedTokenError("token is nested too deeply to be an Apple Pay token")
    if isinstance(value, bytes | str):
        raw = _utf8(value) if isinstance(value, str) else value
        stripped = raw.strip()
        if stripped[:1] in (b"{", b'"'):
            return _payment_data_from(_loads(stripped), depth=depth + 1)
        # base64 of the paymentData JSON (YabandPay's payment_token_object, iOS apps).
        if _HEX_BYTES.fullmatch(stripped) and len(stripped) % 2 == 0:
            # Never base64 of JSON text (that starts "ey" or "I"): say what it is.
            raise MalformedTokenError(
                "token is hexadecimal text: the token is the paymentData JSON or base64 of it"
            )
        try:
            decoded = _decode_base64(stripped, "token")
        except MalformedTokenError:
            # `5`, `null`, `[...]` and any other text land here: say what a token may be,
            # and what this one looks like (issue #14, item 7).
            raise MalformedTokenError(
                "token is neither a JSON object (or its text) nor base64 of one: "
                f"{_what_token_text_is(stripped)}"
            ) from None
        if decoded.strip()[:1] not in (b"{", b'"'):
            raise MalformedTokenError(
                f"token is valid base64, but of {len(decoded)} bytes that are not JSON text: "
                "base64 of the paymentData JSON was expected (is this another field, or "
                "base64 applied twice?)"
            )
        return _payment_data_from(decoded, depth=depth + 1)
    if not isinstance(value, dict | Mapping):  # dict first: the cheap check for parsed JSON
        raise MalformedTokenError("token is neither a JSON object nor base64 of one")
    if "version" in value:
        return _validate_payment_data(value)
    if "paymentData" in value:  # PKPaymentToken
        return _payment_data_from(value["paymentData"], depth=depth + 1)
    if "token" in value:  # Apple Pay JS: ApplePayPayment
        return _payment_data_from(value["token"], depth=depth + 1)
    fields = ", ".join(sorted(_name(k) for k in value)[:8]) or "none"
    raise MalformedTokenError(
        "no paymentData found: expected an object with version, data, signature and header, "
        f"or one wrapping it under paymentData or token (fields seen: {fields})"
    )


def _validate_payment_data(doc: Mapping[str, Any]) -> PaymentToken:
    version = doc.get("version")
    if not isinstance(version, str):
        raise MalformedTokenError("paymentData.version is not a string")
    if version not in _HEADER_FIELDS:
        raise UnsupportedVersionError(
            f"token version {version[:32]!r} is not supported; this library decrypts "
            + " and ".join(SUPPORTED_VERSIONS)
        )
    if doc.keys() != _PAYMENT_DATA_FIELDS:
        missing = sorted(_PAYMENT_DATA_FIELDS - doc.keys())
        if missing:
            raise MalformedTokenError(f"paymentData lacks {', '.join(missing)}")
        extra = sorted(_name(k) for k in doc.keys() - _PAYMENT_DATA_FIELDS)
        raise MalformedTokenError(f"paymentData has unexpected fields: {', '.join(extra)}")
    header = doc["header"]
    if not isinstance(header, dict | Mapping):
        raise MalformedTokenError("paymentData.header is not an object")
    _check_header_fields(version, header)

    data = _decode_base64_field(doc, "data", "paymentData.data")
    if len(data) <= 16:
        raise MalformedTokenError("paymentData.data is too short to hold ciphertext and a GCM tag")
    signature = _decode_base64_field(
        doc, "signature", "paymentData.signature", decode=_SIGNATURE_PREFIXES.decode
    )
    if not signature:
        raise MalformedTokenError("paymentData.signature is empty")
    public_key_hash = _decode_base64_field(header, "publicKeyHash", "header.publicKeyHash")
    if len(public_key_hash) != 32:
        raise MalformedTokenError("header.publicKeyHash is not a 32-byte SHA-256 hash")
    # Review (#11): the messageDigest concatenates the fields without lengths, so every
    # field's width is fixed here; bytes cannot move from one field into another.
    transaction_id, _ = _hex_field(header, "transactionId")
    application_data = None
    if "applicationData" in header:
        _, application_data = _hex_field(header, "applicationData")
    material_field = _HEADER_FIELDS[version][0]
    material = _decode_base64_field(header, material_field, f"header.{material_field}")
    if version == "EC_v1":
        _check_ephemeral_key_shape(material)
    elif not material:
        raise MalformedTokenError(f"header.{material_field} is empty")
    ephemeral = material if version == "EC_v1" else None
    wrapped = material if version == "RSA_v1" else None
    return build(
        PaymentToken,
        version=version,
        data=data,
        signature=signature,
        public_key_hash=public_key_hash,
        transaction_id=transaction_id,
        ephemeral_public_key=ephemeral,
        wrapped_key=wrapped,
        application_data=application_data,
    )


def _check_header_fields(version: str, header: Mapping[str, Any]) -> None:
    required = _HEADER_FIELDS[version]
    missing = [name for name in required if name not in header]
    if missing:
        raise MalformedTokenError(f"{version} header lacks {', '.join(missing)}")
    allowed = _ALLOWED_HEADER_FIELDS[version]
    if header.keys() <= allowed:
        return
    for name in sorted(str(k) for k in header.keys() - allowed):
        owner = next((v for v, fields in _HEADER_FIELDS.items() if name in fields), None)
        if owner is not None:
            raise MalformedTokenError(
                f"header field {name} belongs to {owner} tokens, not {version}"
            )
        raise MalformedTokenError(f"header has an unexpected field {name[:40]!r}")


def _decode_base64_field(
    doc: Mapping[str, Any],
    name: str,
    label: str,
    *,
    decode: Callable[[bytes | str], bytes] | None = None,
) -> bytes:
    value = doc[name]
    if not isinstance(value, str):
        raise MalformedTokenError(f"{label} is not a string")
    return _decode_base64(value, label, decode=decode)


def _decode_base64(
    raw: bytes | str, label: str, *, decode: Callable[[bytes | str], bytes] | None = None
) -> bytes:
    # Strict: standard alphabet, padding required, no whitespace. Lenient decoding would
    # skip stray characters and accept a different token than the one that was signed.
    try:
        decoded = (decode or _strict_a2b_base64)(raw)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise MalformedTokenError(
            f"{label} is not well-formed base64: {_what_text_is(raw)}"
        ) from None
    if not _canonical_ending(raw, decoded):
        raise MalformedTokenError(
            f"{label} is not well-formed base64: its last characters are not the one "
            "encoding of what they decode to (extra '=' or non-zero unused bits)"
        )
    return decoded


_HEX = re.compile(r"[0-9A-Fa-f]+")
_HEX_BYTES = re.compile(rb"[0-9A-Fa-f]{16,}")
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_BASE64URL_TEXT = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_SPACE = re.compile(r"\s+")


def _decodes(compact: str) -> bool:
    try:
        _strict_a2b_base64(compact)
    except ValueError:
        return False
    return bool(compact)


def _what_text_is(raw: bytes | str) -> str:
    """What a text that is not strict base64 looks like, for the message (issue #14,
    item 7): wrapped base64, base64url, hexadecimal, missing padding, or where the first
    character outside base64 is. Never the text itself."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return "it has bytes that are not ASCII text"
    else:
        text = raw
    if not text:
        return "it is empty"
    compact = _SPACE.sub("", text)
    if compact != text and _decodes(compact):
        return "it is base64 wrapped over several lines (or with spaces): join it into one line"
    if compact != text:
        return "it is text with spaces or line breaks, not base64"
    if len(compact) % 2 == 0 and _HEX.fullmatch(compact) and not compact.isdigit():
        return "it is hexadecimal text, not base64"
    if _BASE64URL_TEXT.fullmatch(compact) and ("-" in compact or "_" in compact):
        return "it is base64url ('-' and '_'); Apple's fields are standard base64 ('+' and '/')"
    if _BASE64_TEXT.fullmatch(compact) and len(compact) % 4:
        return "its '=' padding is missing or incomplete"
    if compact.startswith(("{", "[")):
        return "it is JSON text, not base64"
    position = next(
        (i for i, c in enumerate(text) if not (c.isascii() and (c.isalnum() or c in "+/="))),
        None,
    )
    if position is not None:
        return f"character {position + 1} is not a base64 character"
    return "its length or padding is not that of base64"


def _canonical_ending(raw: bytes | str, decoded: bytes) -> bool:
    """Strict mode still accepts padding after a whole group ("QUJD====") and unused bits
    that are not zero ("QR=="): the text must be the one encoding of what it decodes to.
    Every group but the last is canonical once strict decoding accepted it, and so is a
    last group without padding; with padding, the character before it carries unused
    bits, which must be zero."""
    if len(raw) != (len(decoded) + 2) // 3 * 4:
        return False
    if not raw:
        return True
    end = raw[-3:] if isinstance(raw, str) else raw[-3:].decode("latin-1")
    if end[2] != "=":
        return True
    if end[1] == "=":  # one byte in the last group: 4 unused bits
        return end[0] in _NO_LOW_4_BITS
    return end[1] in _NO_LOW_2_BITS  # two bytes: 2 unused bits


#: Base64 digits whose value is a multiple of 16, of 4.
_NO_LOW_4_BITS = frozenset("AQgw")
_NO_LOW_2_BITS = frozenset("AEIMQUYcgkosw048")


class Base64Prefixes:
    """Strict base64 decoding that does not decode twice a long prefix it has seen.

    Apple's signatures are about 2,400 base64 characters, and the first 2,000 or so (the
    two Apple certificates) are the same in every token. This remembers the longest common
    prefix of consecutive inputs (whole 4-character groups, never the last one, so never
    padding) with its decoding; an input starting with a known prefix decodes only what
    follows it. A prefix of whole groups decodes on its own, so whatever this accepts
    decodes exactly as strict decoding of the whole input would. It refuses one thing more,
    padding right after a known prefix, which :func:`_canonical_ending` refuses anyway:
    after both, the two ways accept the same texts (``tests/test_token_input.py``).
    """

    def __init__(self, size: int = 8, min_prefix: int = 512) -> None:
        self._known: tuple[tuple[bytes | str, bytes], ...] = ()
        self._previous: bytes | str = ""
        self._size = size
        self._min_prefix = min_prefix

    def decode(self, text: bytes | str) -> bytes:
        for prefix, decoded in self._known:
            if type(text) is type(prefix) and text.startswith(prefix):  # type: ignore[arg-type]
                return decoded + _strict_a2b_base64(text[len(prefix) :])
        decoded = _strict_a2b_base64(text)
        self._learn(text, decoded)
        return decoded

    def _learn(self, text: bytes | str, decoded: bytes) -> None:
        previous, self._previous = self._previous, text
        if type(previous) is not type(text):
            return
        # Whole groups only, and never the last group (the only one that may hold padding).
        length = min(_common_prefix_length(previous, text), len(text) - 4) // 4 * 4
        if length < self._min_prefix:
            return
        entry = (text[:length], decoded[: length // 4 * 3])
        # A new tuple, swapped in whole: readers in other threads see the old or the new one.
        self._known = (entry, *self._known[: self._size - 1])


def _common_prefix_length(a: bytes | str, b: bytes | str) -> int:
    """Length of the longest common prefix, by bisection over ``startswith`` (C speed)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if b.startswith(a[:middle]):  # type: ignore[arg-type]
            low = middle
        else:
            high = middle - 1
    return low


#: Shared by every parse in the process: it only ever returns what strict decoding returns.
_SIGNATURE_PREFIXES = Base64Prefixes()


if sys.version_info >= (3, 11):
    _strict_a2b_base64 = functools.partial(binascii.a2b_base64, strict_mode=True)
else:  # pragma: no cover - exercised on 3.10 only
    # No strict mode: the alphabet and padding shape are checked first; canonicality is
    # _canonical_ending's, as on 3.11.
    _strict_a2b_base64 = functools.partial(base64.b64decode, validate=True)


#: header.transactionId and header.applicationData are 32 bytes: every real transactionId
#: is, and Apple documents applicationData as a SHA-256 hash.
HEX_FIELD_BYTES = 32
_HEX_FIELD_DIGITS = 2 * HEX_FIELD_BYTES


def _hex_field(header: Mapping[str, Any], name: str) -> tuple[str, bytes]:
    """The field's text in lower case and its bytes: exactly 64 hex digits (32 bytes).

    Review (#11): a free length let the bytes at the end of a genuine transactionId move
    into a new applicationData (or the reverse) under the same digest: one signed token,
    many transaction ids. Lower case: one signed value has one spelling, so an idempotency
    key or replay-guard key taken from it is the same however the token spelled it.
    unhexlify is strict: pairs of hex digits only, no whitespace."""
    value = header[name]
    try:
        if isinstance(value, str) and len(value) == _HEX_FIELD_DIGITS:
            return value.lower(), binascii.unhexlify(value)
    except ValueError:  # binascii.Error, or non-ASCII text
        pass
    raise MalformedTokenError(
        f"header.{name} is not {_HEX_FIELD_DIGITS} hex digits ({HEX_FIELD_BYTES} bytes)"
    )


#: DER SubjectPublicKeyInfo of a P-256 key (id-ecPublicKey, prime256v1) up to the BIT
#: STRING's unused-bits byte, then 0x04 (uncompressed point): Apple's ephemeralPublicKey is
#: this prefix and the point's 64 bytes, 91 bytes in all, in every token.
EC_V1_EPHEMERAL_KEY_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004")
EC_V1_EPHEMERAL_KEY_BYTES = 91


def _check_ephemeral_key_shape(material: bytes) -> None:
    """Review (#11): one fixed shape, so the key material's end is fixed too (the digest
    concatenates it with data without a length). Whether the point lies on the curve is
    ec_v1's to check, at decryption."""
    if len(material) != EC_V1_EPHEMERAL_KEY_BYTES or not material.startswith(
        EC_V1_EPHEMERAL_KEY_PREFIX
    ):
        raise MalformedTokenError(
            "header.ephemeralPublicKey is not a P-256 public key in Apple's form (DER "
            "SubjectPublicKeyInfo of an uncompressed point, 91 bytes)"
        )
