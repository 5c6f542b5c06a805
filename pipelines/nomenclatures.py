"""Code lists (nomenclatures) shipped as CSV files in `nomenclatures/`."""

from __future__ import annotations

import csv
from functools import cache

from pipelines.settings import NOMENCLATURES_DIR


@cache
def nomenclature(name: str) -> tuple[dict[str, str], ...]:
    """Rows of one code list, as dicts, in file order."""
    path = NOMENCLATURES_DIR / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f, delimiter=";"))


def codes(name: str) -> list[str]:
    """The codes of one code list."""
    return [row["code"] for row in nomenclature(name)]


def all_names() -> list[str]:
    """Names of every shipped code list."""
    return sorted(p.stem for p in NOMENCLATURES_DIR.glob("*.csv"))
