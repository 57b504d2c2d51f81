"""``paykka-sign``: a thin command line over the library."""

from __future__ import annotations

import click

from applepay_crypto.cli._group import ToolkitGroup

from .. import __version__
from .applepay import applepay_request
from .client import paykka_group, send, yabandpay_pay
from .paykka import keygen, sign, verify
from .simulate import simulate
from .yabandpay import yabandpay

__all__ = ["main"]


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paykka-sign")
def main() -> None:
    """Sign PayKKa (v1.2, v3) and YabandPay requests; verify their responses and webhooks.

    Exit status: 0 success, 1 rejected (bad signature, order differing from the token...),
    2 usage or setup error. With --json anywhere on the command line, every error (usage
    errors too) is one JSON object on stdout.
    """


main.add_command(keygen)
main.add_command(sign)
main.add_command(verify)
main.add_command(yabandpay)
main.add_command(applepay_request)
main.add_command(send)
main.add_command(paykka_group)
main.add_command(simulate)
yabandpay.add_command(yabandpay_pay)
