"""``googlepay-crypto``: a thin command line over the library."""

from __future__ import annotations

import click

from applepay_crypto.cli._group import ToolkitGroup

from .. import __version__
from .tokens import decrypt, inspect, verify

__all__ = ["main"]


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="googlepay-crypto")
def main() -> None:
    """Verify and decrypt Google Pay payment method tokens (ECv1, ECv2, ECv2SigningOnly).

    Exit status: 0 success, 1 token refused, 2 usage or setup error. With --json anywhere
    on the command line, every error (usage errors too) is one JSON object on stdout.
    """


main.add_command(decrypt)
main.add_command(verify)
main.add_command(inspect)
