"""What a page says is for its reader (issue 31): no command line (« python -m … »,
« --departement ») in any text a page can show. Every string of pages/ and dashboard/ is
read, docstrings apart (they are for developers)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_SHOWN = {  # command lines of their own, never drawn in a page
    "dashboard/pdf.py",  # Chromium's arguments
    "dashboard/serve.py",  # Streamlit's
    "dashboard/readiness.py",  # its own --help, run by the arrivals service
}
COMMAND = re.compile(r"python -m|(?<![\w-])--[a-z][a-z-]+")


def _shown_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]  # fmt: skip


def test_no_page_shows_a_command_line() -> None:
    found = [
        f"{path.relative_to(REPO)}:{line}: {text[:80]}"
        for folder in ("pages", "dashboard")
        for path in sorted((REPO / folder).rglob("*.py"))
        for line, text in _shown_strings(path)
        if COMMAND.search(text) and str(path.relative_to(REPO)) not in NOT_SHOWN
    ]
    assert found == []
