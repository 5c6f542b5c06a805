"""The load journal: one row per load attempt, written inside the same swapped generation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import duckdb

from pipelines.readers.encoding import FileFacts
from pipelines.validation.report import Report


class JournalRow(NamedTuple):
    """One row of the load journal, read by name (the order is the SELECT's)."""

    id: int
    source: str
    file_name: str
    sha256: str | None
    size_bytes: int | None
    departement: str | None
    month: str | None
    encoding: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    status: str
    started_at: datetime
    ended_at: datetime | None
    operator: str | None
    message: str | None


COLUMNS = JournalRow._fields

# What a user reads for each journal status (the statuses of load_journal's CHECK).
STATUS_LABELS = {
    "loaded": "chargé",
    "refused": "refusé",
    "superseded": "remplacé",
    "failed": "échec",
}


def insert_row(
    con: duckdb.DuckDBPyConnection,
    *,
    catalog: str,
    source: str,
    facts: FileFacts,
    report: Report | None,
    status: str,
    started_at: datetime,
    operator: str,
    message: str,
    rows_loaded: int = 0,
    sha256: str | None = None,
) -> int:
    """Insert one journal row and return its id (`sha256`: a value to write instead of the
    file's, whose background hash may still be running)."""
    row = con.execute(
        f"""INSERT INTO {catalog}.load_journal
        (source, file_name, sha256, size_bytes, departement, month, encoding, rows_read,
         rows_loaded, rows_rejected, status, started_at, ended_at, operator, message, report_json,
         variant)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [
            source,
            facts.file_name,
            facts.sha256 if sha256 is None else sha256,
            facts.size_bytes,
            report.departement if report else None,
            report.month if report else None,
            report.encoding if report else facts.encoding,
            report.rows_read if report else 0,
            rows_loaded,
            report.rows_rejected if report else 0,
            status,
            started_at,
            datetime.now(),
            operator,
            message,
            report.to_json() if report else None,
            report.variant if report else None,
        ],
    ).fetchone()
    return int(row[0])


def already_loaded(
    con: duckdb.DuckDBPyConnection, source: str, sha256: str, catalog: str | None = None
) -> tuple | None:
    """(id, departement, month) of a current load of the same bytes, if any."""
    table = f"{catalog}.load_journal" if catalog else "load_journal"
    return con.execute(
        f"SELECT id, departement, month FROM {table} WHERE source = ? AND sha256 = ? "
        "AND status = 'loaded' ORDER BY id DESC LIMIT 1",
        [source, sha256],
    ).fetchone()


def replaced_by(
    con: duckdb.DuckDBPyConnection,
    source: str,
    departement: str | None,
    month: str | None,
    variant: str | None,
    catalog: str | None = None,
) -> tuple | None:
    """(id, started_at, month, rows_loaded) of the newest current load a new file of this
    source would replace: same département, and same month and variant when the source
    replaces month by month (its `SUPERSEDE`, pipelines/sources); None when it replaces
    nothing. The Chargement page names it, and the drift compares the new file with it."""
    from pipelines.sources import get_source

    table = f"{catalog}.load_journal" if catalog else "load_journal"
    sql = f"SELECT id, started_at, month, rows_loaded FROM {table} WHERE source = ? AND departement = ? "
    params: list[object] = [source, departement]
    if getattr(get_source(source), "SUPERSEDE", "month") == "month":
        sql += "AND month = ? AND variant IS NOT DISTINCT FROM ? "
        params += [month, variant]
    return con.execute(sql + "AND status = 'loaded' ORDER BY id DESC LIMIT 1", params).fetchone()


def recent(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[JournalRow]:
    """The latest `limit` journal rows, newest first."""
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM load_journal ORDER BY id DESC LIMIT ?", [limit]
    ).fetchall()
    return [JournalRow(*r) for r in rows]


class DriftRow(NamedTuple):
    """What a load's stored report says of its drift from the previous file of its source
    (pipelines/validation/drift.py): None where the report holds no such measure."""

    id: int
    source: str
    departement: str | None
    month: str
    variation_lignes: float | None  # change of the record count, as a share
    personnes_absentes: float | None  # share of the previous file's persons absent
    derive: tuple[str, ...]  # messages of the drift warnings, in the report's order


def drift_rows(con: duckdb.DuckDBPyConnection, ids: Sequence[int]) -> list[DriftRow]:
    """The drift of those loads among `ids` that are (or were) in the warehouse and name
    their month, newest first: one query, the figures taken out of the stored JSON by
    DuckDB rather than by parsing each report."""
    rows = con.execute(
        """SELECT id, source, departement, month,
            TRY_CAST(report_json->>'$.drift.variation_lignes' AS DOUBLE),
            TRY_CAST(report_json->>'$.drift.personnes_absentes.part' AS DOUBLE),
            coalesce([f->>'$.message'
                      for f in CAST(report_json->'$.findings' AS JSON[])
                      if f->>'$.code' = 'derive'], [])
        FROM load_journal
        WHERE id IN (SELECT unnest(CAST(? AS BIGINT[])))
          AND status IN ('loaded', 'superseded') AND coalesce(month, '') <> ''
        ORDER BY id DESC""",
        [list(ids)],
    ).fetchall()
    return [DriftRow(*r[:6], tuple(r[6])) for r in rows]


def coverage_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source, département, month, started_at, status) of every load, for the coverage
    calendar (pipelines/calendrier.py)."""
    return con.execute(
        "SELECT source, departement, month, started_at, status FROM load_journal ORDER BY id"
    ).fetchall()
