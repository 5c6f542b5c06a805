"""Golden files for the LRSA DE, reprise de stock, parcours and CAF/MSA readers: a small
committed input of each (tests/golden/readers/<source>/, see its build.py) loads to exactly
the warehouse rows committed beside it (`expected.json`: every table the load writes, by
column name, without the load number).

A deliberate change of what a reader writes is reviewed as a diff of `expected.json`:
regenerate with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_reader_golden.py`
(the flag the PECGM golden files use too), then read the diff before committing it.
"""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from pipelines import loader
from pipelines.sources import get_source
from tests.conftest import GOLDEN

FILES = GOLDEN / "readers"
# source -> what is loaded (one file, or the parcours unit of three files), and its args
CASES = {
    "lrsa": (["LRSA_2A_202507_inscriptions.csv"], "2A"),
    "stock": (["REPRISE_STOCK_2A.csv"], "2A"),
    "parcours": (
        [
            "PARCOURS_2A_personnes.csv",
            "PARCOURS_2A_rendez_vous.csv",
            "PARCOURS_2A_prestations.csv",
        ],
        "2A",
    ),
    "caf": (["RSABEM_2A_202605.xml"], None),  # the flux names its département
}


def _tables(source: str) -> tuple[str, ...]:
    src = get_source(source)
    return tuple(getattr(src, "TABLES", None) or (src.TABLE,))


def _rows(db, table: str) -> dict:
    """The table's columns (load_id left out: it numbers loads, not content) and its rows
    as text, in a stable order."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] != "load_id"]
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()
    return {
        "columns": columns,
        "rows": [[None if v is None else str(v) for v in row] for row in rows],
    }


def _dump(tables: dict) -> str:
    """JSON with one row per line: a change of a reader shows as a readable diff."""

    def line(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    parts = [
        f' {line(table)}: {{\n  "columns": {line(t["columns"])},\n  "rows": [\n'
        + ",\n".join(f"   {line(row)}" for row in t["rows"])
        + "\n  ]\n }"
        for table, t in tables.items()
    ]
    return "{\n" + ",\n".join(parts) + "\n}\n"


@pytest.mark.parametrize("source", sorted(CASES))
def test_reader_loads_its_golden_file_to_the_committed_rows(source, settings) -> None:
    names, departement = CASES[source]
    paths = [FILES / source / name for name in names]
    outcome = loader.load(source, paths if len(paths) > 1 else paths[0], settings, departement)
    assert outcome.status == "loaded", outcome.message
    assert outcome.report.rows_rejected == 0, outcome.report.check_messages()
    found = {table: _rows(settings.db_path, table) for table in _tables(source)}
    expected_file = FILES / source / "expected.json"
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(_dump(found), encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert all(expected[table]["rows"] for table in expected), "a golden table is empty"
    assert found == expected
