"""What the atheris harnesses (fuzz_tokens.py, fuzz_paykka.py) share: the input as text,
the seed corpus writer, and the command line ``TARGET [CORPUS] [libFuzzer options]`` or
``--seed-corpus DIR``. Imported from the harness's own folder (``python fuzz/...``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import atheris


def text(data: bytes) -> str:
    """The input as ``str``, every byte kept (undecodable ones as lone surrogates)."""
    return data.decode("utf-8", "surrogateescape")


def write_seeds(directory: Path, seeds: Mapping[str, list[bytes]]) -> None:
    """One folder per target, one file per distinct seed."""
    for name, items in seeds.items():
        target = directory / name
        target.mkdir(parents=True, exist_ok=True)
        unique = list(dict.fromkeys(items))
        for index, item in enumerate(unique):
            (target / f"seed-{index:03d}").write_bytes(item)
        print(f"{target}: {len(unique)} seeds")


def main(
    targets: Mapping[str, Callable[[bytes], None]], seed_corpus: Callable[[Path], None]
) -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--seed-corpus":
        seed_corpus(Path(sys.argv[2]))
        return
    if len(sys.argv) < 2 or sys.argv[1] not in targets:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(targets)}}} [CORPUS] [libFuzzer options]")
    target = targets[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
