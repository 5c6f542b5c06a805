"""Python columns into a DuckDB temp table, by the cheapest way for their size.

A small file (a few thousand lines: most checks) goes in as query parameters, one list
per column unnested in SQL: no import beyond DuckDB. Importing pyarrow and numpy costs
more than the whole check of such a file (benchmarks/bench_startup.py); past
`ARROW_FROM_ROWS` rows, Arrow arrays built from their buffers (`readers/arrow.py`) are
faster and that import is paid back. Both ways give the same table: BIGINT for the
integer columns, VARCHAR for the others (`tests/test_readers_columns.py`).
"""

from __future__ import annotations

import duckdb

# Rows from which the Arrow way is the faster one (measured: 1,000 rows of 20 columns take
# 0.03 s as parameters, the pyarrow import alone 0.1-0.3 s; at 100,000 rows the
# parameters are about a third slower than Arrow).
ARROW_FROM_ROWS = 20_000


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: dict[str, list],
    integers: tuple[str, ...] = ("line_no",),
) -> None:
    """CREATE OR REPLACE TEMP TABLE `name` holding `columns` (all of the same length;
    None is NULL), the `integers` ones as BIGINT, the others as VARCHAR."""
    rows = len(next(iter(columns.values()), []))
    if rows >= ARROW_FROM_ROWS:
        _create_from_arrow(con, name, columns, integers)
        return
    select = ", ".join(
        f"unnest(${i})::{'BIGINT' if column in integers else 'VARCHAR'} AS {_quoted(column)}"
        for i, column in enumerate(columns, start=1)
    )
    # execute, not register(): register refuses to run while an earlier fetchone() left a
    # result open (the previous file of a parcours unit); execute closes it.
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}", list(columns.values()))


def _create_from_arrow(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list], integers: tuple[str, ...]
) -> None:
    from pipelines.readers.arrow import arrow_columns

    rows = arrow_columns(columns, integers)  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM rows")
