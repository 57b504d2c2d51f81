"""decrypt-batch, review (#11) class 7: one bad line is one error result. Whatever mixture of
good and hostile lines comes in, with 1 or 2 workers, there is exactly one result per line,
in order; good lines decrypt exactly; a hostile line's result carries its own code."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from fuzz_support import fuzz_settings
from hostile import hostile_bytes, hostile_text, json_values, nested_text, parsed_values
from hypothesis import given
from hypothesis import strategies as st

from applepay_crypto.batch import MAX_LINE_BYTES, BatchConfig, decrypt_blocks, read_blocks
from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload, test_pan

SIGNED = dt.datetime(2026, 8, 8, 8, 0, tzinfo=dt.timezone.utc)
#: A rejected line's code: the token's shape (or its version) is wrong. Never internal_error.
HOSTILE_CODES = {"malformed_token", "unsupported_version"}


@pytest.fixture(scope="module")
def good_lines(authority: TestAuthority, ec_merchant: TestMerchant) -> list[tuple[bytes, Any]]:
    made = []
    for index in range(3):
        payload = sample_payload(pan=test_pan())
        token = mint(payload, recipient=ec_merchant, authority=authority, signing_time=SIGNED)
        line = {"id": f"order-{index}", "token": token} if index % 2 else token
        made.append((json.dumps(line).encode(), payload))
    return made


@pytest.fixture(scope="module")
def batch_config(authority: TestAuthority, ec_merchant: TestMerchant) -> BatchConfig:
    return BatchConfig.from_objects(
        [ec_merchant.merchant_key], trust=authority.trust_store(), now=SIGNED, reveal=True
    )


def _with_id(token_text: str) -> bytes:
    return ('{"id":1,"token":' + token_text + "}").encode("utf-8", "surrogatepass")


#: The review's lines, and the classes they stand for, each a whole line without a newline.
hostile_lines = st.one_of(
    # already-parsed JSON of any type (deep nesting included) where the token goes
    parsed_values.map(
        lambda v: _with_id(json.dumps(v)) if _dumpable(v) else b'{"id":1,"token":[]}'
    ),
    json_values.map(lambda v: json.dumps({"token": v}).encode()),
    # deep nesting next to an id, in the token or in the id itself
    st.sampled_from([1100, 30_000]).map(lambda d: _with_id(nested_text(d, "list"))),
    st.sampled_from([1100, 30_000]).map(
        lambda d: ('{"id":' + nested_text(d, "dict") + ',"token":{}}').encode()
    ),
    # ids that cannot be echoed: nested, surrogates, non-finite, huge
    st.one_of(json_values, hostile_text).map(
        lambda v: json.dumps({"id": v, "token": {"version": "EC_v9"}}).encode()
    ),
    st.sampled_from(
        [b'{"id":NaN,"token":1}', b'{"id":"\\ud800","token":1}', b'{"id":1e999,"token":1}']
    ),
    # not UTF-8, surrogates, non-object top level, anything at all
    hostile_bytes.map(lambda b: b'{"id":1,"token":"' + b + b'"}'),
    hostile_bytes,
    json_values.map(lambda v: json.dumps(v).encode()),
    # longer than a line may be
    st.just(b'{"id":1,"token":"' + b"A" * (MAX_LINE_BYTES + 10) + b'"}'),
).map(lambda line: line.replace(b"\n", b" "))
#: Issue #14: a blank line (or one of spaces, tabs, a CR) is a line too: it gets its result.
blank_lines = st.sampled_from([b"", b" ", b"\t", b"\r", b"  \r"])


def _dumpable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (ValueError, RecursionError):
        return False
    return True


def _run(lines: list[bytes], config: BatchConfig, workers: int, block_size: int) -> list[Any]:
    source = io.BytesIO(b"\n".join(lines) + b"\n")
    outputs: list[Any] = []
    for block, codes in decrypt_blocks(
        read_blocks(source, block_size=block_size), config, workers=workers
    ):
        produced = block.splitlines()
        assert len(produced) == len(codes)
        outputs.extend(zip((json.loads(line) for line in produced), codes, strict=True))
    return outputs


def _check(
    mixture: list[tuple[str, Any]],
    good_lines: list[tuple[bytes, Any]],
    config: BatchConfig,
    workers: int,
    block_size: int,
) -> None:
    lines = [good_lines[item][0] if kind == "good" else item for kind, item in mixture]
    outputs = _run(lines, config, workers, block_size)
    assert len(outputs) == len(lines)  # exactly one result per line
    for number, ((kind, item), (output, code)) in enumerate(
        zip(mixture, outputs, strict=True), start=1
    ):
        if kind == "good":
            assert code is None and output["payment_data"] == good_lines[item][1]
            assert output.get("id") == json.loads(good_lines[item][0]).get("id")
            assert "line" not in output
        else:
            assert code in HOSTILE_CODES, output
            assert output["error"]["code"] == code
            assert output["line"] == number  # issue #14: the error names its input line


mixtures = st.lists(
    st.one_of(
        st.tuples(st.just("good"), st.integers(0, 2)),
        st.tuples(st.just("bad"), hostile_lines),
        st.tuples(st.just("bad"), blank_lines),
    ),
    min_size=1,
    max_size=8,
)


@fuzz_settings(60)
@given(mixture=mixtures, block_size=st.sampled_from([64, 4096, 256 * 1024]))
def test_one_result_per_line_one_worker(
    good_lines: list[tuple[bytes, Any]], batch_config: BatchConfig, mixture: Any, block_size: int
) -> None:
    _check(mixture, good_lines, batch_config, 1, block_size)


@fuzz_settings(12)
@given(mixture=mixtures, block_size=st.sampled_from([64, 256 * 1024]))
def test_one_result_per_line_two_workers(
    good_lines: list[tuple[bytes, Any]], batch_config: BatchConfig, mixture: Any, block_size: int
) -> None:
    _check(mixture, good_lines, batch_config, 2, block_size)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_reviews_lines(
    good_lines: list[tuple[bytes, Any]], batch_config: BatchConfig, workers: int
) -> None:
    """The review's example: 0 of 3 lines were written."""
    lines = [
        b'{"id":1,"token":[]}',
        b'{"token":null}',
        b'{"id":2,"token":' + b"[" * 5000 + b"]" * 5000 + b"}",
        good_lines[1][0],
        b'{"id":3,"token":\xff}',
        b'{"id":"\\udc00","token":{}}',
        b"[]",
        b"null",
    ]
    outputs = _run(lines, batch_config, workers, 256 * 1024)
    assert [code for _, code in outputs] == [
        "malformed_token",
        "malformed_token",
        "malformed_token",
        None,
        "malformed_token",
        "malformed_token",
        "malformed_token",
        "malformed_token",
    ]
    assert outputs[0][0]["id"] == 1
    assert outputs[3][0] == {"id": "order-1", **outputs[3][0]}
    assert outputs[3][0]["payment_data"] == good_lines[1][1]
    assert "id" not in outputs[5][0]  # an id that cannot be echoed is not echoed
