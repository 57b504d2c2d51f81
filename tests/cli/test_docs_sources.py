"""Users do not have the project's brief: documentation names where each fact comes from."""

from __future__ import annotations

import re

import pytest

from support import REPO

DOCUMENTS = sorted([REPO / "README.md", REPO / "SECURITY.md", *(REPO / "docs").glob("*.md")])


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_document_cites_the_brief(document: object) -> None:
    text = document.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    cited = [line for line in text.splitlines() if re.search(r"\bthe brief\b", line, re.I)]
    assert not cited, cited
