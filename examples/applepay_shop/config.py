"""The shop's configuration: a :class:`ShopConfig` built in code (tests) or from environment
variables (:meth:`ShopConfig.from_env`, documented in this example's README.md).

Keys are loaded once here with the libraries' loaders; the app only uses the objects.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from applepay_crypto import ApplePayError, MerchantKey, ReplayGuard, TrustStore
from applepay_crypto.replay import MemoryReplayGuard, SQLiteReplayGuard
from paykka_sign import PaykkaSignError, read_private_key, read_public_key
from paykka_sign.clock import utc_now

from .errors import ConfigError
from .orders import DEFAULT_CATALOGUE, Product

__all__ = ["ShopConfig"]

Decryption = Literal["merchant", "paykka"]
Validation = Literal["paykka", "apple"]


@dataclass(frozen=True)
class ShopConfig:
    """Everything the shop needs.

    PayKKa: ``paykka_signing_key`` (yours), ``paykka_platform_key`` (PayKKa's),
    ``paykka_merchant_id``, ``paykka_app_id`` (v3), and ``paykka_base_url`` (a simulator) or
    ``paykka_environment`` (``sandbox``, ``production``, ...).

    Apple Pay: ``decryption`` ``merchant`` (the shop decrypts with ``apple_pay_keys``, its
    payment processing keys, and sends the card data) or ``paykka`` (the token goes to
    PayKKa as ``token_data``; with ``apple_pay_keys`` the shop decrypts it too, to check the
    amount). ``trust`` is Apple Root CA - G3 unless a test root is given.
    ``merchant_validation`` ``paykka`` (PayKKa's Apple Pay session API) or ``apple`` (Apple's
    validation URL, over mutual TLS with the merchant identity certificate).
    """

    paykka_signing_key: rsa.RSAPrivateKey
    paykka_platform_key: rsa.RSAPublicKey
    paykka_merchant_id: str
    domain: str
    display_name: str
    paykka_app_id: str | None = None
    paykka_api: Literal["v1.2", "v3"] = "v3"
    paykka_base_url: str | None = None
    paykka_environment: str = "sandbox"
    decryption: Decryption = "merchant"
    apple_pay_keys: tuple[MerchantKey, ...] = ()
    trust: TrustStore | None = None
    merchant_validation: Validation = "paykka"
    identity_certificate: Path | None = None
    identity_key: Path | None = None
    identity_password: bytes | None = field(default=None, repr=False)
    validation_allow_hosts: tuple[str, ...] = ()
    validation_server_ca: Path | None = None
    country: str = "DE"
    currency: str = "EUR"
    catalogue: Mapping[str, Product] = field(default_factory=lambda: dict(DEFAULT_CATALOGUE))
    notify_url: str | None = None
    webhook_path: str = "/hooks/paykka"
    #: v1.2 webhooks carry no time limit of their own (documented); PayKKa retries for a while.
    webhook_window: dt.timedelta = dt.timedelta(hours=24)
    replay_guard: ReplayGuard = field(default_factory=MemoryReplayGuard)
    clock: Callable[[], dt.datetime] = utc_now

    def __post_init__(self) -> None:
        if self.decryption not in ("merchant", "paykka"):
            raise ConfigError("decryption must be 'merchant' or 'paykka'")
        if self.decryption == "merchant" and not self.apple_pay_keys:
            raise ConfigError(
                "merchant decryption needs the payment processing key and certificate "
                "(SHOP_APPLE_PAY_KEY, SHOP_APPLE_PAY_CERT)"
            )
        if self.merchant_validation not in ("paykka", "apple"):
            raise ConfigError("merchant_validation must be 'paykka' or 'apple'")
        if self.merchant_validation == "apple" and self.identity_certificate is None:
            raise ConfigError(
                "merchant validation with Apple needs the merchant identity certificate "
                "(SHOP_IDENTITY_CERT)"
            )
        if not self.webhook_path.startswith("/"):
            raise ConfigError("the webhook path must start with '/'")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ShopConfig:
        """The configuration from ``SHOP_*`` variables (README.md lists them)."""
        env = os.environ if environ is None else environ
        try:
            return cls._from_env(env)
        except (ApplePayError, PaykkaSignError) as error:
            raise ConfigError(f"{error.code}: {error.message}") from None

    @classmethod
    def _from_env(cls, env: Mapping[str, str]) -> ShopConfig:
        def need(name: str) -> str:
            value = env.get(name, "")
            if not value:
                raise ConfigError(f"set {name} (see examples/applepay_shop/README.md)")
            return value

        def path(name: str) -> Path | None:
            value = env.get(name, "")
            return Path(value) if value else None

        api = env.get("SHOP_PAYKKA_API", "v3")
        if api not in ("v3", "v1.2"):
            raise ConfigError("SHOP_PAYKKA_API must be v3 or v1.2")
        decryption = env.get("SHOP_DECRYPTION", "merchant")
        validation = env.get("SHOP_MERCHANT_VALIDATION", "paykka")
        keys = _apple_pay_keys(env)
        replay_db = path("SHOP_REPLAY_DB")
        password = env.get("SHOP_IDENTITY_PASSWORD")
        return cls(
            paykka_signing_key=read_private_key(need("SHOP_PAYKKA_SIGNING_KEY")),
            paykka_platform_key=read_public_key(need("SHOP_PAYKKA_PLATFORM_KEY")),
            paykka_merchant_id=need("SHOP_PAYKKA_MERCHANT_ID"),
            paykka_app_id=need("SHOP_PAYKKA_APP_ID") if api == "v3" else None,
            paykka_api=api,  # type: ignore[arg-type]  # checked above
            paykka_base_url=env.get("SHOP_PAYKKA_BASE_URL") or None,
            paykka_environment=env.get("SHOP_PAYKKA_ENVIRONMENT", "sandbox"),
            domain=need("SHOP_DOMAIN"),
            display_name=need("SHOP_DISPLAY_NAME"),
            decryption=decryption,  # type: ignore[arg-type]  # checked in __post_init__
            apple_pay_keys=keys,
            trust=_trust(env),
            merchant_validation=validation,  # type: ignore[arg-type]  # checked likewise
            identity_certificate=path("SHOP_IDENTITY_CERT"),
            identity_key=path("SHOP_IDENTITY_KEY"),
            identity_password=password.encode() if password else None,
            validation_allow_hosts=tuple(
                h for h in env.get("SHOP_VALIDATION_ALLOW_HOSTS", "").split(",") if h
            ),
            validation_server_ca=path("SHOP_VALIDATION_SERVER_CA"),
            country=env.get("SHOP_COUNTRY", "DE"),
            currency=env.get("SHOP_CURRENCY", "EUR"),
            notify_url=env.get("SHOP_NOTIFY_URL") or None,
            webhook_path=env.get("SHOP_WEBHOOK_PATH", "/hooks/paykka"),
            replay_guard=SQLiteReplayGuard(replay_db) if replay_db else MemoryReplayGuard(),
        )


def _apple_pay_keys(env: Mapping[str, str]) -> tuple[MerchantKey, ...]:
    key, cert = env.get("SHOP_APPLE_PAY_KEY", ""), env.get("SHOP_APPLE_PAY_CERT", "")
    if not key:
        return ()
    if not cert:
        raise ConfigError("SHOP_APPLE_PAY_KEY needs SHOP_APPLE_PAY_CERT (its certificate)")
    return (MerchantKey.load(key, certificate=cert),)


def _trust(env: Mapping[str, str]) -> TrustStore | None:
    """``SHOP_TEST_ROOT``: a test authority's root (the simulator's tokens), trusted with a
    warning; otherwise Apple Root CA - G3, found as the library finds it
    (``APPLEPAY_ROOT_CA`` or the per-user copy)."""
    test_root = env.get("SHOP_TEST_ROOT", "")
    if not test_root:
        return None
    warnings.warn(
        f"SHOP_TEST_ROOT: trusting {test_root} as a test root; never do this for real payments",
        stacklevel=2,
    )
    return TrustStore.for_test_roots(test_root)
