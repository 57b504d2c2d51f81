"""The shop's own refusals, each with a stable ``code`` and the HTTP status the page gets.

Refusals from the libraries keep their own codes (``applepay_crypto.ApplePayError``,
``paykka_sign.PaykkaSignError``); :func:`http_status` says which status each one gets.
"""

from __future__ import annotations

from typing import ClassVar

from applepay_crypto import ApplePayError
from applepay_crypto.merchant.session import SessionError
from paykka_sign import PaykkaSignError

__all__ = [
    "BadRequestError",
    "ConfigError",
    "OrderNotFoundError",
    "OrderNotPayableError",
    "ShopError",
    "http_status",
]


class ShopError(Exception):
    """Base class of the shop's refusals."""

    code: ClassVar[str] = "shop_error"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(ShopError):
    """The shop's configuration is incomplete or wrong (names the variable)."""

    code = "invalid_configuration"
    status = 500


class BadRequestError(ShopError):
    """The browser's request is not what the endpoint takes."""

    code = "bad_request"


class OrderNotFoundError(ShopError):
    code = "order_not_found"
    status = 404


class OrderNotPayableError(ShopError):
    """The order is paid, or a payment for it is under way."""

    code = "order_not_payable"
    status = 409


#: Library codes with a status of their own. Otherwise an ``ApplePayError`` is the token's
#: (or the validation URL's) fault, 400, and a ``PaykkaSignError`` PayKKa's or the way to it
#: (an answer that does not verify, a refusal, no connection), 502.
_STATUS = {
    "replayed_transaction": 409,  # the token was used before
    "amount_mismatch": 422,  # the shopper approved another amount than the order's
    "currency_mismatch": 422,
    "unsupported_token": 422,  # an EMV token: let PayKKa decrypt those
    "session_host_not_allowed": 400,
    "invalid_argument": 500,  # the shop built a call the client refuses: a bug here
}


def http_status(error: Exception) -> int:
    """The HTTP status the page gets for a refusal."""
    if isinstance(error, ShopError):
        return error.status
    if isinstance(error, SessionError):  # Apple's merchant validation endpoint failed
        return _STATUS.get(error.code, 502)
    if isinstance(error, ApplePayError):
        return _STATUS.get(error.code, 400)
    if isinstance(error, PaykkaSignError):
        return _STATUS.get(error.code, 502)
    return 500
