"""Record the fuzzers' findings: ``python -m applepay_crypto.testing.record_fuzz vectors/fuzz``.

Every input that once crashed the library (an exception other than an ApplePayError), or
that the fuzz suite checks by construction (deep nesting, huge lengths), is minted afresh
under a new test authority, run through the library, and written only if the library
rejects it with the expected code. The directory is the recorder's alone: it is emptied
and rewritten. Nobody edits these files by hand.

Not recordable in this format: a token *dict* nested past the recursion limit (found by
fuzzing; a JSON file that deep cannot be read back), tested in
``tests/security/test_hostile_inputs.py`` instead; and review (#11)'s findings outside
token input (decrypt-batch lines, option text, URLs, Redis URLs, merchant ids), tested by
property in ``tests/security/test_batch_lines.py``, ``test_cli_hostile.py``,
``test_public_entry_points.py`` and ``test_error_text.py``.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asn1crypto import cms, core

from .authority import TestAuthority
from .cases import AUTHORITY_FROM, SIGNED_AT, VERIFY_AT
from .merchant import TestMerchant
from .mint import mint
from .payload import sample_payload
from .record import _ISO, _key_entry, _pem
from .vectors import FORMAT, recorder_main, run_vector

__all__ = [
    "deep_payload",
    "definite_nest",
    "main",
    "record",
    "unknown_attribute_instance_of",
    "with_certificate_version",
    "with_unsigned_attribute",
]

_RECORDED_BY = "python -m applepay_crypto.testing.record_fuzz"


def _tlv(tag: int, contents: bytes) -> bytes:
    size = len(contents)
    if size < 0x80:
        return bytes((tag, size)) + contents
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(raw))) + raw + contents


def definite_nest(depth: int) -> bytes:
    """``depth`` definite-length SEQUENCEs around a NULL."""
    inner = b"\x05\x00"
    for _ in range(depth):
        inner = _tlv(0x30, inner)
    return inner


def with_unsigned_attribute(signature: bytes, depth: int) -> bytes:
    """An Apple-shaped ``signature`` (SignerInfos last, inside indefinite-length wrappers)
    with an unsigned attribute holding ``depth`` nested SEQUENCEs. Unsigned attributes are
    outside what is signed: the signature stays valid."""
    signer_infos = cms.ContentInfo.load(signature)["content"]["signer_infos"]
    original = signer_infos.dump()
    at = signature.rindex(original)
    attribute = _tlv(
        0x30,
        core.ObjectIdentifier("1.2.840.113635.100.99.1").dump() + _tlv(0x31, definite_nest(depth)),
    )
    signer = _tlv(0x30, signer_infos[0].contents + _tlv(0xA1, attribute))
    return signature[:at] + _tlv(0x31, signer) + signature[at + len(original) :]


def unknown_attribute_instance_of(signature: bytes) -> bytes:
    """The messageDigest attribute (1.2.840.113549.1.9.4) turned into an unknown one
    (…1.9.99) whose OCTET STRING value is re-tagged 8 (INSTANCE OF)."""
    digest = b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04\x31\x22\x04\x20"
    return signature.replace(digest, b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x63\x31\x22\x08\x20", 1)


def with_certificate_version(signature: bytes, version: int) -> bytes:
    """The first certificate's ``[0] EXPLICIT INTEGER`` version set to ``version``."""
    at = signature.index(b"\xa0\x03\x02\x01\x02") + 4
    return signature[:at] + bytes((version,)) + signature[at + 1 :]


def deep_payload(field: str, depth: int) -> bytes:
    """A 3DSecure payload whose ``field`` nests ``depth`` JSON arrays (inside an object
    or a list of objects where Apple's field has that shape)."""
    nested = "[" * depth + "]" * depth
    if field == "authenticationResponses":
        value = f'[{{"x": {nested}}}]'
    elif field == "merchantTokenMetadata":
        value = f'{{"x": {nested}}}'
    else:  # a field Apple may add: any value
        value = nested
    base = json.dumps(sample_payload())
    return (base[:-1] + f', "{field}": {value}}}').encode("ascii")


def _with_surrogates() -> bytes:
    """A payload with lone surrogates in a known field's value and an unknown field's name,
    as the JSON escapes that make them."""
    payload: dict[str, Any] = sample_payload(cardholder_name="Jane\ud800")
    payload["future\udfff"] = 1
    return json.dumps(payload).encode("ascii")


class _Parsed:
    """A token input recorded as parsed JSON (``input.json``) whatever its type."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _input(token: Any) -> dict[str, Any]:
    if isinstance(token, _Parsed):
        return {"json": token.value}
    return {"json": token} if isinstance(token, dict) else {"text": token}


def _cases(authority: TestAuthority, merchant: TestMerchant) -> Iterator[tuple[str, str, Any]]:
    """(name, description, token input) for each finding."""

    def minted(payload: Any = None) -> dict[str, Any]:
        return mint(
            payload if payload is not None else sample_payload(),
            recipient=merchant,
            authority=authority,
            signing_time=SIGNED_AT,
        )

    def signed_with(signature: bytes) -> dict[str, Any]:
        return {**minted(), "signature": base64.b64encode(signature).decode("ascii")}

    valid = base64.b64decode(minted()["signature"])
    yield (
        "unsigned-attribute-deep-nesting",
        "crasher (RecursionError after verification): a valid token whose CMS carries an "
        "unsigned attribute of 1000 nested SEQUENCEs; refused by the BER pre-scan",
        signed_with(with_unsigned_attribute(valid, 1000)),
    )
    yield (
        "signed-attribute-instance-of",
        "crasher (AttributeError inside asn1crypto; found by atheris): the messageDigest "
        "attribute renamed to an unknown type whose value has the universal tag 8 "
        "(INSTANCE OF), which asn1crypto cannot re-encode",
        signed_with(unknown_attribute_instance_of(valid)),
    )
    yield (
        "certificate-version-16",
        "crasher (cryptography's InvalidVersion; found by atheris): the signing "
        "certificate's version field set to 16",
        signed_with(with_certificate_version(valid, 16)),
    )
    yield (
        "lone-surrogate-text",
        "crasher (UnicodeEncodeError): a token given as text holding a lone surrogate",
        '{"paymentData": {"version": "EC_v1", "data": "\ud800"}}',
    )
    yield (
        "lone-surrogate-json-escape",
        "crasher (UnicodeEncodeError): a JSON \\udcfb escape decodes to a lone surrogate "
        "where a nested token string is expected",
        '{"paymentData": "\\udcfb"}',
    )
    for field in ("merchantTokenMetadata", "authenticationResponses"):
        yield (
            f"payment-data-deep-nesting-{field}",
            f"crasher (RecursionError): a signed token whose decrypted {field} nests 600 "
            "JSON arrays, within the JSON decoder's limit but not the payload model's",
            minted(deep_payload(field, 600)),
        )
    yield (
        "payment-data-deep-nesting-unknown-field",
        "crasher (RecursionError in decrypt-batch; review #11): a signed token whose "
        "decrypted payload has an unknown field nesting 980 JSON arrays, which from_json "
        "accepted and to_dict() could not parse again a few stack frames deeper; refused "
        "by the payload depth bound",
        minted(deep_payload("futureField", 980)),
    )
    yield (
        "payment-data-lone-surrogate",
        "crasher (UnicodeEncodeError in the CLI's printing; review #11): a signed token whose "
        "decrypted payload has a \\ud800 escape in cardholderName and a \\udfff one in an "
        "unknown field's name; refused by PaymentData.from_json",
        minted(_with_surrogates()),
    )
    yield (
        "ber-indefinite-nesting-10k",
        "bounded: a signature of 10000 nested indefinite-length SEQUENCEs",
        signed_with(b"\x30\x80" * 10000 + b"\x00\x00" * 10000),
    )
    yield (
        "ber-length-4gib",
        "bounded: the outer CMS element claims a 4 GiB length",
        signed_with(b"\x30\x84\xff\xff\xff\xff" + valid[2:]),
    )
    for label, value in (("null", None), ("true", True), ("array", []), ("number", 1)):
        yield (
            f"parsed-json-{label}",
            "crasher (TypeError; review #11): already-parsed JSON that is not an object, as "
            f"a framework hands it over ({json.dumps(value)}); the README accepts a dict",
            _Parsed(value),
        )
    yield (
        "json-arrays-30k-deep",
        "bounded: 30000 nested JSON arrays within the 64 KiB limit",
        '{"paymentData": ' + "[" * 30000 + "]" * 30000 + "}",
    )


_EXPECTED = {
    "unsigned-attribute-deep-nesting": "signature_invalid",
    "signed-attribute-instance-of": "signature_invalid",
    "certificate-version-16": "certificate_invalid",
    "ber-indefinite-nesting-10k": "signature_invalid",
    "ber-length-4gib": "signature_invalid",
}


def record(directory: Path) -> int:
    authority = TestAuthority.create(not_before=AUTHORITY_FROM)
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.fuzz")
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    count = 0
    for name, description, token in _cases(authority, merchant):
        document = {
            "format": FORMAT,
            "name": name,
            "description": description,
            "recorded_by": _RECORDED_BY,
            "input": _input(token),
            "trust": {"root_pem": _pem(authority.root.certificate)},
            "keys": [_key_entry(merchant, merchant_id_only=False)],
            "verify_at": VERIFY_AT.strftime(_ISO),
            "max_age_seconds": 300,
            "expected": {"error": _EXPECTED.get(name, "malformed_token")},
        }
        outcome = run_vector(document)
        if outcome != document["expected"]:
            raise SystemExit(
                f"{name}: the library gives {outcome}, expected {document['expected']}"
            )
        (directory / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
        count += 1
    (directory / "README.md").write_text(
        f"Recorded by `{_RECORDED_BY} vectors/fuzz`; do not edit.\n\n"
        "Inputs the fuzzers (tests/security, fuzz/) found crashing the library, and hostile "
        "inputs checked by construction; each must be rejected with the code in `expected`.\n"
    )
    return count


def main(argv: list[str] | None = None) -> int:
    return recorder_main(record, command=_RECORDED_BY, what="fuzz vectors", argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
