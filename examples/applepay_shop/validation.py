"""Merchant validation (Apple Pay JS's ``onvalidatemerchant``): the page posts Apple's
``validationURL``; the shop answers with the merchant session object the page hands to
``session.completeMerchantValidation``.

Two ways, by configuration:

* ``paykka``: PayKKa's Apple Pay session API (PayKKa holds the merchant identity
  certificate; its answer's ``data`` is the base64 session object), through
  :meth:`paykka_sign.client.AsyncPaykkaClient.apple_pay_session`;
* ``apple``: Apple's validation URL directly, over mutual TLS with the shop's own merchant
  identity certificate, through :func:`applepay_crypto.merchant.session.request_merchant_session`.

The URL comes from the browser: it must be https on one of Apple's validation hosts in both
ways (in the PayKKa way it is not called, but a URL that is not Apple's means the page was
tampered with).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from applepay_crypto.merchant.session import check_validation_url, request_merchant_session
from paykka_sign.client import AsyncPaykkaClient

from .config import ShopConfig
from .errors import BadRequestError

__all__ = ["validate_merchant"]


def validation_url(request: Any) -> str:
    url = request.get("validationURL") if isinstance(request, dict) else None
    if not isinstance(url, str) or not url:
        raise BadRequestError('post {"validationURL": ...} as Apple Pay JS gave it')
    return url


async def validate_merchant(config: ShopConfig, paykka: AsyncPaykkaClient, request: Any) -> bytes:
    """The merchant session object, as JSON bytes, for ``completeMerchantValidation``."""
    url = validation_url(request)
    check_validation_url(url, allow_hosts=config.validation_allow_hosts)
    if config.merchant_validation == "paykka":
        session = await paykka.apple_pay_session(
            domain_name=config.domain, display_name=config.display_name
        )
        return json.dumps(session.merchant_session(), separators=(",", ":")).encode()
    assert config.identity_certificate is not None  # checked by ShopConfig
    # http.client blocks: off the event loop.
    apple = await asyncio.to_thread(
        request_merchant_session,
        url,
        certificate=config.identity_certificate,
        private_key=config.identity_key,
        password=config.identity_password,
        display_name=config.display_name,
        initiative_context=config.domain,
        allow_hosts=config.validation_allow_hosts,
        server_ca=config.validation_server_ca,
        now=config.clock(),
    )
    return apple.raw  # Apple's object, untouched
