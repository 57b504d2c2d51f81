"""Base64 as the token carries it: the standard alphabet, canonical.

Tink's decoder (tink-java ``subtle/Base64``) skips characters outside the alphabet and
ignores the unused low bits of the last character, so several texts decode to one value.
This one refuses both (../shared/vectors/googlepay/README.md, "Where this set is stricter
than Tink"): a changed character of a signature or a tag always changes its bytes. Missing
padding is accepted, as Tink does (Google pads).
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["decode"]


def decode(text: str) -> bytes | None:
    """The bytes of canonical standard base64 ``text``, or ``None``."""
    if not text.isascii():
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(data).decode("ascii") != padded:
        return None  # unused bits set, or padding where it does not belong
    return data
