"""README.md, "From a token to a verified PayKKa answer": the Python block is run as written
(with the names it takes from its surroundings bound to a minted token, test keys and the
PayKKa simulator on 127.0.0.1, through shop_support) and its output compared with the block after
it; timestamps, nonces and lengths are compared by their shape."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

pytest.importorskip("httpx", reason="the client extra (httpx) is not installed")
pytest.importorskip("uvicorn", reason="the example extra (uvicorn) is not installed")

from cryptography.hazmat.primitives.asymmetric import rsa
from shop_support import paykka_side

from applepay_crypto.testing import TestAuthority, TestMerchant, mint, sample_payload

from support import REPO

FIRST_LINE = "# From an Apple Pay token to a verified PayKKa answer"
_SHAPES = [
    (re.compile(r"timestamp=\d{13}"), "timestamp=<ms>"),
    (re.compile(r"nonce='[0-9a-f]{32}'"), "nonce=<nonce>"),
    (re.compile(r"<\d+ bytes>"), "<n bytes>"),
]


def _blocks() -> tuple[str, list[str]]:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(FIRST_LINE)
    end = lines.index("```", start)
    code = "\n".join(lines[start:end])
    out_start = next(i for i in range(end + 1, len(lines)) if lines[i].startswith("```")) + 1
    out_end = lines.index("```", out_start)
    return code, lines[out_start:out_end]


def _shape(lines: list[str]) -> list[str]:
    for pattern, placeholder in _SHAPES:
        lines = [pattern.sub(placeholder, line) for line in lines]
    return lines


def test_the_readme_flow_prints_what_the_readme_shows() -> None:
    code, documented = _blocks()
    authority = TestAuthority.create()
    merchant = TestMerchant.create(authority, merchant_id="merchant.com.example.shop")
    paykka_key, platform = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)
    )
    token = mint(sample_payload(amount=1000), recipient=merchant, authority=authority)
    with paykka_side(merchant=paykka_key, platform=platform) as psp:
        names = {
            "payment": {"token": {"paymentData": token}},  # Apple Pay JS's event.payment
            "apple_pay_key": merchant.merchant_key,
            "trust": authority.trust_store(),
            "paykka_key": paykka_key,
            "paykka_platform": platform.public_key(),
            "paykka_url": psp.url,
        }
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "README.md", "exec"), names)
    assert _shape(printed.getvalue().splitlines()) == _shape(documented)
