"""``httpx.Auth`` for PayKKa v1.2 and v3: sign the bytes sent, verify the answer received."""

from __future__ import annotations

__all__ = ["PaykkaV3Auth", "PaykkaV12Auth"]


class PaykkaV12Auth:
    """Signs each request (v1.2 headers) and verifies each response with the platform key."""


class PaykkaV3Auth:
    """Signs each request (x-paykka-* headers) and verifies each response."""
