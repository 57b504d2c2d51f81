"""One way for every command to take a merchant key (issue #12, part 3): ``--key`` is a key
file or an RFC 7512 PKCS#11 URI (``pkcs11:token=merchant;object=apple-pay-2026;
pin-source=file:/run/secrets/pin``), and ``--pkcs11-module`` names the module. Every
command that takes a key takes it through :func:`key_option`, so each one gets both by
construction, and loads it through :class:`KeySource`.

The PIN is never an option: it comes from the URI's ``pin-source`` file (``pin-value`` is
refused when the URI is read), so it shows in no ``ps``, no shell history, no message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import ConfigurationError
from ..keys import HeldKey, MerchantKey, MerchantPrivateKey, load_private_key, name_the_pair
from ..keys.keydata import KEY_PASSWORD_ENV

F = TypeVar("F", bound=Callable[..., Any])

PKCS11_PREFIX = "pkcs11:"
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@dataclasses.dataclass(frozen=True)
class KeySource:
    """What one ``--key`` named: a file, or a key in a PKCS#11 token (with its module)."""

    path: Path | None = None
    uri: str | None = None
    module: str | None = None
    #: ``--key-password`` (or ``APPLEPAY_KEY_PASSWORD``): for an encrypted key file or .p12.
    password: bytes | None = dataclasses.field(default=None, repr=False)

    @property
    def in_token(self) -> bool:
        return self.uri is not None

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else str(self.uri)

    def merchant_key(
        self,
        *,
        certificate: Path | x509.Certificate | None = None,
        merchant_id: str | None = None,
        password: bytes | None = None,
    ) -> MerchantKey:
        """The key ready to decrypt: from the file, or opened in its token (the merchant id
        from ``certificate``, the certificate stored beside the key, or ``merchant_id``)."""
        if self.path is not None:
            return MerchantKey.load(
                self.path,
                certificate=certificate,
                merchant_id=merchant_id,
                password=password if password is not None else self.password,
            )
        from ..keys.pkcs11 import merchant_key_from_uri

        assert self.uri is not None
        return merchant_key_from_uri(
            self.uri, module=self.module, certificate=certificate, merchant_id=merchant_id
        )

    def held(self, *, password: bytes | None = None) -> MerchantPrivateKey | HeldKey:
        """The private key from the file, or the token's key with its public key."""
        if self.path is not None:
            return load_private_key(
                self.path, password=password if password is not None else self.password
            )
        from ..keys.pkcs11 import held_key_from_uri

        assert self.uri is not None
        return held_key_from_uri(self.uri, module=self.module)

    def token(self, *, rw: bool = False) -> Any:
        """The logged-in :class:`~applepay_crypto.keys.pkcs11.Pkcs11Token` the URI names."""
        from ..keys.pkcs11 import token_from_uri

        if self.uri is None:
            raise ConfigurationError("a key file is not in a PKCS#11 token")
        return token_from_uri(self.uri, module=self.module, rw=rw)

    def public_key(
        self, *, password: bytes | None = None
    ) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
        held = self.held(password=password)
        return held.public_key if isinstance(held, HeldKey) else held.public_key()


class KeyFileOrUri(click.ParamType):  # type: ignore[type-arg,unused-ignore]
    """A key file that exists, or a PKCS#11 URI read (and checked) at once; with
    ``uri_only``, a PKCS#11 URI only (``keys new --pkcs11``)."""

    def __init__(self, *, uri_only: bool = False) -> None:
        self.uri_only = uri_only
        self.name = "PKCS11-URI" if uri_only else "FILE|PKCS11-URI"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> KeySource:
        if isinstance(value, KeySource):
            return value
        text = str(value)
        if not text.startswith(PKCS11_PREFIX):
            if self.uri_only:
                self.fail("give a PKCS#11 URI (pkcs11:token=...;object=...)", param, ctx)
            return KeySource(path=_FILE.convert(value, param, ctx))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("the PKCS#11 URI is not valid UTF-8 text", param, ctx)
        from ..keys.pkcs11 import parse_pkcs11_uri

        try:
            parse_pkcs11_uri(text)
        except ConfigurationError as exc:
            # The library's message names attributes, never values: a refused pin-value
            # is not echoed back.
            self.fail(exc.message, param, ctx)
        return KeySource(uri=text)


KEY = KeyFileOrUri()
PKCS11_URI = KeyFileOrUri(uri_only=True)

_MODULE_HELP = (
    "PKCS#11 module (the token's shared library) for a --key pkcs11: URI. Default: the "
    "URI's module-path, else $PKCS11_MODULE, else SoftHSM2's."
)


def key_option(*names: str, help: str, uri_only: bool = False, **options: Any) -> Callable[[F], F]:
    """``--key`` (a file or a PKCS#11 URI) and ``--pkcs11-module``: the module is bound into
    each :class:`KeySource` before the command runs, so no command can forget it."""
    key = click.option(
        *names,
        type=PKCS11_URI if uri_only else KEY,
        help=help if uri_only else f"{help} A file, or a PKCS#11 URI.",
        **options,
    )
    module = click.option(
        "--pkcs11-module",
        "pkcs11_module",
        type=click.Path(dir_okay=False),
        default=None,
        help=_MODULE_HELP,
    )
    password = click.option(
        "--key-password",
        "key_password",
        metavar="PASSWORD",
        envvar=KEY_PASSWORD_ENV,
        show_envvar=True,
        default=None,
        help="Password of an encrypted key file or of a .p12 given as the key (prefer the "
        "environment variable: ps shows options).",
    )

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def bound(*args: Any, **kwargs: Any) -> Any:
            chosen = kwargs.pop("pkcs11_module", None)
            secret = kwargs.pop("key_password", None)
            encoded = secret.encode("utf-8") if secret is not None else None
            for name, value in kwargs.items():
                kwargs[name] = _bind(value, chosen, encoded)
            return command(*args, **kwargs)

        wrapped = module(key(bound))
        return wrapped if uri_only else password(wrapped)  # type: ignore[return-value]

    return decorate


def _bind(value: Any, module: str | None, password: bytes | None = None) -> Any:
    if isinstance(value, KeySource) and value.in_token:
        return dataclasses.replace(value, module=module)
    if isinstance(value, KeySource):
        return dataclasses.replace(value, password=password)
    if isinstance(value, tuple) and any(isinstance(item, KeySource) for item in value):
        return tuple(_bind(item, module, password) for item in value)
    return value


def load_merchant_keys(
    keys: tuple[KeySource, ...], certs: tuple[Path, ...], merchant_id: str | None
) -> list[MerchantKey]:
    """``--key``/``--cert`` pairs in order; keys without a certificate use ``--merchant-id``
    (or, in a token, the certificate stored beside the key)."""
    pairs = key_pairs(keys, certs)
    loaded = []
    for index, (source, cert) in enumerate(pairs):
        with name_the_pair(index, source, cert) if len(pairs) > 1 else contextlib.nullcontext():
            loaded.append(source.merchant_key(certificate=cert, merchant_id=merchant_id))
    return loaded


def key_pairs(
    keys: tuple[KeySource, ...], certs: tuple[Path, ...]
) -> list[tuple[KeySource, Path | None]]:
    if len(certs) > len(keys):
        raise ConfigurationError("more --cert than --key options: they pair up in order")
    return [(key, certs[index] if index < len(certs) else None) for index, key in enumerate(keys)]
