"""An example web shop taking Apple Pay on the web through PayKKa, on top of
``applepay_crypto`` and ``paykka_sign.client``: merchant validation, payment authorisation and
PayKKa's webhook, as a plain ASGI app. See README.md beside this file."""

from .app import ShopApp, create_app, from_env
from .config import ShopConfig

__all__ = ["ShopApp", "ShopConfig", "create_app", "from_env"]
