"""Shared pieces of the ``paykka-sign`` command line: options, input, errors, output.

The conventions follow ``applepay-crypto``: ``--json`` prints one JSON object on stdout
(errors as ``{"error": {"code", "message"}}``), ``--at`` replaces "now", and the exit
status is 0 on success, 1 when a message or order is rejected, 2 on a usage or setup error.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click

from applepay_crypto import ApplePayError
from applepay_crypto.cli._group import error_document, json_requested
from applepay_crypto.cli._group import force_option as force_option
from applepay_crypto.cli._group import print_json as print_json
from applepay_crypto.cli._group import warn as warn
from applepay_crypto.cli.params import Timestamp
from applepay_crypto.keys.files import warn_if_exposed

from ..errors import InvalidKeyError, PaykkaSignError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_REJECTED = 1
EXIT_USAGE = 2
#: Codes that mean "fix the command or the setup", not "the message is bad".
_USAGE_CODES = {
    "invalid_key",
    "invalid_argument",
    "invalid_configuration",
    "file_exists",
    "trust_root_missing",
    # Issue #13: the PSP could not be reached, the client extra is absent, a bug of this
    # tool: setup, not a verdict on the message.
    "network_error",
    "missing_dependency",
    "internal_error",
}
#: Bodies and requests are small; refuse to slurp an unbounded stream.
MAX_INPUT_BYTES = 1024 * 1024
SECRET_ENV_VAR = "YABANDPAY_SECRET_KEY"  # noqa: S105 (the variable's name, not a secret)


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout (errors too)."
)
at_option = click.option(
    "--at",
    type=Timestamp(),
    default=None,
    help="Use this time (ISO-8601) instead of now: for recorded messages and tests.",
)
input_path = click.Path(dir_okay=False, allow_dash=True)
existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def read_input(path: str, *, what: str) -> bytes:
    """A file's bytes, or stdin's for ``-``, exactly as they are (no newline stripped)."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise click.UsageError(f"cannot read the {what} {path!r}: {exc.strerror}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise click.UsageError(f"the {what} is larger than {MAX_INPUT_BYTES} bytes")
    return raw


def read_secret(path: Path | None) -> str:
    """The YabandPay secret key from a file or the environment, never from the command line
    (where ``ps`` and shell history would show it)."""
    if path is not None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidKeyError(
                f"cannot read the secret key file {str(path)!r}: {exc.strerror}"
            ) from None
        try:
            secret = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            # review (#11): the decoder's text names a byte of the secret and its position.
            raise InvalidKeyError(f"the secret key file {str(path)!r} is not UTF-8 text") from None
        warn_if_exposed(path, what="secret key file", logger=logging.getLogger("paykka_sign.keys"))
    else:
        secret = os.environ.get(SECRET_ENV_VAR, "").strip()
        if not secret:
            raise click.UsageError(f"give --secret-key-file or set {SECRET_ENV_VAR}")
    if not secret:
        raise InvalidKeyError("the secret key is empty")
    return secret


def parse_header_lines(lines: tuple[str, ...]) -> dict[str, str]:
    """``Name: value`` strings (as curl's ``-H``) to a dict; a repeated name is an error."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise click.UsageError(f"a header must look like 'Name: value', not {line!r}")
        key = name.strip().lower()
        if key in headers:
            raise click.UsageError(f"the header {key!r} is given twice")
        headers[key] = value.strip()
    return headers


@overload
def handles_errors(command: F, *, setup: bool = False) -> F: ...


@overload
def handles_errors(command: None = None, *, setup: bool = False) -> Callable[[F], F]: ...


def handles_errors(command: F | None = None, *, setup: bool = False) -> Any:
    """The library's errors (and ``applepay_crypto``'s) as the CLI's contract: a message on
    stderr or a JSON error object on stdout; exit 1 when rejected, 2 when the setup is wrong.

    ``@handles_errors(setup=True)`` marks a command that judges no message (it writes
    keys): whatever refuses it is a setup error, exit 2 (issue #14)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except (PaykkaSignError, ApplePayError) as exc:
                error = error_document(exc.code, exc.message)
                if kwargs.get("as_json") or json_requested():
                    print_json({"error": error})
                else:
                    click.secho(f"error [{error['code']}]: {error['message']}", fg="red", err=True)
                usage = setup or exc.code in _USAGE_CODES
                sys.exit(EXIT_USAGE if usage else EXIT_REJECTED)

        wrapper.setup_command = setup  # type: ignore[attr-defined]  # read by the CLI tests
        return wrapper  # type: ignore[return-value]

    return decorate(command) if command is not None else decorate
