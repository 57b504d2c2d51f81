"""Webhooks the simulator sends, signed as PayKKa and YabandPay sign theirs.

* PayKKa v3: ``POST`` to the merchant's URL with ``x-paykka-appid`` (the merchant's app id),
  ``x-paykka-timestamp``, ``x-paykka-nonce``, ``x-paykka-sign``, ``x-paykka-sign-alg``
  (documented) over ``POST``, the URL's own path (inferred) and the body.
* PayKKa v1.2: ``signature``, ``type``, ``version`` over the body's ``merchant_id`` and
  ``timestamp`` (fields at the top: documented for v1.2 notifications).
* YabandPay: ``{"sign", "data"}``, the HMAC over the fields of ``data`` (documented).

The body: ``notify_type`` (``PAYMENT.*``/``REFUND.*``, documented), ``merchant_id``,
``trans_id``, ``order_id``, ``status``, ``amount``, ``currency``, ``timestamp``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from ..clock import epoch_millis
from ..errors import InvalidArgumentError, NetworkError
from ..messages import dump_json
from ..paykka_v3 import PaykkaV3Signer
from ..paykka_v12 import PaykkaV12Signer
from ..yabandpay import EmptyValues, hmac_sha256_hex, notification_string_to_sign


@dataclass(frozen=True)
class Delivery:
    """What the merchant's endpoint answered a webhook with."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Webhook:
    path: str
    headers: dict[str, str]
    body: bytes


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _split(url: Any) -> tuple[str, int, str]:
    """Host, port and path of a loopback ``http://`` URL: the simulator is local, and so is
    the endpoint it calls (a shop under development)."""
    if not isinstance(url, str) or not url.isprintable() or len(url) > 2000:
        raise InvalidArgumentError("the webhook URL must be text")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidArgumentError("the webhook URL is not a valid URL") from None
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK:
        raise InvalidArgumentError("the simulator sends webhooks to http://127.0.0.1 URLs only")
    path = parts.path or "/"
    if not path.isascii() or " " in path:
        raise InvalidArgumentError("the webhook URL's path must be ASCII (percent-encode it)")
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port or 80, path


def paykka_webhook(
    api: str,
    platform_key: rsa.RSAPrivateKey,
    url: str,
    fields: Mapping[str, Any],
    *,
    app_id: str,
    now: dt.datetime,
) -> Webhook:
    _, _, path = _split(url)
    body = dump_json({**fields, "timestamp": fields.get("timestamp", epoch_millis(now))})
    if api == "v3":
        signed = PaykkaV3Signer(platform_key, app_id=app_id).sign("POST", path, body, now=now)
    elif api == "v1.2":
        signed = PaykkaV12Signer(platform_key).sign(body)
    else:
        raise InvalidArgumentError("api must be 'v1.2' or 'v3'")
    return Webhook(path, {"content-type": "application/json", **signed.headers}, body)


def yabandpay_notification(
    secret_key: bytes, url: str, data: Mapping[str, Any], *, empty_values: EmptyValues = "keep"
) -> Webhook:
    _, _, path = _split(url)
    sign = hmac_sha256_hex(secret_key, notification_string_to_sign(data, empty_values=empty_values))
    body = dump_json({"sign": sign, "data": dict(data)})
    return Webhook(path, {"content-type": "application/json"}, body)


def deliver(url: str, webhook: Webhook, *, timeout: float = 10.0) -> Delivery:
    """POST ``webhook`` to ``url``; the endpoint's answer (any status)."""
    host, port, _ = _split(url)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", webhook.path, body=webhook.body, headers=webhook.headers)
        response = connection.getresponse()
        return Delivery(response.status, response.read())
    except OSError:
        raise NetworkError(f"the webhook to {host}:{port} could not be delivered") from None
    finally:
        connection.close()
