"""One feel for both command lines (issue #14): what every command of ``applepay-crypto``
and ``paykka-sign`` does on an error, whoever wrote it.

:class:`ToolkitGroup` is the class of each CLI's top group. Because it wraps the parsing
and the invocation of every command below it, a command or option added later gets the
same behaviour without doing anything:

* ``--json`` anywhere on the command line means JSON, always: click's own usage errors
  (a missing option, a bad ``--at``, a missing file, an unknown option) become one
  ``{"error": {"code": "usage_error", "message": ...}}`` object on stdout, exit 2;
* without ``--json`` they are click's usual text on stderr, exit 2 (click's file errors,
  which it would end with 1, are setup errors too: 2);
* an exception no command expected becomes ``internal_error`` (exit 2), its type named
  and its text never shown (it may quote token or key bytes);
* library warnings (a private key file others can read) are one ``warning:`` line.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import IO, Any, TypeVar

import click

__all__ = [
    "USAGE_ERROR",
    "ToolkitGroup",
    "force_option",
    "json_requested",
    "print_json",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])

USAGE_ERROR = "usage_error"
INTERNAL_ERROR = "internal_error"
_JSON_FLAG = "--json"
_META_KEY = "toolkit.json"
EXIT_USAGE = 2


def wants_json(args: Sequence[str]) -> bool:
    """Whether ``--json`` is on the command line (before a ``--`` that ends the options)."""
    words = list(args)
    if "--" in words:
        words = words[: words.index("--")]
    return _JSON_FLAG in words


def json_requested() -> bool:
    """Whether the command being run was given ``--json`` (anywhere on its command line)."""
    context = click.get_current_context(silent=True)
    return bool(context is not None and context.meta.get(_META_KEY))


def print_json(document: Any, *, file: IO[str] | None = None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from argv bytes that are not UTF-8) has no UTF-8 form.
        text = json.dumps(document, indent=2, ensure_ascii=True)
    click.echo(text, file=file)


def force_option(command: F) -> F:
    """``--force``: overwrite files that exist. Issue #14: one name in both CLIs; the
    ``--overwrite`` that ``paykka-sign keygen`` had is kept as a hidden alias."""

    @functools.wraps(command)
    def merged(*args: Any, **kwargs: Any) -> Any:
        alias = bool(kwargs.pop("overwrite_alias", False))
        kwargs["force"] = bool(kwargs.get("force")) or alias
        return command(*args, **kwargs)

    force = click.option("--force", is_flag=True, help="Overwrite files that exist.")
    alias = click.option("--overwrite", "overwrite_alias", is_flag=True, hidden=True)
    return force(alias(merged))  # type: ignore[return-value]


FILE_EXISTS = "file_exists"


def error_document(code: str, message: str) -> dict[str, str]:
    """The ``{"code", "message"}`` a CLI prints for a library error: a refusal to overwrite
    names the option that allows it (issue #14), whichever command refused."""
    if code == FILE_EXISTS and "--force" not in message:
        message = f"{message} (add --force to replace it)"
    return {"code": code, "message": message}


def warn(message: str) -> None:
    click.secho(f"warning: {message}", fg="yellow", err=True)


class JsonUsageError(click.UsageError):
    """A click error shown as the CLIs' JSON error object on stdout (exit 2)."""

    def __init__(self, message: str, *, code: str = USAGE_ERROR, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code  # type: ignore[misc]  # click declares a ClassVar

    def show(self, file: IO[Any] | None = None) -> None:
        print_json({"error": {"code": self.code, "message": self.message}})


class ToolkitGroup(click.Group):
    """The top group of both CLIs: see the module's docstring."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        as_json = json_requested() if parent is not None else wants_json(args)
        try:
            context = super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as exc:
            raise _as_setup_error(exc, as_json=as_json) from None
        context.meta[_META_KEY] = as_json
        return context

    def invoke(self, ctx: click.Context) -> Any:
        _warnings_as_lines()
        _printable_streams()
        as_json = bool(ctx.meta.get(_META_KEY))
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:
            raise _as_setup_error(exc, as_json=as_json) from None
        except click.Abort:
            if not as_json:
                raise
            aborted = JsonUsageError("aborted: no answer to a prompt", code="aborted", exit_code=1)
            raise aborted from None
        except (click.exceptions.Exit, SystemExit, KeyboardInterrupt, EOFError):
            raise
        except BrokenPipeError:
            raise  # stdout closed early (`| head`): click ends quietly
        except Exception as exc:  # the CLI's contract: never a traceback
            message = f"unexpected {type(exc).__name__}; please report this as a bug"
            if as_json:
                raise JsonUsageError(message, code=INTERNAL_ERROR) from None
            click.secho(f"error [{INTERNAL_ERROR}]: {message}", fg="red", err=True)
            sys.exit(EXIT_USAGE)


def _as_setup_error(exc: click.ClickException, *, as_json: bool) -> click.ClickException:
    if isinstance(exc, JsonUsageError):
        return exc
    if as_json:
        return JsonUsageError(exc.format_message())
    exc.exit_code = EXIT_USAGE  # type: ignore[misc]  # a file click cannot open: setup, 2
    return exc


def _warnings_as_lines() -> None:
    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    warn(str(message))


def _printable_streams() -> None:
    """Review (#11): text from a token, a decrypted payload or a file may hold a lone
    surrogate; printed, it must come out as a ``\\udXXX`` escape, not end the command
    with a UnicodeEncodeError. Every echo of every command goes through these streams."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or odd stream
                reconfigure(errors="backslashreplace")
