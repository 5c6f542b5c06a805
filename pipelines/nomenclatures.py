"""Code lists (nomenclatures) shipped as CSV files in `nomenclatures/`, and the one rule
on what a département code is (`departement.csv`), read by access, every source, the
settings and the command line."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from pipelines.errors import UsageError

# The code lists' folder is this module's own (settings re-exports it): settings reads the
# département rule from here, so this module cannot import settings.
NOMENCLATURES_DIR = Path(__file__).resolve().parent / "nomenclatures"


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


@cache
def departements() -> dict[str, str]:
    """Every département code with its name (`departement.csv`: 01 to 19, 2A, 2B, 21 to 95,
    971 to 976), in file order. The single list every surface checks a code against."""
    return {row["code"]: row["libelle"] for row in nomenclature("departement")}


def is_departement(code: object) -> bool:
    """True for an existing département code written exactly as listed (a file's header)."""
    return isinstance(code, str) and code in departements()


def departement_code(value: str | None, what: str = "Département") -> str:
    """The code a person typed (command line, setting, form), trimmed and upper-cased, when
    it names an existing département; else a `UsageError` saying which codes exist."""
    code = (value or "").strip().upper()
    if not is_departement(code):
        raise UsageError(f"{what} « {(value or '').strip()} » inconnu : {expected_departements()}.")
    return code


def expected_departements() -> str:
    """The list in words, from the file: « codes attendus 01 à 19, 2A, 2B, 21 à 95, 971 à
    976 » (consecutive numeric codes as one range)."""
    runs: list[list[str]] = []
    for code in departements():
        last = runs[-1][-1] if runs else None
        if last and code.isdigit() and last.isdigit() and int(code) == int(last) + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    parts = [run[0] if len(run) == 1 else f"{run[0]} à {run[-1]}" for run in runs]
    return "codes attendus " + ", ".join(parts)


def departement_sql_list() -> str:
    """The codes as a SQL list literal, for a check inside DuckDB: `col IN (...)`."""
    return "(" + ", ".join(f"'{code}'" for code in departements()) + ")"
