"""``applepay-crypto``: a thin command line over the library."""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any

import click

from .. import __version__
from ._common import warn
from .batch import decrypt_batch
from .bench import bench
from .certs import cert
from .doctor import doctor
from .keys import keys
from .session import session
from .testing import mint_command, test_ca
from .tokens import decrypt, inspect, verify
from .trust import trust

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="applepay-crypto")
def main() -> None:
    """Verify and decrypt Apple Pay payment tokens (EC_v1, RSA_v1).

    Exit status: 0 success, 1 token rejected, 2 usage or setup error.
    """
    # Library warnings (a private key file others can read) as one plain line on stderr.
    warnings.showwarning = _show_warning
    _printable_streams()


def _printable_streams() -> None:
    """Review (#11): text from a token, a decrypted payload or a file may hold a lone
    surrogate; printed, it must come out as a ``\\udXXX`` escape, not end the command
    with a UnicodeEncodeError. Every echo of every command goes through these streams."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    warn(str(message))


main.add_command(decrypt)
main.add_command(decrypt_batch)
main.add_command(verify)
main.add_command(inspect)
main.add_command(trust)
main.add_command(test_ca)
main.add_command(mint_command)
main.add_command(cert)
main.add_command(keys)
main.add_command(doctor)
main.add_command(session)
main.add_command(bench)
