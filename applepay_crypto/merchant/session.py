"""Merchant validation: request an Apple Pay merchant session with the identity certificate.

When Apple Pay on the web asks the page to validate the merchant (``onvalidatemerchant``),
the merchant's server POSTs to Apple over mutual TLS, presenting the merchant identity
certificate, and hands Apple's opaque session object to ``completeMerchantValidation``.

The validation URL comes from the browser, so it is untrusted: the request goes only to
Apple's documented validation hosts (:data:`APPLE_VALIDATION_HOSTS`, https, port 443) unless
the caller explicitly allows another host (tests, a proxy). Apple's answer is returned
untouched, both decoded and as the exact bytes.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import ssl
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..errors import ApplePayError, ConfigurationError
from ..keys import (
    MerchantPrivateKey,
    load_private_key,
    merchant_id_from_certificate,
    save_private_key,
)
from ..keys.files import PathOrBytes
from ..moments import utc_moment
from .certfiles import read_certificate_file
from .certs import key_belongs_to

__all__ = [
    "APPLE_VALIDATION_HOSTS",
    "MerchantSession",
    "SessionError",
    "SessionHostNotAllowedError",
    "SessionRejectedError",
    "SessionTLSError",
    "SessionTimeoutError",
    "check_validation_url",
    "request_merchant_session",
    "session_request_body",
]

#: Apple's "Setting up your server" currently lists apple-pay-gateway, cn-apple-pay-gateway
#: and (sandbox) apple-pay-gateway-cert. Earlier versions of that page also listed the
#: regional pods, their "-dr" twins and cn-apple-pay-gateway-cert; validation URLs may still
#: name them, so they stay allowed. All are apple.com hosts reached over https only.
APPLE_VALIDATION_HOSTS = frozenset(
    {
        "apple-pay-gateway.apple.com",
        "cn-apple-pay-gateway.apple.com",
        "apple-pay-gateway-cert.apple.com",  # sandbox
        "cn-apple-pay-gateway-cert.apple.com",  # sandbox, China
        *(
            f"apple-pay-gateway-{dc}-pod{n}{dr}.apple.com"
            for dc in ("nc", "pr")
            for n in range(1, 6)
            for dr in ("", "-dr")
        ),
        *(
            f"cn-apple-pay-gateway-{dc}-pod{n}{dr}.apple.com"
            for dc in ("sh", "tj")
            for n in range(1, 4)
            for dr in ("", "-dr")
        ),
    }
)
#: Apple: "a string of 64 or fewer UTF-8 characters" shown on the payment sheet.
MAX_DISPLAY_NAME = 64
_MAX_RESPONSE = 1024 * 1024


class SessionError(ApplePayError):
    """The merchant session request failed (connection, or an unusable answer)."""

    code = "session_failed"


class SessionHostNotAllowedError(SessionError):
    """The validation URL is not https on one of Apple's validation hosts."""

    code = "session_host_not_allowed"


class SessionTLSError(SessionError):
    """The TLS handshake failed: Apple's certificate, or our client certificate refused."""

    code = "session_tls_failed"


class SessionTimeoutError(SessionError):
    """Apple did not answer within the timeout."""

    code = "session_timeout"


class SessionRejectedError(SessionError):
    """Apple answered with a status other than 200."""

    code = "session_rejected"

    def __init__(self, message: str, *, status: int, body: bytes) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True, repr=False)
class MerchantSession:
    """Apple's session object: pass ``raw`` (or ``data``) to completeMerchantValidation."""

    data: dict[str, Any]
    raw: bytes

    def __repr__(self) -> str:
        return f"MerchantSession(fields={sorted(self.data)!r})"


def check_validation_url(url: str, *, allow_hosts: Iterable[str] = ()) -> tuple[str, int, str]:
    """``(host, port, path)`` of an acceptable validation URL, else an error saying why."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except (ValueError, TypeError, AttributeError):  # review (#11): "https://[::1/", not text
        raise SessionHostNotAllowedError("the validation URL is not a URL") from None
    allowed = {h.lower() for h in allow_hosts}
    if parts.scheme != "https":
        raise SessionHostNotAllowedError(f"the validation URL must use https, not {parts.scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise SessionHostNotAllowedError("the validation URL must not carry credentials")
    try:
        port = parts.port or 443
    except ValueError:
        raise SessionHostNotAllowedError("the validation URL has an invalid port") from None
    if host not in APPLE_VALIDATION_HOSTS and host not in allowed:
        shown = host.encode("utf-8", "backslashreplace").decode("utf-8")[:80]
        raise SessionHostNotAllowedError(
            f"{shown or 'the URL'} is not one of Apple's merchant validation hosts "
            "(e.g. apple-pay-gateway.apple.com); a validation URL comes from the browser and "
            "must never send the merchant certificate elsewhere"
        )
    if host in APPLE_VALIDATION_HOSTS and host not in allowed and port != 443:
        raise SessionHostNotAllowedError("Apple's validation hosts answer on port 443 only")
    path = parts.path or "/"
    return host, port, path + (f"?{parts.query}" if parts.query else "")


def session_request_body(
    *, merchant_identifier: str, display_name: str, initiative: str, initiative_context: str
) -> bytes:
    """The JSON Apple's paymentSession endpoint takes."""
    if not merchant_identifier:
        raise ConfigurationError("the merchant identifier is empty")
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise ConfigurationError(f"displayName must be 1 to {MAX_DISPLAY_NAME} characters")
    if not initiative or not initiative_context:
        raise ConfigurationError(
            "initiative (web, messaging) and initiativeContext (the domain, for web) are required"
        )
    body = {
        "merchantIdentifier": merchant_identifier,
        "displayName": display_name,
        "initiative": initiative,
        "initiativeContext": initiative_context,
    }
    for name, value in body.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"{name} is not a string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # review (#11): a lone surrogate, e.g. from argv bytes
            raise ConfigurationError(f"{name} is not valid Unicode") from None
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def request_merchant_session(
    validation_url: str,
    *,
    certificate: PathOrBytes | x509.Certificate,
    private_key: PathOrBytes | MerchantPrivateKey | None = None,
    password: bytes | None = None,
    key_password: bytes | None = None,
    merchant_identifier: str | None = None,
    display_name: str,
    initiative: str = "web",
    initiative_context: str,
    allow_hosts: Iterable[str] = (),
    timeout: float = 30.0,
    server_ca: str | os.PathLike[str] | None = None,
    now: dt.datetime | None = None,
) -> MerchantSession:
    """POST a merchant session request with the merchant identity certificate as TLS client
    certificate, and return Apple's session object untouched.

    ``certificate`` is the identity certificate (``.cer``, PEM, or a ``.p12`` holding the key
    too, opened with ``password``); ``private_key`` its key when not in the ``.p12`` (opened
    with ``key_password`` when encrypted).
    ``merchant_identifier`` defaults to the certificate's subject UID. ``server_ca`` replaces
    the system's trusted CAs for the server certificate (tests); ``allow_hosts`` adds hosts
    to Apple's list.
    """
    host, port, path = check_validation_url(validation_url, allow_hosts=allow_hosts)
    cert, key = _identity(certificate, private_key, password, key_password, now)
    merchant_identifier = merchant_identifier or merchant_id_from_certificate(cert)
    if merchant_identifier is None:
        raise ConfigurationError(
            "give the merchant identifier: the certificate has no subject UID to take it from"
        )
    body = session_request_body(
        merchant_identifier=merchant_identifier,
        display_name=display_name,
        initiative=initiative,
        initiative_context=initiative_context,
    )
    context = _tls_context(cert, key, server_ca)
    status, answer = _post(host, port, path, body, context, timeout)
    return _session_from(status, answer, host)


def _identity(
    certificate: PathOrBytes | x509.Certificate,
    private_key: PathOrBytes | MerchantPrivateKey | None,
    password: bytes | None,
    key_password: bytes | None,
    now: dt.datetime | None,
) -> tuple[x509.Certificate, MerchantPrivateKey]:
    if isinstance(certificate, x509.Certificate):
        cert, bundled = certificate, None
    else:
        loaded = read_certificate_file(certificate, password=password)
        cert, bundled = loaded.certificate, loaded.private_key
    key = (
        load_private_key(private_key, password=key_password) if private_key is not None else bundled
    )
    if key is None:
        raise ConfigurationError("the merchant identity certificate's private key is missing")
    if not key_belongs_to(key, cert):
        raise ConfigurationError("the private key does not belong to the identity certificate")
    moment = utc_moment(now) if now is not None else dt.datetime.now(dt.timezone.utc)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise ConfigurationError(
            f"the merchant identity certificate is not valid now (valid "
            f"{cert.not_valid_before_utc.date()} to {cert.not_valid_after_utc.date()}): "
            "Apple will refuse it; create a new one in Apple's developer portal"
        )
    return cert, key


def _tls_context(
    cert: x509.Certificate, key: MerchantPrivateKey, server_ca: str | os.PathLike[str] | None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=os.fspath(server_ca) if server_ca else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # Apple requires TLS 1.2 or later
    # ssl reads client certificates from files only: a private directory (0700) with the key
    # at 0600, removed as soon as OpenSSL has read it.
    with tempfile.TemporaryDirectory(prefix="applepay-session-") as directory:
        key_path = save_private_key(key, Path(directory) / "identity.key")
        cert_path = Path(directory) / "identity.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(cert_path, key_path)
    return context


def _post(
    host: str, port: int, path: str, body: bytes, context: ssl.SSLContext, timeout: float
) -> tuple[int, bytes]:
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=timeout)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(_MAX_RESPONSE + 1)
    except ssl.SSLCertVerificationError as exc:
        raise SessionTLSError(
            f"{host}'s server certificate is not trusted: {exc.verify_message}"
        ) from None
    except ssl.SSLError as exc:
        raise SessionTLSError(
            f"TLS with {host} failed ({exc.reason or exc.__class__.__name__}): is the merchant "
            "identity certificate current and registered for this merchant id?"
        ) from None
    except TimeoutError:
        raise SessionTimeoutError(f"{host} did not answer within {timeout:g} s") from None
    except (ConnectionResetError, BrokenPipeError):
        # TLS 1.3 servers refuse a client certificate after the handshake: the refusal
        # arrives as a reset connection rather than a handshake alert.
        raise SessionTLSError(
            f"{host} closed the connection: it did not accept the merchant identity certificate"
        ) from None
    except OSError as exc:
        raise SessionError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
    finally:
        connection.close()


def _session_from(status: int, answer: bytes, host: str) -> MerchantSession:
    if status != 200:
        raise SessionRejectedError(
            f"{host} answered {status}{_status_message(answer)}", status=status, body=answer
        )
    if len(answer) > _MAX_RESPONSE:
        raise SessionError(f"{host}'s answer is larger than {_MAX_RESPONSE} bytes")
    try:
        data = json.loads(answer)
    except (ValueError, UnicodeDecodeError):
        raise SessionError(f"{host} answered 200 but not with JSON") from None
    if not isinstance(data, dict):
        raise SessionError(f"{host} answered 200 but not with a JSON object")
    return MerchantSession(data=data, raw=answer)


def _status_message(answer: bytes) -> str:
    """Apple explains refusals in ``statusMessage`` (e.g. an unverified domain)."""
    try:
        message = json.loads(answer).get("statusMessage")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    return f": {str(message)[:300]}" if message else ""
