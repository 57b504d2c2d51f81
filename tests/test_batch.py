"""decrypt-batch: same order, ids kept, errors per line, masked, streaming, parallel."""

from __future__ import annotations

import datetime as dt
import io
import json
import multiprocessing

import pytest
from click.testing import CliRunner

from applepay_crypto.batch import (
    MAX_LINE_BYTES,
    BatchConfig,
    decrypt_blocks,
    read_blocks,
    run_batch,
)
from applepay_crypto.cli import main
from applepay_crypto.replay import ReplayGuardUnavailableError
from applepay_crypto.testing import mint, sample_payload, test_pan

SIGNED = dt.datetime(2026, 8, 8, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def lines(authority, ec_merchant, rsa_merchant):
    made = []
    for index in range(24):
        merchant, version = (ec_merchant, "EC_v1") if index % 3 else (rsa_merchant, "RSA_v1")
        payload = sample_payload(pan=test_pan())
        token = mint(
            payload, recipient=merchant, authority=authority, version=version, signing_time=SIGNED
        )
        if index % 4 == 0:
            made.append(
                (json.dumps({"id": f"order-{index}", "token": token}), payload, f"order-{index}")
            )
        else:
            made.append((json.dumps(token), payload, None))
    return made


def config(authority, ec_merchant, rsa_merchant, **options) -> BatchConfig:
    return BatchConfig.from_objects(
        [ec_merchant.merchant_key, rsa_merchant.merchant_key],
        trust=authority.trust_store(),
        now=SIGNED,
        **options,
    )


def run(data: bytes, cfg: BatchConfig, workers: int = 1):
    sink = io.BytesIO()
    stats = run_batch(io.BytesIO(data), sink, cfg, workers=workers)
    return stats, [json.loads(line) for line in sink.getvalue().splitlines()]


def test_results_in_order_with_ids_and_errors(authority, ec_merchant, rsa_merchant, lines) -> None:
    body = [text for text, _, _ in lines]
    body.insert(5, "not a token")
    body.insert(9, json.dumps({"id": 99, "token": {"version": "EC_v9"}}))
    body.insert(11, "")  # issue #14: a blank line gets its result too, in its place
    stats, outputs = run(
        ("\n".join(body) + "\n").encode(), config(authority, ec_merchant, rsa_merchant, reveal=True)
    )
    assert len(outputs) == len(body)
    assert stats.lines == len(lines) + 3 and stats.decrypted == len(lines)
    assert stats.errors == {"malformed_token": 2, "unsupported_version": 1}
    assert outputs[5] == {
        "line": 6,
        "error": {"code": "malformed_token", "message": outputs[5]["error"]["message"]},
    }
    assert (
        outputs[9]["id"] == 99
        and outputs[9]["line"] == 10
        and outputs[9]["error"]["code"] == "unsupported_version"
    )
    assert outputs[11] == {
        "line": 12,
        "error": {"code": "malformed_token", "message": "the line is blank: no token"},
    }
    decrypted = [o for o in outputs if "error" not in o]
    for (_, payload, line_id), output in zip(lines, decrypted, strict=True):
        assert output["payment_data"] == payload
        assert output.get("id") == line_id
        assert output["verified"] is True


def test_masked_unless_reveal(authority, ec_merchant, rsa_merchant, lines) -> None:
    data = ("\n".join(text for text, _, _ in lines)).encode()  # no final newline
    _, outputs = run(data, config(authority, ec_merchant, rsa_merchant))
    assert len(outputs) == len(lines)
    for (_, payload, _), output in zip(lines, outputs, strict=True):
        assert (
            output["payment_data"]["applicationPrimaryAccountNumber"]
            != payload["applicationPrimaryAccountNumber"]
        )
        assert output["payment_data"]["applicationPrimaryAccountNumber"].endswith(
            payload["applicationPrimaryAccountNumber"][-4:]
        )
        assert output["payment_data"]["paymentData"]["onlinePaymentCryptogram"] == "<redacted>"


def test_workers_give_the_same_output(authority, ec_merchant, rsa_merchant, lines) -> None:
    data = ("\n".join(text for text, _, _ in lines * 5) + "\n").encode()
    cfg = config(authority, ec_merchant, rsa_merchant)
    one = run(data, cfg, workers=1)
    two = run(data, cfg, workers=2)
    assert one[1] == two[1] and one[0].lines == two[0].lines == len(lines) * 5


def test_long_lines_are_skipped_without_being_kept() -> None:
    huge = b"x" * (3 * 1024 * 1024)
    data = b"first\n" + huge + b"\nlast"
    blocks = list(read_blocks(io.BytesIO(data), block_size=4096, max_line=10_000))
    assert max(len(b) for b in blocks) < 4096 + 10_000 + 2
    lines = [line for block in blocks for line in block.split(b"\n") if line]
    assert lines == [b"first", b"\x00line-too-long\x00", b"last"]
    unterminated = list(read_blocks(io.BytesIO(b"ok\n" + huge), block_size=4096, max_line=10_000))
    assert [line for block in unterminated for line in block.split(b"\n") if line] == [
        b"ok",
        b"\x00line-too-long\x00",
    ]


def test_too_long_line_is_a_malformed_token(authority, ec_merchant, rsa_merchant) -> None:
    data = b"a" * (MAX_LINE_BYTES + 10) + b"\n"
    stats, outputs = run(data, config(authority, ec_merchant, rsa_merchant))
    assert stats.errors == {"malformed_token": 1}
    assert "longer than" in outputs[0]["error"]["message"]


def test_cli(tmp_path, authority, ec_merchant, lines) -> None:
    authority.save(tmp_path / "ca")
    paths = ec_merchant.save(tmp_path / "m")
    ec_lines = [text for text, _, _ in lines if '"EC_v1"' in text]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(ec_lines) + "\n")
    args = [
        "decrypt-batch",
        str(source),
        "--key",
        str(paths["key"]),
        "--cert",
        str(paths["certificate"]),
        "--root",
        str(tmp_path / "ca" / "root.pem"),
        "--at",
        SIGNED.isoformat(),
        "--progress-every",
        "5",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(ec_lines)
    assert f"{len(ec_lines)} lines: {len(ec_lines)} decrypted, 0 rejected" in result.stderr
    assert "lines/s" in result.stderr
    source.write_text("\n".join(ec_lines) + "\nnot-a-token\n")
    result = CliRunner().invoke(main, [*args, "--workers", "2", "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    assert "malformed_token: 1" in result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == len(ec_lines) + 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_replay_db_rejects_the_second_copy(tmp_path, authority, ec_merchant, workers) -> None:
    authority.save(tmp_path / "ca")
    paths = ec_merchant.save(tmp_path / "m")
    token = json.dumps(
        mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    )
    other = json.dumps(
        mint(sample_payload(), recipient=ec_merchant, authority=authority, signing_time=SIGNED)
    )
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([token, other, token]) + "\n")
    args = [
        "decrypt-batch",
        str(source),
        "--key",
        str(paths["key"]),
        "--cert",
        str(paths["certificate"]),
        "--root",
        str(tmp_path / "ca" / "root.pem"),
        "--at",
        SIGNED.isoformat(),
        "--replay-db",
        str(tmp_path / "replay.sqlite"),
        "--workers",
        workers,
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("error", {}).get("code") for o in outputs] == [None, None, "replayed_transaction"]
    again = CliRunner().invoke(main, args)  # the database remembers across runs
    assert [json.loads(line)["error"]["code"] for line in again.stdout.splitlines()] == [
        "replayed_transaction"
    ] * 3


def test_replay_guard_needs_verification(authority, ec_merchant) -> None:
    from applepay_crypto import ConfigurationError
    from applepay_crypto.replay import MemoryReplayGuard

    with pytest.raises(ConfigurationError):
        BatchConfig.from_objects(
            [ec_merchant.merchant_key], trust=None, replay_guard_factory=MemoryReplayGuard
        )


def _unreachable_guard():
    raise ReplayGuardUnavailableError("the replay store at 127.0.0.1:1 refused the connection")


def _broken_guard():
    raise KeyError("4111111111111111")  # a bug whose text holds data


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_cannot_start_reports_why(authority, ec_merchant, lines, workers) -> None:
    data = ("\n".join(text for text, _, _ in lines) + "\n").encode()
    cfg = BatchConfig.from_objects(
        [ec_merchant.merchant_key],
        trust=authority.trust_store(),
        now=SIGNED,
        replay_guard_factory=_unreachable_guard,
    )
    with pytest.raises(ReplayGuardUnavailableError, match="refused the connection"):
        run(data, cfg, workers=workers)
    assert not multiprocessing.active_children()


def test_a_worker_bug_is_named_without_its_text(authority, ec_merchant, lines) -> None:
    data = ("\n".join(text for text, _, _ in lines) + "\n").encode()
    cfg = BatchConfig.from_objects(
        [ec_merchant.merchant_key],
        trust=authority.trust_store(),
        now=SIGNED,
        replay_guard_factory=_broken_guard,
    )
    with pytest.raises(RuntimeError) as caught:
        run(data, cfg, workers=2)
    assert str(caught.value) == "a batch worker failed with KeyError"
    assert not multiprocessing.active_children()


def test_stopping_early_ends_the_workers(authority, ec_merchant, rsa_merchant, lines) -> None:
    cfg = config(authority, ec_merchant, rsa_merchant)
    blocks = [
        ("\n".join(text for text, _, _ in lines[i : i + 4]) + "\n").encode()
        for i in range(0, 24, 4)
    ]
    results = decrypt_blocks(iter(blocks * 3), cfg, workers=2)
    first, codes = next(results)
    assert len(codes) == 4 and first.count(b"\n") == 4
    results.close()
    assert not multiprocessing.active_children()


def test_many_small_blocks_keep_their_order(authority, ec_merchant, rsa_merchant, lines) -> None:
    cfg = config(authority, ec_merchant, rsa_merchant)
    texts = [text for text, _, _ in lines] * 3
    blocks = [(text + "\n").encode() for text in texts]  # one line per block: the most reordering
    outputs = [json.loads(block) for block, _ in decrypt_blocks(blocks, cfg, workers=3)]
    expected = [json.loads(block) for block, _ in decrypt_blocks(blocks, cfg, workers=1)]
    assert outputs == expected and len(outputs) == len(texts)


def test_a_worker_gone_before_its_first_block_still_reports_why(
    authority, ec_merchant, lines
) -> None:
    from applepay_crypto.batch import _Workers

    cfg = BatchConfig.from_objects(
        [ec_merchant.merchant_key],
        trust=authority.trust_store(),
        now=SIGNED,
        replay_guard_factory=_unreachable_guard,
    )
    block = (lines[1][0] + "\n").encode()
    with _Workers(cfg, 2) as pool:
        for process in pool._processes:
            process.join()  # both reported and exited: sending to them now breaks the pipe
        with pytest.raises(ReplayGuardUnavailableError, match="refused the connection"):
            list(pool.decrypt([(1, block)] * 4))
    assert not multiprocessing.active_children()


def test_empty_blocks_keep_their_place(authority, ec_merchant, rsa_merchant, lines) -> None:
    cfg = config(authority, ec_merchant, rsa_merchant)
    blocks = [(lines[1][0] + "\n").encode(), b"", (lines[2][0] + "\n").encode(), b""]
    results = list(decrypt_blocks(blocks, cfg, workers=2))
    assert [codes for _, codes in results] == [[None], [], [None], []]
    assert results == list(decrypt_blocks(blocks, cfg, workers=1))


def test_error_classes_are_found_by_code() -> None:
    from applepay_crypto.errors import ApplePayError, MalformedTokenError, error_class

    assert error_class("malformed_token") is MalformedTokenError
    assert (
        error_class("replay_guard_unavailable") is ReplayGuardUnavailableError
    )  # a subclass elsewhere
    assert error_class("no_such_code") is ApplePayError
