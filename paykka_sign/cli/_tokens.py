"""The Apple Pay side of ``applepay-request``: trust, merchant keys, verify and decrypt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from applepay_crypto import (
    DecryptedToken,
    MerchantKey,
    PaymentToken,
    TokenDecryptor,
    TrustStore,
    VerifiedSignature,
    verify_token,
)
from applepay_crypto.cli.params import Duration
from applepay_crypto.keys import name_the_pair
from applepay_crypto.trust import APPLE_ROOT_CA_G3_SHA256

from ._common import existing_file, warn

F = TypeVar("F", bound=Callable[..., Any])


def token_options(command: F) -> F:
    """The token options: ``--key``/``--cert`` (paired in order), ``--apple-merchant-id``,
    ``--root`` and ``--max-age``."""
    for option in reversed(
        [
            click.option(
                "--key",
                "keys",
                multiple=True,
                type=existing_file,
                help="Apple payment processing private key; repeat during a key rotation.",
            ),
            click.option(
                "--cert",
                "certs",
                multiple=True,
                type=existing_file,
                help="Payment processing certificate of the --key at the same position.",
            ),
            click.option(
                "--apple-merchant-id",
                default=None,
                help="Apple merchant identifier, for EC keys given without --cert.",
            ),
            click.option(
                "--root",
                type=existing_file,
                default=None,
                help="Trusted root (default: the installed Apple Root CA - G3); another root "
                "is trusted as a test root, with a warning.",
            ),
            click.option(
                "--max-age",
                type=Duration(),
                default="5m",
                show_default=True,
                help="Largest accepted age of the token (Apple's signing time).",
            ),
        ]
    ):
        command = option(command)
    return command


def trust_store(root: Path | None) -> TrustStore:
    if root is None:
        return TrustStore.apple_root()
    raw = root.read_bytes()
    try:
        cert = (
            x509.load_pem_x509_certificate(raw)
            if b"-----BEGIN" in raw
            else x509.load_der_x509_certificate(raw)
        )
    except ValueError:
        raise click.UsageError(f"--root {root} is not a certificate (PEM or DER)") from None
    if cert.fingerprint(hashes.SHA256()) == APPLE_ROOT_CA_G3_SHA256:
        return TrustStore.apple_root(cert)
    warn(f"{root} is not Apple Root CA - G3: trusting it as a test root; never for real payments")
    return TrustStore.for_test_roots([cert])


def decrypt_or_verify(
    token: PaymentToken, options: dict[str, Any], trust: TrustStore
) -> tuple[DecryptedToken | None, VerifiedSignature | DecryptedToken]:
    """Verify Apple's signature and decrypt with the merchant keys; without keys, verify only.

    Returns the decrypted token (``None`` without keys) and the proof of verification, for
    the replay guard (consulted by the caller once the request is built)."""
    keys: tuple[Path, ...] = options["keys"]
    certs: tuple[Path, ...] = options["certs"]
    if len(certs) > len(keys):
        raise click.UsageError("more --cert than --key options: they pair up in order")
    if not keys:
        # Still prove the token comes from Apple, even if it cannot be opened here.
        verified = verify_token(token, root=trust, now=options["at"], max_age=options["max_age"])
        warn("no --key: the token is verified but not decrypted; the order is NOT checked")
        return None, verified
    merchant_keys = []
    for i, key in enumerate(keys):
        cert = certs[i] if i < len(certs) else None
        with name_the_pair(i, key, cert):
            merchant_keys.append(
                MerchantKey.load(
                    key,
                    certificate=cert,
                    merchant_id=options["apple_merchant_id"],
                    password=options.get("key_password"),
                )
            )
    decryptor = TokenDecryptor(merchant_keys, trust=trust, max_age=options["max_age"])
    decrypted = decryptor.decrypt(token, now=options["at"])
    return decrypted, decrypted
