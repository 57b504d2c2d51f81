"""Streaming batch decryption: JSON Lines in, JSON Lines out, same order, flat memory.

Each input line is a token in any accepted shape, or ``{"id": ..., "token": <token>}``.
Each output line is the ``decrypt --json`` object, or ``{"line": N, "error": {"code",
"message"}}`` (N counts input lines from 1), with the ``id`` copied when one was given (a
string of up to 256 characters or a finite number; a line with another id is refused,
without one). Whatever a line holds, a blank one too, it gets exactly one result, in
order, so output line N answers input line N (issue #14): nothing in a line can stop the
batch or a worker. Lines are
read in chunks; with several worker processes, at most a few chunks per worker are in
flight, so memory stays flat whatever the input size.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import IO, Any, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .decryptor import TokenDecryptor
from .errors import (
    ApplePayError,
    ConfigurationError,
    InternalError,
    MalformedTokenError,
    error_class,
)
from .keys import MerchantKey
from .moments import utc_moment
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

    It holds private key PEM, so its repr names the keys' count only. A key in a PKCS#11
    token cannot be handed to another process: ``pkcs11_keys`` carries its URI and module
    instead, and each worker opens the token itself (issue #12); the URI names a PIN file,
    never the PIN."""

    keys: tuple[tuple[bytes, bytes | None, str | None], ...]  # (key PEM, cert PEM, merchant id)
    roots: tuple[bytes, ...]  # DER; empty when verification is off
    apple: bool = True
    max_age_seconds: float = DEFAULT_MAX_AGE.total_seconds()
    verify_signature: bool = True
    reveal: bool = False
    now: dt.datetime | None = None
    #: A zero-argument callable building the replay guard inside each process.
    replay_guard_factory: Callable[[], ReplayGuard] | None = None
    #: (PKCS#11 URI, module path or None, cert PEM or None, merchant id or None).
    pkcs11_keys: tuple[tuple[str, str | None, bytes | None, str | None], ...] = ()

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
        pkcs11_keys: Iterable[tuple[str, str | None, bytes | None, str | None]] = (),
    ) -> BatchConfig:
        if trust is None and replay_guard_factory is not None:
            raise ConfigurationError("a replay guard needs verified signing times")
        return cls(
            keys=tuple(_key_material(k) for k in keys),
            pkcs11_keys=tuple(pkcs11_keys),
            roots=tuple(_der(c) for c in trust.roots) if trust is not None else (),
            apple=trust.apple if trust is not None else False,
            max_age_seconds=max_age.total_seconds(),
            verify_signature=trust is not None,
            reveal=reveal,
            now=utc_moment(now) if now is not None else None,
            replay_guard_factory=replay_guard_factory,
        )

    def __repr__(self) -> str:
        return (
            f"BatchConfig({len(self.keys)} keys, {len(self.pkcs11_keys)} PKCS#11 keys, "
            f"verify_signature={self.verify_signature}, "
            f"reveal={self.reveal}, replay_guard={self.replay_guard_factory is not None})"
        )

    def decryptor(self) -> TokenDecryptor:
        keys = [
            MerchantKey.load(pem, certificate=cert, merchant_id=mid) for pem, cert, mid in self.keys
        ]
        if self.pkcs11_keys:
            from .keys.pkcs11 import merchant_key_from_uri

            keys += [
                merchant_key_from_uri(uri, module=module, certificate=cert, merchant_id=mid)
                for uri, module, cert, mid in self.pkcs11_keys
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
    if not key.in_process:
        raise ConfigurationError(
            f"the key {key.public_key_hash_b64} is held outside this process ({key.kind}): "
            "a batch takes it as a PKCS#11 URI (pkcs11_keys=), which each worker opens"
        )
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


def _error_line(error: ApplePayError, line_id: Any, number: int) -> dict[str, Any]:
    document: dict[str, Any] = {"line": number, "error": error.to_dict()}
    return {"id": line_id, **document} if line_id is not None else document


Outcome = tuple[bytes, str | None]  # (output line, error code or None)


def _decrypt_line(
    decryptor: TokenDecryptor, line: bytes, config: BatchConfig, number: int
) -> Outcome:
    """Line ``number``'s output and error code. Review (#11): whatever the line holds, it
    gets its own result; nothing it contains can end the batch or the worker."""
    line_id = None
    try:
        if not line.strip():
            raise MalformedTokenError("the line is blank: no token")
        if line == _TOO_LONG or len(line) > MAX_LINE_BYTES:
            raise MalformedTokenError(f"line is longer than {MAX_LINE_BYTES} bytes")
        token: Any = line
        stripped = line.lstrip()
        if stripped.startswith(b"{") and b'"id"' in line:
            document = _line_document(line)
            if isinstance(document, dict) and "id" in document and "token" in document:
                line_id, token = _line_id(document["id"]), document["token"]
        result = decryptor.decrypt(token, now=config.now).to_json_dict(reveal=config.reveal)
        output = {"id": line_id, **result} if line_id is not None else result
        return _dumps(output), None
    except ApplePayError as exc:
        return _dumps(_error_line(exc, line_id, number)), exc.code
    except Exception as exc:  # a bug: the line's own result names its type, never its text
        error = InternalError(f"this line met a bug ({type(exc).__name__}); please report it")
        return _dumps(_error_line(error, line_id, number)), error.code


def _line_document(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested past the stack
        raise MalformedTokenError("line is not valid JSON") from None


#: An id is echoed in the output: a short string or a number, so any consumer can read it.
MAX_ID_LENGTH = 256


def _line_id(value: Any) -> str | int | float | None:
    """Review (#11): an id nested thousands of levels deep, or holding a lone surrogate,
    would make the result line unwritable (or unreadable by a strict JSON parser)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise MalformedTokenError("the line's id is not a string or a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise MalformedTokenError("the line's id is not a finite number")
    if isinstance(value, str):
        if len(value) > MAX_ID_LENGTH:
            raise MalformedTokenError(f"the line's id is longer than {MAX_ID_LENGTH} characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedTokenError("the line's id is not valid Unicode") from None
    elif isinstance(value, int) and abs(value) >= 2**63:
        raise MalformedTokenError("the line's id is too large a number")
    return value


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"


def _block_lines(block: bytes) -> list[bytes]:
    """The lines of a block; a final newline ends the last line, it does not start one."""
    lines = block.split(b"\n")
    return lines[:-1] if block.endswith(b"\n") else lines


def _decrypt_block(
    decryptor: TokenDecryptor, block: bytes, config: BatchConfig, first_line: int = 1
) -> tuple[bytes, list[str | None]]:
    """The output lines of one block, joined, and each line's error code (or ``None``):
    one per line, blank ones too; ``first_line`` is the number of the block's first line."""
    outputs, codes = [], []
    for offset, line in enumerate(_block_lines(block) if block else []):
        output, code = _decrypt_line(decryptor, line, config, first_line + offset)
        outputs.append(output)
        codes.append(code)
    return b"".join(outputs), codes


def _numbered(blocks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Each block with the number of its first line (from 1)."""
    first_line = 1
    for block in blocks:
        yield first_line, block
        first_line += len(_block_lines(block)) if block else 0


def decrypt_blocks(
    blocks: Iterable[bytes], config: BatchConfig, *, workers: int = 1
) -> Iterator[tuple[bytes, list[str | None]]]:
    """For each block of input lines, in order: its output lines and their error codes.
    ``workers > 1`` decrypts in that many processes."""
    if workers <= 1:
        decryptor = config.decryptor()
        for first_line, block in _numbered(blocks):
            yield _decrypt_block(decryptor, block, config, first_line)
        return
    with _Workers(config, workers) as pool:
        yield from pool.decrypt(_numbered(blocks))


def _worker_main(connection: Connection, config: BatchConfig) -> None:
    """A worker process: build a decryptor, then answer one block at a time until the
    parent sends an empty block or goes away."""
    try:
        decryptor = config.decryptor()
        while message := connection.recv_bytes():
            first_line, block = int.from_bytes(message[:8], "big"), message[8:]
            connection.send(("ok", *_decrypt_block(decryptor, block, config, first_line)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
    except ApplePayError as exc:  # configuration that fails in the worker (a replay guard)
        _last_word(connection, ("error", exc.code, exc.message))
    except Exception as exc:  # a bug: its type only, as its text may hold token data
        _last_word(connection, ("crash", type(exc).__name__, ""))
    finally:
        connection.close()


def _last_word(connection: Connection, message: tuple[str, str, str]) -> None:
    with contextlib.suppress(OSError):  # the parent may be gone already
        connection.send(message)


class _Workers:
    """Worker processes fed one block at a time over their own pipe, by a parent with a
    single thread: whichever worker is free takes the next block, and results are put
    back in input order. A worker never has a block waiting for it, so neither side can
    block the other on a full pipe. Memory stays flat: at most ``2 x workers`` blocks are
    out at once, in workers or waiting for an earlier one to finish."""

    def __init__(self, config: BatchConfig, workers: int) -> None:
        # A forked child inherits the parent's PKCS#11 state, which the standard leaves
        # undefined after fork (the module is not initialised again): with keys in a token,
        # workers start fresh and open the token from its URI themselves.
        fork = os.name == "posix" and not config.pkcs11_keys
        context: Any = multiprocessing.get_context("fork" if fork else "spawn")
        self._window = 2 * workers
        self._connections: list[Connection] = []
        self._processes: list[Any] = []
        try:
            for _ in range(workers):
                parent_end, child_end = context.Pipe()
                self._connections.append(parent_end)
                process = context.Process(
                    target=_worker_main, args=(child_end, config), daemon=True
                )
                process.start()
                child_end.close()
                self._processes.append(process)
        except BaseException:
            self.__exit__()  # the workers already started are stopped, not left behind
            raise

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.send_bytes(b"")
            connection.close()
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()

    def decrypt(
        self, blocks: Iterable[tuple[int, bytes]]
    ) -> Iterator[tuple[bytes, list[str | None]]]:
        source = iter(blocks)
        idle = list(self._connections)
        busy: dict[Connection, int] = {}  # worker -> the sequence number it is decrypting
        done: dict[int, tuple[bytes, list[str | None]]] = {}
        sent = emitted = 0
        exhausted = False
        while True:
            while idle and not exhausted and sent - emitted < self._window:
                numbered = next(source, None)
                if numbered is None:
                    exhausted = True
                    break
                first_line, block = numbered
                if not block:  # nothing to decrypt (and b"" tells a worker to stop)
                    done[sent] = (b"", [])
                    sent += 1
                    continue
                connection = idle.pop()
                # The block's first line number travels with it, for the error lines.
                _send(connection, first_line.to_bytes(8, "big") + block)
                busy[connection] = sent
                sent += 1
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
            if not busy:
                if exhausted:
                    return
                continue
            for ready in wait(list(busy)):
                connection = cast(Connection, ready)
                done[busy.pop(connection)] = _result(connection)
                idle.append(connection)


def _send(connection: Connection, block: bytes) -> None:
    try:
        connection.send_bytes(block)
    except OSError:  # the worker is gone: its last word says why, when it had one
        _result(connection)
        raise RuntimeError("a batch worker process stopped unexpectedly") from None


def _result(connection: Connection) -> tuple[bytes, list[str | None]]:
    try:
        kind, first, second = connection.recv()
    except EOFError:
        raise RuntimeError("a batch worker process stopped unexpectedly") from None
    if kind == "error":
        raise error_class(first)(second)
    if kind == "crash":
        raise RuntimeError(f"a batch worker failed with {first}")
    return first, second


def run_batch(
    source: IO[bytes],
    sink: IO[bytes],
    config: BatchConfig,
    *,
    workers: int = 1,
    progress: Callable[[BatchStats], None] | None = None,
    progress_every: int = 10_000,
) -> BatchStats:
    """Decrypt every line of ``source`` into ``sink``; returns counts (no card data).

    ``progress`` is called with the counts after exactly every ``progress_every`` lines
    (at lines N, 2N, 3N...), once a block holding that line is written."""
    if not isinstance(progress_every, int) or progress_every < 1:
        raise ConfigurationError("progress_every must be a whole number of lines, 1 or more")
    stats = BatchStats()
    for block, codes in decrypt_blocks(read_blocks(source), config, workers=workers):
        sink.write(block)
        for code in codes:
            stats.lines += 1
            if code is None:
                stats.decrypted += 1
            else:
                stats.errors[code] = stats.errors.get(code, 0) + 1
            if progress is not None and stats.lines % progress_every == 0:
                progress(stats)
    return stats
