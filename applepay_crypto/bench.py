"""``applepay-crypto bench``: throughput against the cost of the cryptography itself.

Every figure is a ratio measured in one run on one machine, because shared machines are
noisy: the *floor* (the primitives alone, through ``cryptography``, on the same tokens)
and the full verified decryption are timed in alternating rounds; each figure is a median
over the rounds, and each ratio the median of the rounds' own ratios.

- EC_v1 floor: one P-256 ECDH, one ECDSA-P256 verification, one AES-256-GCM decryption.
- RSA_v1 floor: one RSA-2048 OAEP decryption, the signature verification Apple's RSA_v1
  tokens carry (RSA-2048 PKCS#1 v1.5, by the rsa-smp-broker-sign leaf), one AES-128-GCM
  decryption.
- *bare*: the least any Python code must run per token on top of the floor, with no
  check at all (see ``_bare``). Its ratio to the floor is a lower bound for ``ratio``.
"""

from __future__ import annotations

import binascii
import datetime as dt
import io
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import ec_v1, rsa_v1
from .batch import BatchConfig, run_batch
from .cms import parse_signed_data
from .decryptor import TokenDecryptor
from .keys import HeldKey, MerchantKey, MerchantPrivateKey, load_certificate
from .testing import TestAuthority, TestMerchant, mint, sample_payload
from .token import parse_token
from .trust import TrustStore

__all__ = ["machine", "measure_key", "run_benchmarks"]

_ZERO_IV = bytes(16)


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "openssl": backend.openssl_version_text(),
        "cryptography": cryptography.__version__,
        "platform": platform.platform(),
    }


class _World:
    def __init__(self, version: str, count: int) -> None:
        self.authority = TestAuthority.create()
        self.merchant = TestMerchant.create(
            self.authority, key_type="rsa" if version == "RSA_v1" else "ec"
        )
        self.version = version
        self.signed_at = dt.datetime.now(dt.timezone.utc)
        self.tokens = [
            json.dumps(
                mint(
                    sample_payload(),
                    recipient=self.merchant,
                    authority=self.authority,
                    version=version,
                    signing_time=self.signed_at,
                )
            ).encode()
            for _ in range(count)
        ]

    def decryptor(self) -> TokenDecryptor:
        return TokenDecryptor(self.merchant.merchant_key, trust=self.authority.trust_store())


def _floor(world: _World) -> Callable[[], None]:
    """The primitives alone, on the same tokens, with every key already loaded."""
    key = world.merchant.merchant_key
    leaf = world.authority.leaf_for(world.version).certificate.public_key()
    prepared = []
    for raw in world.tokens:
        token = parse_token(raw)
        signed = parse_signed_data(token.signature)
        if world.version == "EC_v1":
            assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
            assert token.ephemeral_public_key is not None and key.merchant_id_hash is not None
            peer: Any = serialization.load_der_public_key(token.ephemeral_public_key)
            aes = ec_v1.derive_symmetric_key(
                ec_v1.shared_secret(key.private_key, token.ephemeral_public_key),
                key.merchant_id_hash,
            )
        else:
            assert isinstance(key.private_key, rsa.RSAPrivateKey) and token.wrapped_key is not None
            peer = token.wrapped_key
            aes = rsa_v1.unwrap_key(key.private_key, token.wrapped_key)
        prepared.append((peer, signed.signature, signed.signed_attributes, AESGCM(aes), token.data))
    private_key = key.private_key
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        ecdh, ecdsa = ec.ECDH(), ec.ECDSA(hashes.SHA256())
        assert isinstance(leaf, ec.EllipticCurvePublicKey)

        def floor_ec() -> None:
            for peer, signature, attributes, aes, data in prepared:
                private_key.exchange(ecdh, peer)
                leaf.verify(signature, attributes, ecdsa)
                aes.decrypt(_ZERO_IV, data, None)

        return floor_ec
    assert isinstance(leaf, rsa.RSAPublicKey)
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def floor_rsa() -> None:
        for wrapped, signature, attributes, aes, data in prepared:
            private_key.decrypt(wrapped, rsa_v1.OAEP_PADDING)
            leaf.verify(signature, attributes, pkcs1, sha256)
            aes.decrypt(_ZERO_IV, data, None)

    return floor_rsa


def _bare(world: _World) -> Callable[[], None]:
    """A lower bound for any Python implementation through ``cryptography``: per token only
    what cannot be skipped (the token's JSON and base64, the ephemeral key loaded, the
    primitives, the KDF, the AES-GCM key set up, the payload's JSON) and no check at all.
    The CMS is taken as already read, at no cost."""
    key = world.merchant.merchant_key
    leaf: Any = world.authority.leaf_for(world.version).certificate.public_key()
    signed = {raw: parse_signed_data(parse_token(raw).signature) for raw in world.tokens}
    a2b, loads = binascii.a2b_base64, json.loads
    private_key: Any = key.private_key
    ecdh, ecdsa, merchant = ec.ECDH(), ec.ECDSA(hashes.SHA256()), key.merchant_id_hash
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def restore_ec(header: dict[str, str], cms: Any) -> bytes:
        peer = serialization.load_der_public_key(a2b(header["ephemeralPublicKey"]))
        secret = private_key.exchange(ecdh, peer)
        leaf.verify(cms.signature, cms.signed_attributes, ecdsa)
        return ec_v1.derive_symmetric_key(secret, merchant)  # type: ignore[arg-type]

    def restore_rsa(header: dict[str, str], cms: Any) -> bytes:
        aes_key: bytes = private_key.decrypt(a2b(header["wrappedKey"]), rsa_v1.OAEP_PADDING)
        leaf.verify(cms.signature, cms.signed_attributes, pkcs1, sha256)
        return aes_key

    restore = restore_ec if world.version == "EC_v1" else restore_rsa

    def bare() -> None:
        for raw in world.tokens:
            document = loads(raw)
            a2b(document["signature"])
            aes_key = restore(document["header"], signed[raw])
            loads(AESGCM(aes_key).decrypt(_ZERO_IV, a2b(document["data"]), None))

    return bare


def measure_warm(version: str, *, tokens: int, rounds: int) -> dict[str, Any]:
    world = _World(version, tokens)
    decryptor = world.decryptor()
    now = world.signed_at

    def full() -> None:
        for raw in world.tokens:
            decryptor.decrypt(raw, now=now)

    timed = {"floor": _floor(world), "bare": _bare(world), "full": full}
    full()  # warm: the chain and the CMS layout are now known
    rounds_taken: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(rounds):
        for name, run in timed.items():
            started = time.perf_counter()
            run()
            rounds_taken[name].append(time.perf_counter() - started)
    full_us, floor_us, bare_us = (
        statistics.median(rounds_taken[name]) / tokens * 1e6 for name in ("full", "floor", "bare")
    )
    return {
        "tokens_per_second": round(1e6 / full_us),
        "full_us": round(full_us, 1),
        "floor_us": round(floor_us, 1),
        "ratio": _median_ratio(rounds_taken["full"], rounds_taken["floor"]),
        # The bare sequence (see _bare): what no Python implementation can go below.
        "bare_us": round(bare_us, 1),
        "bare_ratio": _median_ratio(rounds_taken["bare"], rounds_taken["floor"]),
    }


def _median_ratio(measured: list[float], floor: list[float]) -> float:
    """The median over rounds of each round's ratio: the two timings of a round are
    milliseconds apart, so a machine that speeds up or slows down during the run (a shared
    host does) moves both; figures taken from different rounds would not."""
    return round(statistics.median(m / f for m, f in zip(measured, floor, strict=True)), 3)


def cold_probe(directory: str) -> None:
    """Run in a fresh interpreter: configure, then time the first token (imports excluded)."""
    source = Path(directory)
    token = (source / "token.json").read_bytes()
    now = dt.datetime.fromisoformat((source / "signed_at").read_text())
    started = time.perf_counter()
    decryptor = TokenDecryptor(
        MerchantKey.load(source / "merchant.key", certificate=source / "merchant.pem"),
        trust=TrustStore.for_test_roots([load_certificate(source / "ca" / "root.pem")]),
    )
    configured = time.perf_counter()
    decryptor.decrypt(token, now=now)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "configure_ms": (configured - started) * 1e3,
                "first_token_ms": (done - configured) * 1e3,
            }
        )
    )


def measure_cold(version: str, *, runs: int = 5) -> dict[str, Any]:
    world = _World(version, 1)
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        world.authority.save(base / "ca")
        world.merchant.save(base)
        (base / "token.json").write_bytes(world.tokens[0])
        (base / "signed_at").write_text(world.signed_at.isoformat())
        samples = []
        for _ in range(runs):
            output = subprocess.run(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-c",
                    f"from applepay_crypto.bench import cold_probe; cold_probe({directory!r})",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            samples.append(json.loads(output))
    best = min(samples, key=lambda s: s["first_token_ms"])
    return {
        "first_token_ms": round(best["first_token_ms"], 2),
        "configure_ms": round(best["configure_ms"], 2),
    }


def _decrypt_all(config: BatchConfig, tokens: list[bytes], barrier: Any, now: dt.datetime) -> None:
    decryptor = config.decryptor()
    for raw in tokens[:50]:
        decryptor.decrypt(raw, now=now)  # warm, before the clock starts
    barrier.wait()
    for raw in tokens:
        decryptor.decrypt(raw, now=now)


def measure_scaling(world: _World, config: BatchConfig, *, lines: int, workers: int) -> float:
    """What this machine gives ``workers`` independent processes doing the same decryption
    (no IPC, no parent): the ceiling for the batch speedup. Shared and virtual machines
    often give less than the core count."""
    context: Any = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    tokens = [world.tokens[i % len(world.tokens)] for i in range(lines)]

    def wall(count: int) -> float:
        barrier = context.Barrier(count + 1)
        share = tokens[: lines // count]
        processes = [
            context.Process(target=_decrypt_all, args=(config, share, barrier, world.signed_at))
            for _ in range(count)
        ]
        for process in processes:
            process.start()
        barrier.wait()
        started = time.perf_counter()
        for process in processes:
            process.join()
        return time.perf_counter() - started

    return min(wall(1) for _ in range(2)) / min(wall(workers) for _ in range(2))


def measure_batch(*, lines: int, workers: int) -> dict[str, Any]:
    world = _World("EC_v1", 200)
    data = b"\n".join(world.tokens[i % len(world.tokens)] for i in range(lines)) + b"\n"
    config = BatchConfig.from_objects(
        [world.merchant.merchant_key], trust=world.authority.trust_store(), now=world.signed_at
    )

    def throughput(count: int) -> float:
        started = time.perf_counter()
        stats = run_batch(io.BytesIO(data), io.BytesIO(), config, workers=count)
        elapsed = time.perf_counter() - started
        assert stats.decrypted == lines
        return lines / elapsed

    single = max(throughput(1) for _ in range(2))
    parallel = max(throughput(workers) for _ in range(2))
    ceiling = measure_scaling(world, config, lines=lines, workers=workers)
    return {
        "lines": lines,
        "workers": workers,
        "single_tokens_per_second": round(single),
        "parallel_tokens_per_second": round(parallel),
        "speedup": round(parallel / single, 2),
        "machine_scaling": round(ceiling, 2),
        "efficiency": round(parallel / single / ceiling, 2),
    }


#: The merchant id of the tokens minted to a key given to :func:`measure_key`.
BENCH_MERCHANT_ID = "merchant.com.example.bench"


def measure_key(key: MerchantPrivateKey | HeldKey, *, tokens: int, rounds: int) -> dict[str, Any]:
    """Issue #12: verified decryption, one thread, with a given key (a key in a PKCS#11
    token, say), on tokens minted to its public key: the same work as :func:`measure_warm`'s
    ``full``, with the private-key operation done by the key's holder."""
    public = key.public_key if isinstance(key, HeldKey) else key.public_key()
    version = "EC_v1" if isinstance(public, ec.EllipticCurvePublicKey) else "RSA_v1"
    authority = TestAuthority.create()
    signed_at = dt.datetime.now(dt.timezone.utc)
    raws = [
        json.dumps(
            mint(
                sample_payload(),
                recipient=public,
                merchant_id=BENCH_MERCHANT_ID,
                authority=authority,
                version=version,
                signing_time=signed_at,
            )
        ).encode()
        for _ in range(tokens)
    ]
    merchant_key = (
        MerchantKey.from_holder(key.holder, public_key=public, merchant_id=BENCH_MERCHANT_ID)
        if isinstance(key, HeldKey)
        else MerchantKey.load(key, merchant_id=BENCH_MERCHANT_ID)
    )
    decryptor = TokenDecryptor(merchant_key, trust=authority.trust_store())
    for raw in raws:
        decryptor.decrypt(raw, now=signed_at)  # warm, and each token decrypts
    taken = []
    for _ in range(rounds):
        started = time.perf_counter()
        for raw in raws:
            decryptor.decrypt(raw, now=signed_at)
        taken.append(time.perf_counter() - started)
    full_us = statistics.median(taken) / tokens * 1e6
    return {
        "version": version,
        "key": merchant_key.kind,
        "tokens_per_second": round(1e6 / full_us),
        "full_us": round(full_us, 1),
    }


def run_benchmarks(
    *, quick: bool = False, key: MerchantPrivateKey | HeldKey | None = None
) -> dict[str, Any]:
    """Every figure; with ``key``, also :func:`measure_key`'s (the in-process figures are
    measured as without it)."""
    scale = 0.25 if quick else 1.0
    report = _standard(scale, quick)
    if key is not None:
        report["key"] = measure_key(key, tokens=int(200 * scale) or 1, rounds=int(20 * scale) or 2)
    return report


def _standard(scale: float, quick: bool) -> dict[str, Any]:
    return {
        "machine": machine(),
        "ec_v1": measure_warm("EC_v1", tokens=int(200 * scale) or 1, rounds=int(40 * scale) or 2),
        "rsa_v1": measure_warm("RSA_v1", tokens=int(40 * scale) or 1, rounds=int(20 * scale) or 2),
        "cold": {
            "ec_v1": measure_cold("EC_v1", runs=3 if quick else 5),
            "rsa_v1": measure_cold("RSA_v1", runs=3 if quick else 5),
        },
        "batch": measure_batch(lines=int(8000 * scale), workers=max(2, os.cpu_count() or 2)),
        "targets": {
            "warm_ratio_max": 1.25,
            "cold_first_token_ms_max": 5.0,
            "batch_speedup_min": 1.8,
        },
    }
