"""Masking by allow-list: what output may show of a decrypted payload (and of a PSP request).

Review (#11): masking by deny-list (redact ``onlinePaymentCryptogram``, ``emvData``,
``encryptedPINData``) printed ``authenticationResponses[].authenticationData`` — the
per-merchant cryptogram of multi-merchant payments — in masked dicts and ``--json``, and
would print whatever Apple adds next. So masked output is built the other way round: a
rule says, field by field, what is known to be safe to show; everything else becomes
:data:`REDACTED` — unknown fields at any depth (replaced whole: neither their values nor
the names inside them are shown), and a known field of an unexpected shape (an object
where a string was expected). The model keeps every field: ``to_dict()`` and ``--reveal``
are Apple's JSON as decrypted.

A rule is a function from a parsed JSON value to what may be shown of it. The rules run
only when output is produced, never while decrypting (the hot path does not pay for them),
and they recurse only as deep as the rule itself: an unknown subtree is never walked.
``paykka_sign`` builds its PSP request rules from the same pieces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "PAYMENT_DATA",
    "PAYMENT_TOKEN",
    "REDACTED",
    "Rule",
    "each",
    "fields",
    "mask_pan",
    "masked_pan",
    "redact",
    "show",
]

REDACTED = "<redacted>"

#: What may be shown of one JSON value.
Rule = Callable[[Any], Any]


def mask_pan(pan: str) -> str:
    """First six and last four digits at most, the rest as ``*`` (PCI DSS display rule)."""
    if len(pan) >= 13:
        return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
    if len(pan) > 4:
        return "*" * (len(pan) - 4) + pan[-4:]
    return "*" * len(pan)


def redact(value: Any) -> Any:
    """Never shown: secrets, and everything no rule names."""
    return REDACTED


def show(value: Any) -> Any:
    """Shown as it is when it is a JSON scalar; a container where a scalar belongs may
    hold anything, so it is redacted whole."""
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    return REDACTED


def masked_pan(value: Any) -> Any:
    """A card number: first six and last four digits (:func:`mask_pan`)."""
    return mask_pan(value) if isinstance(value, str) else REDACTED


def fields(known: Mapping[str, Rule]) -> Rule:
    """An object: each field named in ``known`` by its rule, any other field redacted
    (its name is shown, its value is not). Anything but an object is redacted whole."""

    def apply(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return REDACTED
        return {name: known.get(name, redact)(item) for name, item in value.items()}

    return apply


def each(rule: Rule) -> Rule:
    """A list whose every item follows ``rule``; anything but a list is redacted whole."""

    def apply(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return REDACTED
        return [rule(item) for item in value]

    return apply


# Apple's decrypted payload, field by field (Payment token format reference, "Payment data
# keys"; ../shared/docs/applepay-token-format.md). Shown: what tells an operator which
# payment this was, and nothing a payment can be made with.
# - applicationExpirationDate: cardholder data that PCI DSS protects when stored with the
#   full PAN, which output never shows; not sensitive authentication data.
# - cardholderName: personal data, not a credential (as before; PCI DSS allows showing it).
# - eciIndicator: how the shopper was authenticated (05, 07...), which PSPs are given and
#   log; not a credential.
# - merchantTokenIdentifier: a reference to the merchant token, not a card number.
# - authenticationResponses[]: which merchant got how much; authenticationData is that
#   merchant's cryptogram.
# Redacted: the cryptogram, EMV data, PIN block, every authenticationData,
# merchantTokenMetadata (its contents are not specified), and anything Apple adds later.
PAYMENT_DATA: Rule = fields(
    {
        "applicationPrimaryAccountNumber": masked_pan,
        "applicationExpirationDate": show,
        "currencyCode": show,
        "transactionAmount": show,
        "cardholderName": show,
        "deviceManufacturerIdentifier": show,
        "paymentDataType": show,
        "paymentData": fields(
            {
                "onlinePaymentCryptogram": redact,
                "eciIndicator": show,
                "emvData": redact,
                "encryptedPINData": redact,
            }
        ),
        "merchantTokenIdentifier": show,
        "merchantTokenMetadata": redact,
        "authenticationResponses": each(
            fields(
                {
                    "merchantIdentifier": show,
                    "authenticationData": redact,
                    "transactionAmount": show,
                }
            )
        ),
    }
)

# The encrypted token (``paymentData`` before decryption): ciphertext, signature and
# header are what Apple sends over the internet, safe to show.
PAYMENT_TOKEN: Rule = fields(
    {
        "version": show,
        "data": show,
        "signature": show,
        "header": fields(
            {
                "ephemeralPublicKey": show,
                "wrappedKey": show,
                "publicKeyHash": show,
                "transactionId": show,
                "applicationData": show,
            }
        ),
    }
)
