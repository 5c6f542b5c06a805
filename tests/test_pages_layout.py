"""Every page only lays out what its view in dashboard/views/ returns: it imports streamlit
and dashboard modules (nothing of pipelines), writes no SQL, does no arithmetic on figures
and stays short. A new page in the registry (dashboard/navigation.py) is checked too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard import navigation

ROOT = Path(__file__).resolve().parents[1]
PAGES = [p.file for p in navigation.PAGES]
SQL = re.compile(r"\b(SELECT|FROM|GROUP BY|JOIN|WHERE)\b")


def _tree(page: str) -> ast.Module:
    return ast.parse((ROOT / page).read_text(encoding="utf-8"))


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def arithmetic(tree: ast.Module) -> list[int]:
    """Lines computing with numbers: any operator but `+` between texts."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.AugAssign)
        or (
            isinstance(node, ast.BinOp)
            and not (isinstance(node.op, ast.Add) and (_is_text(node.left) or _is_text(node.right)))
        )
    ]


def sql_texts(tree: ast.Module) -> list[int]:
    docstring = ast.get_docstring(tree, clean=False)
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value != docstring
        and SQL.search(node.value)
    ]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_imports_only_streamlit_and_its_dashboard_view(page: str) -> None:
    imported = _imported(_tree(page))
    assert {name.split(".")[0] for name in imported} <= {"streamlit", "dashboard"}, imported
    assert any(name.startswith("dashboard.views") for name in imported), imported


@pytest.mark.parametrize("page", PAGES)
def test_a_page_writes_no_sql_and_no_arithmetic_and_stays_short(page: str) -> None:
    tree = _tree(page)
    assert not sql_texts(tree) and not arithmetic(tree)
    assert len((ROOT / page).read_text(encoding="utf-8").splitlines()) <= 150


def test_the_checks_see_what_they_forbid() -> None:
    bad = ast.parse('share = n / total\nq = "SELECT count(*) FROM pecgm_stock"\nx = "a" + f"{n}"\n')
    assert arithmetic(bad) == [1] and sql_texts(bad) == [2]
