"""Streaming batch decryption: JSON Lines in, JSON Lines out, same order, flat memory.

Each input line is a token in any accepted shape, or ``{"id": ..., "token": <token>}``.
Each output line is the ``decrypt --json`` object, or ``{"error": {"code", "message"}}``,
with the ``id`` copied when one was given. Lines are read in chunks; with several worker
processes, at most a few chunks per worker are in flight, so memory stays flat whatever
the input size.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .decryptor import TokenDecryptor
from .errors import ApplePayError, ConfigurationError, MalformedTokenError
from .keys import MerchantKey
from .replay import ReplayGuard
from .signature import DEFAULT_MAX_AGE
from .token import MAX_TOKEN_BYTES
from .trust import TrustStore

__all__ = ["BatchConfig", "BatchStats", "decrypt_blocks", "read_blocks", "run_batch"]

#: A line may carry an id and some JSON around the token.
MAX_LINE_BYTES = MAX_TOKEN_BYTES + 4096


@dataclass(frozen=True, repr=False)
class BatchConfig:
    """Everything a worker process needs to build its own decryptor (picklable).

    It holds private key PEM, so its repr names the keys' count only."""

    keys: tuple[tuple[bytes, bytes | None, str | None], ...]  # (key PEM, cert PEM, merchant id)
    roots: tuple[bytes, ...]  # DER; empty when verification is off
    apple: bool = True
    max_age_seconds: float = DEFAULT_MAX_AGE.total_seconds()
    verify_signature: bool = True
    reveal: bool = False
    now: dt.datetime | None = None
    #: A zero-argument callable building the replay guard inside each process.
    replay_guard_factory: Callable[[], ReplayGuard] | None = None

    @classmethod
    def from_objects(
        cls,
        keys: Iterable[MerchantKey],
        *,
        trust: TrustStore | None,
        max_age: dt.timedelta = DEFAULT_MAX_AGE,
        reveal: bool = False,
        now: dt.datetime | None = None,
        replay_guard_factory: Callable[[], ReplayGuard] | None = None,
    ) -> BatchConfig:
        if trust is None and replay_guard_factory is not None:
            raise ConfigurationError("a replay guard needs verified signing times")
        return cls(
            keys=tuple(_key_material(k) for k in keys),
            roots=tuple(_der(c) for c in trust.roots) if trust is not None else (),
            apple=trust.apple if trust is not None else False,
            max_age_seconds=max_age.total_seconds(),
            verify_signature=trust is not None,
            reveal=reveal,
            now=now,
            replay_guard_factory=replay_guard_factory,
        )

    def __repr__(self) -> str:
        return (
            f"BatchConfig({len(self.keys)} keys, verify_signature={self.verify_signature}, "
            f"reveal={self.reveal}, replay_guard={self.replay_guard_factory is not None})"
        )

    def decryptor(self) -> TokenDecryptor:
        keys = [
            MerchantKey.load(pem, certificate=cert, merchant_id=mid) for pem, cert, mid in self.keys
        ]
        if not self.verify_signature:
            return TokenDecryptor(keys, verify_signature=False)
        roots = [x509.load_der_x509_certificate(der) for der in self.roots]
        trust = TrustStore.apple_root(roots[0]) if self.apple else TrustStore.for_test_roots(roots)
        guard = self.replay_guard_factory() if self.replay_guard_factory else None
        return TokenDecryptor(
            keys,
            trust=trust,
            max_age=dt.timedelta(seconds=self.max_age_seconds),
            replay_guard=guard,
        )


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _key_material(key: MerchantKey) -> tuple[bytes, bytes | None, str | None]:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert = key.certificate.public_bytes(serialization.Encoding.PEM) if key.certificate else None
    return pem, cert, key.merchant_id if cert is None else None


@dataclass
class BatchStats:
    lines: int = 0
    decrypted: int = 0
    errors: dict[str, int] = field(default_factory=dict)


#: Stands in for a line longer than the limit, which is skipped without being kept.
_TOO_LONG = b"\x00line-too-long\x00"


def read_blocks(
    stream: IO[bytes], *, block_size: int = 256 * 1024, max_line: int = MAX_LINE_BYTES
) -> Iterator[bytes]:
    """Blocks of whole lines. Memory is bounded by ``block_size + max_line`` whatever the
    input: a line longer than ``max_line`` is consumed and replaced by a marker line."""
    pending = b""
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            if pending:
                yield (pending if len(pending) <= max_line else _TOO_LONG) + b"\n"
            return
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut >= 0:
            pending = data[cut + 1 :]
            yield data[: cut + 1]
        else:
            pending = data
        if len(pending) > max_line:
            pending = _skip_line(stream, block_size)
            yield _TOO_LONG + b"\n"


def _skip_line(stream: IO[bytes], block_size: int) -> bytes:
    """Read to the end of the current line and return what follows it."""
    while True:
        chunk = stream.read(block_size)
        if not chunk:
            return b""
        newline = chunk.find(b"\n")
        if newline >= 0:
            return chunk[newline + 1 :]


def _error_line(error: ApplePayError, line_id: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"error": error.to_dict()}
    return {"id": line_id, **document} if line_id is not None else document


Outcome = tuple[bytes, str | None]  # (output line, error code or None)


def _decrypt_line(decryptor: TokenDecryptor, line: bytes, config: BatchConfig) -> Outcome:
    line_id = None
    code = None
    try:
        if line == _TOO_LONG or len(line) > MAX_LINE_BYTES:
            raise MalformedTokenError(f"line is longer than {MAX_LINE_BYTES} bytes")
        token: Any = line
        stripped = line.lstrip()
        if stripped.startswith(b"{") and b'"id"' in line:
            try:
                document = json.loads(line)
            except ValueError:
                raise MalformedTokenError("line is not valid JSON") from None
            if isinstance(document, dict) and "id" in document and "token" in document:
                line_id, token = document["id"], document["token"]
        result = decryptor.decrypt(token, now=config.now).to_json_dict(reveal=config.reveal)
        output = {"id": line_id, **result} if line_id is not None else result
    except ApplePayError as exc:
        output, code = _error_line(exc, line_id), exc.code
    return json.dumps(output, separators=(",", ":")).encode() + b"\n", code


_worker_state: tuple[TokenDecryptor, BatchConfig] | None = None


def _init_worker(config: BatchConfig) -> None:
    global _worker_state
    _worker_state = (config.decryptor(), config)


def _decrypt_block(
    decryptor: TokenDecryptor, block: bytes, config: BatchConfig
) -> tuple[bytes, list[str | None]]:
    """The output lines of one block, joined, and each line's error code (or ``None``)."""
    outputs, codes = [], []
    for line in block.split(b"\n"):
        if line.strip():
            output, code = _decrypt_line(decryptor, line, config)
            outputs.append(output)
            codes.append(code)
    return b"".join(outputs), codes


def _work(block: bytes) -> tuple[bytes, list[str | None]]:
    # Whole blocks in, one bytes object out: the parent does almost nothing per token.
    assert _worker_state is not None
    decryptor, config = _worker_state
    return _decrypt_block(decryptor, block, config)


def decrypt_blocks(
    blocks: Iterable[bytes], config: BatchConfig, *, workers: int = 1
) -> Iterator[tuple[bytes, list[str | None]]]:
    """For each block of input lines, in order: its output lines and their error codes.
    ``workers > 1`` decrypts in that many processes, a few blocks in flight per worker."""
    if workers <= 1:
        decryptor = config.decryptor()
        for block in blocks:
            yield _decrypt_block(decryptor, block, config)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        in_flight: deque[Any] = deque()
        for block in blocks:
            in_flight.append(pool.apply_async(_work, (block,)))
            if len(in_flight) >= workers * 3:  # backpressure: flat memory
                yield in_flight.popleft().get()
        while in_flight:
            yield in_flight.popleft().get()


def run_batch(
    source: IO[bytes],
    sink: IO[bytes],
    config: BatchConfig,
    *,
    workers: int = 1,
    progress: Callable[[BatchStats], None] | None = None,
    progress_every: int = 10_000,
) -> BatchStats:
    """Decrypt every line of ``source`` into ``sink``; returns counts (no card data)."""
    stats = BatchStats()
    reported = 0
    for block, codes in decrypt_blocks(read_blocks(source), config, workers=workers):
        sink.write(block)
        stats.lines += len(codes)
        for code in codes:
            if code is None:
                stats.decrypted += 1
            else:
                stats.errors[code] = stats.errors.get(code, 0) + 1
        if progress is not None and stats.lines - reported >= progress_every:
            reported = stats.lines
            progress(stats)
    return stats
