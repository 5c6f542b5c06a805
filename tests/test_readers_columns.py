"""A file's columns reach DuckDB as the same table whichever way `readers/columns.py`
takes: query parameters (a small file, no pyarrow import) or Arrow (a large one)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.readers import columns

REPO = Path(__file__).resolve().parents[1]

cells = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))


def _both_ways(data: dict[str, list]) -> tuple[list, list]:
    """(types and rows) of the table built as parameters, then as Arrow."""
    out = []
    for threshold in (10**9, 0):  # never Arrow, always Arrow
        con = duckdb.connect()
        previous, columns.ARROW_FROM_ROWS = columns.ARROW_FROM_ROWS, threshold
        try:
            columns.create_table(con, "t", data)
        finally:
            columns.ARROW_FROM_ROWS = previous
        types = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't'"
        ).fetchall()
        out.append((types, con.execute("SELECT * FROM t ORDER BY line_no").fetchall()))
        con.close()
    return out[0], out[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(cells, cells), max_size=30))
def test_parameters_and_arrow_give_the_same_table(rows) -> None:
    data = {
        "line_no": list(range(2, len(rows) + 2)),
        "nir": [a for a, _ in rows],
        "commune": [b for _, b in rows],
    }
    by_parameters, by_arrow = _both_ways(data)
    assert by_parameters == by_arrow
    assert by_parameters[0] == [("line_no", "BIGINT"), ("nir", "VARCHAR"), ("commune", "VARCHAR")]
    assert by_parameters[1] == list(zip(*data.values(), strict=True))


def test_a_small_file_does_not_import_pyarrow() -> None:
    """The reason for the parameter way: checked in a fresh process."""
    probe = (
        "import sys, duckdb\n"
        "from pipelines.readers.columns import create_table\n"
        "create_table(duckdb.connect(), 't', {'line_no': [2, 3], 'a': ['x', None]})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyarrow', 'numpy'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"
