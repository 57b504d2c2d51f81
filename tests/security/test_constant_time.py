"""Secrets are compared in constant time: hmac.compare_digest, never == on a MAC, digest,
cryptogram or password (an early exit leaks how many leading bytes matched)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from applepay_crypto import signature
from paykka_sign import yabandpay

from support import REPO

SECRET_NAME = re.compile(r"(mac|hmac|digest|cryptogram|secret|password|passphrase)s?$", re.I)
SOURCES = sorted(
    p for package in ("applepay_crypto", "paykka_sign") for p in (REPO / package).rglob("*.py")
)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return None


def _variable_comparisons(path: Path, *, root: Path = REPO) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        if any(isinstance(o, ast.Constant) for o in operands):
            continue  # against a constant (None, an algorithm name): not a secret check
        if any((n := _name(o)) and SECRET_NAME.search(n) for o in operands):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(REPO)) for p in SOURCES])
def test_no_equality_on_secret_values(path: Path) -> None:
    assert _variable_comparisons(path) == []


def test_the_scan_finds_an_equality(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def check(mac, expected):\n    return mac == expected\n")
    assert len(_variable_comparisons(probe, root=tmp_path)) == 1


@pytest.mark.parametrize(
    "function",
    [signature.check_message_digest, yabandpay.YabandPaySigner._compare],
    ids=["applepay message digest (step 1.d)", "yabandpay webhook HMAC"],
)
def test_secret_checks_use_compare_digest(function: object) -> None:
    assert "hmac.compare_digest" in inspect.getsource(function)  # type: ignore[arg-type]
