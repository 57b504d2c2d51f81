"""``httpx.Auth`` for PayKKa v1.2 and v3: sign the bytes sent, verify the answer received.

Each auth signs ``request.content``, the exact bytes httpx sends, and the request's own path
(v3), so nothing is re-serialised between signing and sending. The answer is verified in the
same flow, before httpx hands it to the caller: an answer whose signature fails raises the
verifier's error (``signature_invalid``, ``invalid_header``, ``timestamp_out_of_window``,
``replayed_nonce``, ``recipient_mismatch``...). An HTTP error status with no signature at all
(a proxy's 502, say) raises :class:`~paykka_sign.errors.HttpStatusError` carrying the status
only: nothing in such a body is authentic.

The verified message is left in ``response.extensions["paykka_sign.verified"]``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator

from ._extra import require_httpx

require_httpx()

import httpx  # noqa: E402 - after the check that names the extra

from ..errors import HttpStatusError, InvalidArgumentError  # noqa: E402
from ..messages import VerifiedMessage  # noqa: E402
from ..paykka_v3 import PaykkaV3Signer, PaykkaV3Verifier  # noqa: E402
from ..paykka_v12 import PaykkaV12Signer, PaykkaV12Verifier  # noqa: E402
from .masking import masked_body  # noqa: E402

__all__ = ["VERIFIED", "PaykkaV3Auth", "PaykkaV12Auth"]

#: The key of ``response.extensions`` holding the :class:`VerifiedMessage`.
VERIFIED = "paykka_sign.verified"

logger = logging.getLogger("paykka_sign.client")

_V12_HEADERS = ("signature",)
_V3_HEADERS = ("x-paykka-sign", "x-paykka-timestamp", "x-paykka-nonce")


def _signed_path(request: httpx.Request) -> str:
    # The request target as sent (path and query, percent-encoded): what PayKKa rebuilds.
    return request.url.raw_path.decode("ascii")


def _check_request(request: httpx.Request) -> None:
    if not isinstance(request, httpx.Request):
        raise InvalidArgumentError("the auth flow takes an httpx.Request")


def _check_response(response: httpx.Response) -> None:
    if not isinstance(response, httpx.Response):
        raise InvalidArgumentError("the auth flow is answered with an httpx.Response")


def _unsigned_error(response: httpx.Response, names: tuple[str, ...]) -> None:
    """Raise for an HTTP error status that carries none of the signature headers."""
    if response.is_success or any(name in response.headers for name in names):
        return
    raise HttpStatusError(
        f"PayKKa answered HTTP {response.status_code} without a signature "
        "(nothing in the body is authentic)",
        status=response.status_code,
    )


def _log_request(request: httpx.Request) -> float:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "PayKKa request %s %s body=%s",
            request.method,
            _signed_path(request),
            masked_body(request.content, "paykka-request"),
        )
    return time.monotonic()


def _log_answer(request: httpx.Request, response: httpx.Response, started: float) -> None:
    logger.info(
        "PayKKa %s %s -> HTTP %d, signature verified (%d ms)",
        request.method,
        _signed_path(request),
        response.status_code,
        (time.monotonic() - started) * 1000,
    )
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("PayKKa answer body=%s", masked_body(response.content, "paykka-answer"))


def _refuse_answer(request: httpx.Request, response: httpx.Response, code: str) -> None:
    logger.warning(
        "PayKKa %s %s -> HTTP %d refused: %s",
        request.method,
        _signed_path(request),
        response.status_code,
        code,
    )


class PaykkaV12Auth(httpx.Auth):
    """Sign each request with v1.2's headers; verify each answer with the platform key.

    The request body must carry ``merchant_id`` and ``timestamp`` (v1.2 builds its string
    from them); the signer refuses one that does not (``missing_field``).
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(self, signer: PaykkaV12Signer, verifier: PaykkaV12Verifier) -> None:
        if not isinstance(signer, PaykkaV12Signer) or not isinstance(verifier, PaykkaV12Verifier):
            raise InvalidArgumentError("give a PaykkaV12Signer and a PaykkaV12Verifier")
        self.signer = signer
        self.verifier = verifier

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _check_request(request)
        signed = self.signer.sign(request.content)
        request.headers.update(signed.headers)
        started = _log_request(request)
        response = yield request
        _check_response(response)
        try:
            _unsigned_error(response, _V12_HEADERS)
            message = self.verifier.verify(dict(response.headers.items()), response.content)
        except Exception as exc:
            _refuse_answer(request, response, getattr(exc, "code", "internal_error"))
            raise
        response.extensions[VERIFIED] = message
        _log_answer(request, response, started)


class PaykkaV3Auth(httpx.Auth):
    """Sign each request with v3's ``x-paykka-*`` headers over its method, path, timestamp,
    nonce and body; verify each answer over the request's method and path (inferred: the
    answer's string names the request's method and path)."""

    requires_request_body = True
    requires_response_body = True

    def __init__(self, signer: PaykkaV3Signer, verifier: PaykkaV3Verifier) -> None:
        if not isinstance(signer, PaykkaV3Signer) or not isinstance(verifier, PaykkaV3Verifier):
            raise InvalidArgumentError("give a PaykkaV3Signer and a PaykkaV3Verifier")
        self.signer = signer
        self.verifier = verifier

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        _check_request(request)
        path = _signed_path(request)
        signed = self.signer.sign(request.method, path, request.content)
        request.headers.update(signed.headers)
        started = _log_request(request)
        response = yield request
        _check_response(response)
        try:
            _unsigned_error(response, _V3_HEADERS)
            message = self.verifier.verify(
                request.method, path, dict(response.headers.items()), response.content
            )
        except Exception as exc:
            _refuse_answer(request, response, getattr(exc, "code", "internal_error"))
            raise
        response.extensions[VERIFIED] = message
        _log_answer(request, response, started)


def verified_message(response: httpx.Response) -> VerifiedMessage:
    """The message an auth here verified for ``response`` (set by the flow above)."""
    message = response.extensions.get(VERIFIED)
    if not isinstance(message, VerifiedMessage):
        raise InvalidArgumentError("this response was not verified by a paykka_sign auth")
    return message
