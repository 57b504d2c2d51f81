"""Token input: every accepted shape normalises to the same token; everything else is rejected."""

from __future__ import annotations

import base64
import binascii
import io
import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from applepay_crypto import MalformedTokenError, UnsupportedVersionError, parse_token, read_token
from applepay_crypto.testing import mint, sample_payload
from applepay_crypto.token import MAX_TOKEN_BYTES, Base64Prefixes, _decode_base64


@pytest.fixture(scope="module")
def payment_data(authority, ec_merchant) -> dict[str, Any]:
    return mint(
        sample_payload(),
        recipient=ec_merchant,
        authority=authority,
        application_data=bytes(range(32)),
    )


def shapes(payment_data: dict[str, Any]) -> dict[str, Any]:
    pk_payment_token = {
        "paymentData": payment_data,
        "paymentMethod": {"displayName": "Visa 1111", "network": "Visa", "type": "debit"},
        "transactionIdentifier": payment_data["header"]["transactionId"].upper(),
    }
    b64 = base64.b64encode(json.dumps(payment_data).encode()).decode()
    return {
        "paymentData dict": payment_data,
        "paymentData JSON str": json.dumps(payment_data),
        "paymentData JSON bytes, pretty": json.dumps(payment_data, indent=2).encode(),
        "PKPaymentToken": pk_payment_token,
        "PKPaymentToken JSON": json.dumps(pk_payment_token),
        "Apple Pay JS payment": {
            "token": pk_payment_token,
            "billingContact": {"countryCode": "NL"},
        },
        "base64 of paymentData": b64,
        "base64 bytes with newline": (b64 + "\n").encode(),
        "JSON string holding base64": json.dumps(b64),
        "PKPaymentToken with base64 paymentData": {"paymentData": b64},
    }


def test_every_shape_gives_the_same_token(payment_data: dict[str, Any]) -> None:
    expected = parse_token(payment_data)
    for name, shape in shapes(payment_data).items():
        assert parse_token(shape) == expected, name
    assert expected.to_json_dict() == payment_data


def test_path_and_stdin(tmp_path, payment_data, monkeypatch) -> None:
    path = tmp_path / "token.json"
    path.write_text(json.dumps({"paymentData": payment_data}))
    assert read_token(path) == parse_token(payment_data)
    assert read_token(str(path)) == parse_token(payment_data)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert read_token("-") == parse_token(payment_data)


def test_fields_are_decoded(payment_data: dict[str, Any]) -> None:
    token = parse_token(payment_data)
    header = payment_data["header"]
    assert token.version == "EC_v1"
    assert token.data == base64.b64decode(payment_data["data"])
    assert token.ephemeral_public_key == base64.b64decode(header["ephemeralPublicKey"])
    assert token.public_key_hash_b64 == header["publicKeyHash"]
    assert token.transaction_id == header["transactionId"]
    assert token.application_data == bytes(range(32))
    assert token.signed_content() == (
        token.ephemeral_public_key
        + token.data
        + bytes.fromhex(token.transaction_id)
        + bytes(range(32))
    )
    assert "data" not in repr(token).lower().replace("application_data", "")


def mutate(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    *parents, last = path.split(".")
    target = copy
    for part in parents:
        target = target[part]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return copy


DELETE = object()

MALFORMED = {
    "data not base64": ("data", "not*base64"),
    "data missing padding": ("data", "QUJD"[:3]),
    "data with whitespace": ("data", "QUJD REVG"),
    "data too short": ("data", base64.b64encode(b"x" * 16).decode()),
    "data not a string": ("data", 12),
    "signature missing": ("signature", DELETE),
    "signature empty": ("signature", ""),
    "header not an object": ("header", "x"),
    "publicKeyHash wrong length": ("header.publicKeyHash", base64.b64encode(b"x" * 31).decode()),
    "publicKeyHash missing": ("header.publicKeyHash", DELETE),
    "transactionId not hex": ("header.transactionId", "xyz0"),
    "transactionId odd length": ("header.transactionId", "abc"),
    "transactionId with spaces": ("header.transactionId", "ab cd"),
    "transactionId with an even-length space": ("header.transactionId", "ab c"),
    "transactionId empty": ("header.transactionId", ""),
    "transactionId not ASCII": ("header.transactionId", "\u0661\u0662"),
    "transactionId not a string": ("header.transactionId", 12),
    "applicationData with a newline": ("header.applicationData", "ab\n"),
    "applicationData not hex": ("header.applicationData", "zz"),
    "ephemeralPublicKey missing": ("header.ephemeralPublicKey", DELETE),
    "wrappedKey in an EC_v1 header": ("header.wrappedKey", "QUJD"),
    "unknown header field": ("header.extra", "1"),
    "unknown top-level field": ("extra", "1"),
    "version not a string": ("version", 1),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_fields_are_rejected(case: str, payment_data: dict[str, Any]) -> None:
    path, value = MALFORMED[case]
    with pytest.raises(MalformedTokenError) as caught:
        parse_token(mutate(payment_data, path, value))
    assert caught.value.code == "malformed_token"


def test_header_of_the_other_version_is_named(payment_data: dict[str, Any]) -> None:
    rsa_header = mutate(payment_data, "version", "RSA_v1")
    with pytest.raises(MalformedTokenError, match="RSA_v1 header lacks wrappedKey"):
        parse_token(rsa_header)
    both = mutate(mutate(rsa_header, "header.wrappedKey", "QUJD"), "version", "RSA_v1")
    with pytest.raises(MalformedTokenError, match="ephemeralPublicKey belongs to EC_v1"):
        parse_token(both)


@pytest.mark.parametrize("version", ["EC_v2", "ec_v1", "", "RSA_v2"])
def test_unknown_versions(version: str, payment_data: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedVersionError) as caught:
        parse_token(mutate(payment_data, "version", version))
    assert caught.value.code == "unsupported_version"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"a": 1}',
        b"not base64 at all!",
        base64.b64encode(b"not json"),
        b'{"version": "EC_v1", "version": "EC_v1"}',
        b'{"version": NaN}',
        b"\xff\xfe",
    ],
)
def test_garbage_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedTokenError):
        parse_token(raw)


def test_duplicate_keys_are_rejected(payment_data: dict[str, Any]) -> None:
    text = json.dumps(payment_data)
    duplicated = text[:-1] + ', "data": ' + json.dumps(payment_data["data"]) + "}"
    with pytest.raises(MalformedTokenError, match="repeats the key 'data'"):
        parse_token(duplicated)


def test_size_is_bounded(payment_data: dict[str, Any], tmp_path) -> None:
    padded = json.dumps(payment_data) + " " * MAX_TOKEN_BYTES
    with pytest.raises(MalformedTokenError, match="larger than 65536 bytes"):
        parse_token(padded)
    big = mutate(payment_data, "data", base64.b64encode(bytes(MAX_TOKEN_BYTES)).decode())
    with pytest.raises(MalformedTokenError, match="larger than"):
        parse_token(big)
    path = tmp_path / "big.json"
    path.write_text(padded)
    with pytest.raises(MalformedTokenError, match="larger than"):
        read_token(path)
    assert parse_token(json.dumps(payment_data), max_size=len(json.dumps(payment_data)))


def test_deep_nesting_is_bounded() -> None:
    nested: Any = {"version": "EC_v1"}
    for _ in range(20):
        nested = {"token": nested}
    with pytest.raises(MalformedTokenError, match="nested too deeply"):
        parse_token(nested)
    with pytest.raises(MalformedTokenError):
        parse_token("[" * 30_000 + "]" * 30_000)


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(MalformedTokenError, match="cannot read token file"):
        read_token(tmp_path / "absent.json")


def test_wrong_python_type() -> None:
    # Review (#11): parsed JSON of another type is a malformed token, not a TypeError.
    with pytest.raises(MalformedTokenError) as caught:
        parse_token(12)  # type: ignore[arg-type]
    assert caught.value.code == "malformed_token"


class TestBase64Prefixes:
    """The signature's base64 decoding skips a prefix seen before; its results and its
    errors must be exactly strict decoding's, whatever came before."""

    @staticmethod
    def strict(text: str) -> bytes | None:
        try:
            return _decode_base64(text, "signature")
        except MalformedTokenError:
            return None

    @staticmethod
    def memo(decoder: Base64Prefixes, text: str) -> bytes | None:
        try:
            return _decode_base64(text, "signature", decode=decoder.decode)
        except MalformedTokenError:
            return None

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="strict_mode is new in Python 3.11")
    @pytest.mark.parametrize("text", ["QUJD=", "QUJD====", "QR==", "QUJ="])
    def test_what_strict_mode_lets_through_is_refused(self, text: str) -> None:
        binascii.a2b_base64(text, strict_mode=True)  # Python accepts these
        with pytest.raises(MalformedTokenError, match="not well-formed base64"):
            _decode_base64(text, "paymentData.signature")

    def test_a_shared_prefix_is_learned_and_used(self) -> None:
        decoder = Base64Prefixes(min_prefix=8)
        common = base64.b64encode(bytes(range(60))).decode()
        first, second = (common + base64.b64encode(tail).decode() for tail in (b"ab", b"cd"))
        assert decoder.decode(first) == bytes(range(60)) + b"ab"
        assert decoder.decode(second) == bytes(range(60)) + b"cd"
        (prefix, decoded), *_ = decoder._known
        assert first.startswith(prefix) and len(prefix) % 4 == 0
        assert decoded == base64.b64decode(prefix)
        third = common + base64.b64encode(b"ef").decode()
        assert decoder.decode(third) == bytes(range(60)) + b"ef"

    @pytest.mark.parametrize(
        "tail",
        ["=AAA", "AA==AAAA", "AA=", "A", "AAA\n", "AA\u00e9A", "", "AAAA="],
    )
    def test_bad_tails_after_a_known_prefix(self, tail: str) -> None:
        decoder = Base64Prefixes(min_prefix=8)
        common = "QUJD" * 20
        decoder.decode(common + "AAAA")
        decoder.decode(common + "BBBB")  # learns the common prefix
        assert decoder._known
        assert self.memo(decoder, common + tail) == self.strict(common + tail)

    def test_padding_is_never_part_of_a_prefix(self) -> None:
        decoder = Base64Prefixes(min_prefix=8)
        padded = "QUJD" * 20 + "QQ=="
        decoder.decode(padded)
        decoder.decode(padded)  # the longest common prefix is the whole text
        assert decoder._known and all("=" not in prefix for prefix, _ in decoder._known)
        assert self.memo(decoder, padded + "AAAA") is None  # data after padding

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["", "QUJD" * 40, "QUJD" * 39 + "QUI=", "QUJD" * 41]),
                st.one_of(
                    st.sampled_from(["", "AAAA", "QQ==", "=AAA"]),
                    st.text(alphabet="ABCD+/=\n\u00e9", max_size=12),
                ),
            ),
            min_size=1,
            max_size=8,
        )
    )
    def test_same_results_as_strict_decoding(self, inputs: list[tuple[str, str]]) -> None:
        decoder = Base64Prefixes(size=2, min_prefix=8)
        for head, tail in inputs:
            assert self.memo(decoder, head + tail) == self.strict(head + tail)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40))
def test_canonical_base64_of_any_bytes_is_accepted(raw: bytes) -> None:
    assert _decode_base64(base64.b64encode(raw).decode(), "data") == raw


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="AQRgwxB/+0=", min_size=1, max_size=12))
def test_only_the_canonical_encoding_is_accepted(text: str) -> None:
    try:
        decoded = _decode_base64(text, "data")
    except MalformedTokenError:
        return
    assert base64.b64encode(decoded).decode() == text
