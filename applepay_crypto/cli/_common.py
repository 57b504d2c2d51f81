"""Shared pieces of the ``applepay-crypto`` command line: options, errors, output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click

from ..errors import ApplePayError, ConfigurationError, InternalError
from ..keys import load_certificate
from ..trust import TrustStore, is_apple_root
from ._group import error_document, json_requested
from ._group import force_option as force_option
from ._group import print_json as print_json
from ._group import warn as warn
from ._keys import key_option
from .params import Duration, Timestamp

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes: 0 success, 1 token rejected, 2 usage or configuration problem.
EXIT_REJECTED = 1
EXIT_USAGE = 2
_USAGE_CODES = {
    "invalid_configuration",
    "file_exists",
    "trust_root_missing",
    "session_host_not_allowed",
    "replay_guard_unavailable",  # an outage, not a verdict on the token
    "internal_error",  # a bug of this tool, not a verdict on the token
    # Issue #12: the key's holder (an HSM, its module, its PIN) failed: setup, not the token.
    "key_operation_failed",
    "hsm_error",
    "hsm_module_unavailable",
    "hsm_token_not_found",
    "hsm_pin_incorrect",
    "hsm_key_not_found",
    "hsm_key_usage_not_permitted",
    "hsm_mechanism_unsupported",
}


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
at_option = click.option(
    "--at",
    type=Timestamp(),
    default=None,
    help="Verification time (ISO-8601) instead of now; for recorded tokens use their signing time.",
)
max_age_option = click.option(
    "--max-age",
    type=Duration(),
    default="5m",
    show_default=True,
    help="Largest accepted distance between signing time and verification time.",
)
root_option = click.option(
    "--root",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Trusted root certificate. Default: the installed Apple Root CA - G3. "
    "A root other than Apple's (a test authority) is trusted with a warning.",
)


_KEY_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def merchant_key_options(*, required: bool = True) -> Callable[[F], F]:
    """``--key`` (repeatable; a file or a PKCS#11 URI, with ``--pkcs11-module``), ``--cert``
    (paired with ``--key`` in order), ``--merchant-id``."""
    options = (
        key_option(
            "--key",
            "keys",
            multiple=True,
            required=required,
            help="Payment processing private key (PEM or DER). Repeat for rotation.",
        ),
        click.option(
            "--cert",
            "certs",
            multiple=True,
            type=_KEY_FILE,
            help="Payment processing certificate of the --key at the same position.",
        ),
        click.option(
            "--merchant-id",
            default=None,
            help="Merchant identifier (merchant.com.example) for keys given without --cert.",
        ),
    )

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def trust_store(root: Path | None) -> TrustStore:
    if root is None:
        return TrustStore.apple_root()
    cert = load_certificate(root)
    if is_apple_root(cert):
        return TrustStore.apple_root(cert)
    warn(
        f"{root} is not Apple Root CA - G3: trusting it as a test root; "
        "never do this for real payments"
    )
    return TrustStore.for_test_roots([cert])


@overload
def handles_errors(command: F, *, setup: bool = False) -> F: ...


@overload
def handles_errors(command: None = None, *, setup: bool = False) -> Callable[[F], F]: ...


def handles_errors(command: F | None = None, *, setup: bool = False) -> Any:
    """Turn the library's errors into the CLI's contract: a message or a JSON error object,
    exit 1 when the token is rejected and 2 when the setup is wrong.

    ``@handles_errors(setup=True)`` marks a command that judges no token (it installs,
    writes or converts files): whatever refuses it is a setup error, exit 2 (issue #14)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            as_json = bool(kwargs.get("as_json")) or json_requested()
            try:
                check_option_text(kwargs)
                return command(*args, **kwargs)
            except ApplePayError as exc:
                report_error(exc, as_json=as_json, setup=setup)
            except (click.ClickException, click.exceptions.Exit, click.Abort):
                raise  # click's own usage errors: its message (or JSON), exit 2
            except BrokenPipeError:
                raise  # stdout closed early (`| head`): click ends quietly, not a bug
            except Exception as exc:  # review (#11): never a traceback; the type only, as
                # the text of an unexpected exception may quote token or key bytes
                report_error(
                    InternalError(f"unexpected {type(exc).__name__}; please report this as a bug"),
                    as_json=as_json,
                )

        wrapper.setup_command = setup  # type: ignore[attr-defined]  # read by the CLI tests
        return wrapper  # type: ignore[return-value]

    return decorate(command) if command is not None else decorate


def report_error(exc: ApplePayError, *, as_json: bool, setup: bool = False) -> None:
    """Print ``exc`` as the CLI's contract says, then exit 1 (rejected) or 2 (setup)."""
    error = error_document(exc.code, exc.message)
    if as_json:
        print_json({"error": error})
    else:
        click.secho(f"error [{error['code']}]: {error['message']}", fg="red", err=True)
    sys.exit(EXIT_USAGE if setup or exc.code in _USAGE_CODES else EXIT_REJECTED)


def check_option_text(options: dict[str, Any]) -> None:
    """Review (#11): argv bytes that are not UTF-8 reach a command as lone surrogates, which
    no key file, password, merchant id or URL can hold: refused here, for every option of
    every command, before any of them is used."""
    for name, value in options.items():
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    name = _option_name(name)
                    raise ConfigurationError(f"{name} is not valid UTF-8 text") from None


def _option_name(name: str) -> str:
    """How the user spelled the parameter: ``--merchant-id``, or ``VALIDATION_URL``."""
    context = click.get_current_context(silent=True)
    for param in context.command.params if context is not None else ():
        if param.name == name:
            return param.opts[0] if isinstance(param, click.Option) else name.upper()
    return name


def table(rows: list[tuple[str, Any]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        if value is not None:
            click.echo(f"{label:<{width}}  {value}")
