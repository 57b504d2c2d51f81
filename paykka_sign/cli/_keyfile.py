"""``--key-password``: the password of an encrypted key file or a ``.p12`` given as a key.

The same option and environment variable as ``applepay-crypto`` (issue #14, item 4): both
command lines read key files through ``applepay_crypto.keys.keydata``.
"""

from __future__ import annotations

from typing import Any

import click

from applepay_crypto.keys.keydata import KEY_PASSWORD_ENV

__all__ = ["key_password_option"]


def _encoded(ctx: click.Context, param: click.Parameter, value: Any) -> bytes | None:
    return value.encode("utf-8") if isinstance(value, str) else None


key_password_option = click.option(
    "--key-password",
    "key_password",
    metavar="PASSWORD",
    envvar=KEY_PASSWORD_ENV,
    show_envvar=True,
    default=None,
    callback=_encoded,
    help="Password of an encrypted key file or of a .p12 given as a key (prefer the "
    "environment variable: ps shows options).",
)
