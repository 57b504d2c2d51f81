"""``applepay-crypto``: a thin command line over the library."""

from __future__ import annotations

import click

from .. import __version__
from ._group import ToolkitGroup
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


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="applepay-crypto")
def main() -> None:
    """Verify and decrypt Apple Pay payment tokens (EC_v1, RSA_v1).

    Exit status: 0 success, 1 token rejected, 2 usage or setup error. With --json anywhere
    on the command line, every error (usage errors too) is one JSON object on stdout.
    """


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
