"""What the package tells the ``logging`` module (issue #14, item 10).

Loggers are named after the modules, all children of ``applepay_crypto``:

* ``applepay_crypto.decryptor`` / ``applepay_crypto.signature``: a rejected token, as its
  error code only (WARNING); which merchant key decrypted a token, by publicKeyHash (INFO);
* ``applepay_crypto.replay``: the replay guard's decisions, by transactionId (WARNING for a
  refused replay, INFO for a first use);
* ``applepay_crypto.keys.files``: a private key file others can read (WARNING).

Never card data: no PAN, cryptogram, payload, key material nor message text from a
library; codes, publicKeyHash (a hash of a public key) and transactionId (Apple's opaque
id, not card data) only. The package adds a ``NullHandler``; configure ``logging`` to see
the records.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from .errors import ApplePayError

__all__ = ["logs_rejections", "rejections_logged"]

P = ParamSpec("P")
R = TypeVar("R")

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("applepay_crypto_depth", default=0)


@contextlib.contextmanager
def rejections_logged(
    logger: logging.Logger,
    operation: str,
    errors: tuple[type[Exception], ...] = (ApplePayError,),
) -> Iterator[None]:
    """Log an error of ``errors`` (each with a ``code``) escaping the block as
    ``<operation> rejected: <code>``, once: the outermost logged call logs it (``decrypt``
    runs ``verify`` inside). ``paykka_sign`` passes its own error class too."""
    token = _depth.set(_depth.get() + 1)
    try:
        yield
    except errors as exc:
        if _depth.get() == 1:
            logger.warning("%s rejected: %s", operation, getattr(exc, "code", "error"))
        raise
    finally:
        _depth.reset(token)


def logs_rejections(
    logger: logging.Logger,
    operation: str,
    errors: tuple[type[Exception], ...] = (ApplePayError,),
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The decorator form of :func:`rejections_logged`."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def logged(*args: P.args, **kwargs: P.kwargs) -> R:
            with rejections_logged(logger, operation, errors):
                return function(*args, **kwargs)

        return logged

    return decorate
