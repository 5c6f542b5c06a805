"""The operations pages (Qualité, Chargement, Administration) only lay out what their view
in dashboard/views/ returns: they import streamlit and dashboard modules, nothing of
pipelines, and stay short."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("qualite", "chargement", "administration")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("page", PAGES)
def test_an_operations_page_imports_only_streamlit_and_dashboard(page: str) -> None:
    path = ROOT / "pages" / f"{page}.py"
    assert _imported(path) == {"streamlit", "dashboard"}
    assert f"from dashboard.views import {page} as view" in path.read_text(encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 150
