"""Hostile inputs by construction: deep nesting, huge length fields, text that is not
Unicode, each ending quickly in an ApplePayError. Each crasher the fuzzers found is here,
and is also recorded under vectors/fuzz/ by ``python -m applepay_crypto.testing.record_fuzz``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from asn1crypto import cms, core
from click.testing import CliRunner

from applepay_crypto import (
    ApplePayError,
    MalformedTokenError,
    PaymentData,
    SignatureInvalidError,
    TokenDecryptor,
    parse_token,
)
from applepay_crypto.ber import MAX_DEPTH, MAX_ELEMENTS, check_ber
from applepay_crypto.cli import main
from applepay_crypto.cms import parse_signed_data
from applepay_crypto.describe import describe_token
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload
from applepay_crypto.testing.record_fuzz import (
    deep_payload,
    definite_nest,
    unknown_attribute_instance_of,
    with_certificate_version,
    with_unsigned_attribute,
)

NOW = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.timezone.utc)
QUICK = 2.0  # seconds: generous for a loaded 2-core CI machine; real cost is milliseconds


def rejected(call: Callable[..., Any], *args: Any, **kwargs: Any) -> ApplePayError:
    """Run ``call``: it must raise an ApplePayError, quickly and within bounded memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        call(*args, **kwargs)
    except ApplePayError as exc:
        error = exc
    else:
        pytest.fail("accepted a hostile input")
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < QUICK, f"took {elapsed:.2f} s"
    assert peak < 32 * 1024 * 1024, f"peak memory {peak} bytes"
    return error


@pytest.fixture(scope="module")
def token(authority: TestAuthority, ec_merchant: TestMerchant) -> dict[str, Any]:
    return mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=NOW)


@pytest.fixture(scope="module")
def decryptor(authority: TestAuthority, ec_merchant: TestMerchant) -> TokenDecryptor:
    return TokenDecryptor(ec_merchant.merchant_key, trust=authority.trust_store())


def _with_signature(token: dict[str, Any], signature: bytes) -> dict[str, Any]:
    return {**token, "signature": base64.b64encode(signature).decode("ascii")}


# --- JSON -------------------------------------------------------------------------------


def test_30k_level_json_arrays_within_64_kib() -> None:
    for doc in (
        b"[" * 30000 + b"]" * 30000,
        b'{"paymentData": ' + b"[" * 30000 + b"]" * 30000 + b"}",
        b'{"a":' * 10000 + b"1" + b"}" * 10000,
    ):
        assert len(doc) <= 64 * 1024
        assert isinstance(rejected(parse_token, doc), MalformedTokenError)


def test_deeply_nested_dict_input() -> None:
    """Found by fuzzing: a dict nested past the recursion limit (as a web framework's
    JSON parser can hand over) raised RecursionError from the size check."""
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(5000):
        cursor["token"] = {}
        cursor = cursor["token"]
    assert isinstance(rejected(parse_token, deep), MalformedTokenError)


@pytest.mark.parametrize(
    "source",
    [
        "\ud800",
        '{"paymentData": "\ud800"}',
        b'{"paymentData": "\\udcfb"}',
        '{"token": "\\ud800"}',
        b'"\\ud800"',
    ],
    ids=["str", "str-in-json", "escape-in-bytes", "escape-in-str", "json-string"],
)
def test_lone_surrogates(source: str | bytes) -> None:
    """Found by fuzzing: text with a lone surrogate (a str, or a JSON \\ud800 escape
    decoded to one) raised UnicodeEncodeError."""
    assert isinstance(rejected(parse_token, source), MalformedTokenError)


def test_decrypted_payload_nested_too_deeply(
    authority: TestAuthority, ec_merchant: TestMerchant, decryptor: TokenDecryptor
) -> None:
    """Found by fuzzing: nesting the JSON decoder accepts but the payload model could not
    freeze raised RecursionError."""
    for field in ("merchantTokenMetadata", "authenticationResponses"):
        payload = deep_payload(field, 600)
        assert isinstance(rejected(PaymentData.from_json, payload), MalformedTokenError)
        token = mint(payload, recipient=ec_merchant, authority=authority, signing_time=NOW)
        assert rejected(decryptor.decrypt, token, now=NOW).code == "malformed_token"


# --- BER --------------------------------------------------------------------------------


def test_10k_level_indefinite_ber(token: dict[str, Any], decryptor: TokenDecryptor) -> None:
    signature = base64.b64decode(token["signature"])
    nest = b"\x30\x80" * 10000 + b"\x00\x00" * 10000
    certificates = signature.index(b"\xa0\x80\x30\x82") + 2
    for hostile in (nest, signature[:certificates] + nest + signature[certificates:]):
        assert isinstance(rejected(parse_signed_data, hostile), SignatureInvalidError)
        assert rejected(decryptor.decrypt, _with_signature(token, hostile), now=NOW).code in (
            "signature_invalid",
            "malformed_token",  # past 64 KiB once base64-encoded
        )


def test_deep_definite_nesting_in_an_unsigned_attribute(
    token: dict[str, Any], decryptor: TokenDecryptor
) -> None:
    """Found by fuzzing: unsigned attributes are outside the signature, so anyone holding
    one valid token can add one; 1000 nested SEQUENCEs in it raised RecursionError after
    the token had verified."""
    for depth in (MAX_DEPTH + 1, 1000, 10000):
        hostile = with_unsigned_attribute(base64.b64decode(token["signature"]), depth)
        assert isinstance(rejected(parse_signed_data, hostile), SignatureInvalidError)
        error = rejected(decryptor.decrypt, _with_signature(token, hostile), now=NOW)
        assert error.code == "signature_invalid"


def test_unknown_signed_attribute_with_tag_8(
    token: dict[str, Any], decryptor: TokenDecryptor
) -> None:
    """Found by atheris: asn1crypto raised AttributeError re-encoding an attribute value
    tagged INSTANCE OF."""
    hostile = unknown_attribute_instance_of(base64.b64decode(token["signature"]))
    assert isinstance(rejected(parse_signed_data, hostile), SignatureInvalidError)
    error = rejected(decryptor.decrypt, _with_signature(token, hostile), now=NOW)
    assert error.code == "signature_invalid"


def test_certificate_with_an_invalid_version(
    token: dict[str, Any], decryptor: TokenDecryptor
) -> None:
    """Found by atheris: cryptography's InvalidVersion (not a ValueError) escaped."""
    hostile = with_certificate_version(base64.b64decode(token["signature"]), 16)
    error = rejected(decryptor.decrypt, _with_signature(token, hostile), now=NOW)
    assert error.code == "certificate_invalid"
    parsed = parse_token(_with_signature(token, hostile))
    assert rejected(describe_token, parsed).code == "certificate_invalid"


def test_shallow_unsigned_attribute_is_harmless(
    token: dict[str, Any], decryptor: TokenDecryptor
) -> None:
    """Unsigned attributes are not Apple's, but are no reason to refuse a valid token."""
    signature = with_unsigned_attribute(base64.b64decode(token["signature"]), 3)
    result = decryptor.decrypt(_with_signature(token, signature), now=NOW)
    assert result.verified


@pytest.mark.parametrize(
    "length",
    [b"\x84\xff\xff\xff\xff", b"\x88" + b"\xff" * 8, b"\x84\x7f\xff\xff\xff", b"\xff"],
    ids=["4GiB", "8-byte-field", "2GiB", "reserved"],
)
def test_huge_length_fields(length: bytes, token: dict[str, Any]) -> None:
    signature = base64.b64decode(token["signature"])
    assert isinstance(rejected(parse_signed_data, b"\x30" + length + signature[2:]), ApplePayError)
    inner = signature.index(b"\x30\x82")  # the first definite-length certificate
    hostile = signature[:inner] + b"\x30" + length + signature[inner + 4 :]
    assert isinstance(rejected(parse_signed_data, hostile), SignatureInvalidError)


def test_long_tag_numbers() -> None:
    assert isinstance(
        rejected(parse_signed_data, b"\x1f" + b"\xff" * 40000 + b"\x01\x00"), ApplePayError
    )


@pytest.mark.parametrize("size", [0, 1, 2, 3, 17, 100])
def test_truncations(size: int, token: dict[str, Any]) -> None:
    signature = base64.b64decode(token["signature"])
    assert isinstance(rejected(parse_signed_data, signature[:size]), ApplePayError)
    if size:
        assert isinstance(rejected(parse_signed_data, signature[:-size]), ApplePayError)


# --- the pre-scan itself ----------------------------------------------------------------


def test_check_ber_accepts_apple_shaped_signatures(token: dict[str, Any]) -> None:
    check_ber(base64.b64decode(token["signature"]))
    check_ber(definite_nest(MAX_DEPTH - 1))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (definite_nest(MAX_DEPTH + 1), "nests deeper"),
        (b"\x30\x80" * (MAX_DEPTH + 1) + b"\x00\x00" * (MAX_DEPTH + 1), "nests deeper"),
        (b"\x04\x80\x00\x00", "primitive element an indefinite"),
        (b"\x30\x85\x00\x00\x00\x00\x00", "longer than 4 bytes"),
        (b"\x1f\x81\x81\x81\x81\x01\x00", "tag number longer"),
        (b"\x30\x03\x02\x05\x00", "past its container"),
        (b"\x30\x80\x02\x01\x00", "ends inside"),
        (b"\x30\x02\x00\x00", "end-of-contents marker outside"),
        (b"\x05\x00\x05\x00", "bytes after"),
        (b"\x30\xff", "reserved length byte"),
        (b"", "is empty"),
    ],
)
def test_check_ber_refuses(data: bytes, problem: str) -> None:
    with pytest.raises(SignatureInvalidError, match=problem) as info:
        check_ber(data)
    assert info.value.step == "1 CMS"


def test_check_ber_element_bound_is_explicit() -> None:
    flat = b"\x30\x82" + (MAX_ELEMENTS * 2).to_bytes(2, "big") + b"\x05\x00" * MAX_ELEMENTS
    with pytest.raises(SignatureInvalidError, match="more than"):
        check_ber(flat)
    check_ber(flat, max_elements=MAX_ELEMENTS + 1)


def test_asn1crypto_still_reads_what_the_scan_accepts(token: dict[str, Any]) -> None:
    info = cms.ContentInfo.load(base64.b64decode(token["signature"]))
    assert info["content_type"].native == "signed_data"
    assert core.Sequence.load(definite_nest(3)).dump()


# --- the CLI on text that is not Unicode -------------------------------------------------


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_cli_reports_odd_field_names_without_crashing(command: str, tmp_path: Any) -> None:
    path = tmp_path / "token.json"
    path.write_text(json.dumps({"\ud800": 1, "é": 2}))
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, [command, str(path), *extra])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
