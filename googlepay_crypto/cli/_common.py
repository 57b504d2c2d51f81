"""Shared pieces of the ``googlepay-crypto`` command line: options, the recipient they
configure, reading TOKEN, and the errors' exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from applepay_crypto.cli._group import error_document, json_requested, print_json
from applepay_crypto.cli.params import Timestamp

from ..errors import ConfigurationError, GooglePayError, InternalError, MalformedTokenError
from ..keys import read_merchant_key
from ..recipient import GOOGLE_SENDER_ID, PROTOCOL_VERSIONS, Recipient
from ..root_keys import (
    PRODUCTION_KEYS_URL,
    TEST_KEYS_URL,
    RootKeyFetcher,
    RootKeySource,
    load_root_keys,
)

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes: 0 success, 1 token refused, 2 usage or setup problem.
EXIT_REFUSED = 1
EXIT_USAGE = 2
#: Codes that judge the setup (keys, root keys, options, the tool), not the token.
SETUP_CODES = frozenset(
    {
        "invalid_configuration",
        "invalid_root_keys",
        "root_keys_unavailable",
        # The root keys hold no unexpired key for the version: the keys are stale, whatever
        # the token is (as applepay-crypto's trust_root_missing).
        "no_root_keys",
        "key_operation_failed",
        "internal_error",
    }
)
#: Google Pay tokens are about 2 KB; far larger input is not one.
MAX_TOKEN_BYTES = 1024 * 1024
GOOGLE_KEYS = {"production": PRODUCTION_KEYS_URL, "test": TEST_KEYS_URL}
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)

token_argument = click.argument(
    "token", type=click.Path(exists=True, dir_okay=False, allow_dash=True)
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
at_option = click.option(
    "--at",
    type=Timestamp(),
    default=None,
    help="Verification time (ISO-8601) instead of now: expirations are checked against it.",
)
reveal_option = click.option(
    "--reveal", is_flag=True, help="Show the message unmasked: card number, cryptogram, all fields."
)
key_option = click.option(
    "--key",
    "keys",
    multiple=True,
    type=_FILE,
    help="Merchant private key (PEM, DER or base64 PKCS#8). Repeat for rotation: tried in order.",
)


def recipient_options(command: F) -> F:
    """``--recipient-id``, ``--protocol-version``, ``--sender-id`` and the root keys."""
    options = (
        click.option(
            "--recipient-id",
            required=True,
            metavar="ID",
            help="merchant:<merchantId> or gateway:<gatewayId>, as Google signs it.",
        ),
        click.option(
            "--protocol-version",
            type=click.Choice(PROTOCOL_VERSIONS),
            default="ECv2",
            show_default=True,
            help="The version this recipient expects; a token of another is refused.",
        ),
        click.option(
            "--sender-id",
            default=GOOGLE_SENDER_ID,
            show_default=True,
            help="Signer named in the signed strings (GooglePayPasses for Wallet callbacks).",
        ),
        click.option(
            "--root-keys",
            "root_keys_file",
            type=_FILE,
            default=None,
            help="Google's root signing keys as a file (keys.json). Needs no network.",
        ),
        click.option(
            "--root-keys-url",
            default=None,
            metavar="URL",
            help="Fetch keys.json from this https URL (http only to 127.0.0.1).",
        ),
        click.option(
            "--google-keys",
            type=click.Choice(sorted(GOOGLE_KEYS)),
            default=None,
            help="Fetch Google's production (the default) or TEST-environment keys.json.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def root_key_source(
    root_keys_file: Path | None, root_keys_url: str | None, google_keys: str | None
) -> RootKeySource:
    """The one root key source the options name; Google's production keys by default."""
    given = [
        name
        for name, value in (
            ("--root-keys", root_keys_file),
            ("--root-keys-url", root_keys_url),
            ("--google-keys", google_keys),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise click.UsageError(f"give one source of root keys, not {' and '.join(given)}")
    if root_keys_file is not None:
        return load_root_keys(root_keys_file)
    return RootKeyFetcher(root_keys_url or GOOGLE_KEYS[google_keys or "production"])


def build_recipient(options: dict[str, Any], keys: tuple[Path, ...] = ()) -> Recipient:
    return Recipient(
        options["recipient_id"],
        root_keys=root_key_source(
            options["root_keys_file"], options["root_keys_url"], options["google_keys"]
        ),
        private_keys=[read_merchant_key(path) for path in keys],
        protocol_version=options["protocol_version"],
        sender_id=options["sender_id"],
    )


def read_token_input(name: str) -> bytes:
    """TOKEN's bytes: a file, or stdin for ``-``."""
    try:
        if name == "-":
            stream: BinaryIO = sys.stdin.buffer
            data = stream.read(MAX_TOKEN_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                data = handle.read(MAX_TOKEN_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the token: {exc.strerror or 'unreadable'}") from None
    if len(data) > MAX_TOKEN_BYTES:
        raise MalformedTokenError(
            f"the token is larger than {MAX_TOKEN_BYTES} bytes; Google Pay tokens are about 2 KB"
        )
    if not data.strip():
        raise MalformedTokenError("the token is empty")
    return data


#: Hints the command line adds to a library message: which option changes the outcome.
HINTS = {
    "protocol_version_mismatch": "--protocol-version names the version expected",
    "no_root_keys": "--root-keys FILE, or fetched with --google-keys",
}


def handles_errors(command: F) -> F:
    """The library's errors as the CLI's contract: a message or one JSON error object, exit
    1 when the token is refused and 2 when the setup is wrong."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json")) or json_requested()
        try:
            check_option_text(kwargs)
            return command(*args, **kwargs)
        except GooglePayError as exc:
            report_error(exc, as_json=as_json)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as exc:  # never a traceback; the type only (the text may quote input)
            report_error(
                InternalError(f"unexpected {type(exc).__name__}; please report this as a bug"),
                as_json=as_json,
            )

    return wrapper  # type: ignore[return-value]


def report_error(exc: GooglePayError, *, as_json: bool) -> None:
    message = exc.message
    hint = HINTS.get(exc.code)
    if hint is not None:
        message = f"{message} ({hint})"
    error = error_document(exc.code, message)
    if as_json:
        print_json({"error": error})
    else:
        click.secho(f"error [{error['code']}]: {error['message']}", fg="red", err=True)
    sys.exit(EXIT_USAGE if exc.code in SETUP_CODES else EXIT_REFUSED)


def check_option_text(options: dict[str, Any]) -> None:
    """Argv bytes that are not UTF-8 reach a command as lone surrogates, which no recipient
    id, sender id or URL can hold: refused before any is used."""
    for name, value in options.items():
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    option = "--" + name.replace("_", "-")
                    raise ConfigurationError(f"{option} is not valid UTF-8 text") from None


def table(rows: list[tuple[str, Any]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        if value is not None:
            click.echo(f"{label:<{width}}  {value}")
