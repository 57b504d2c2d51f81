"""``googlepay-crypto``: placeholder until the command line (helper h6) replaces it."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """The command line is not built yet."""
    sys.stderr.write("googlepay-crypto: the command line is not built yet\n")
    raise SystemExit(2)
