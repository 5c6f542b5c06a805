"""The load journal: one row per load attempt, written inside the same swapped generation."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.encoding import FileFacts
from pipelines.validation.report import Report

COLUMNS = (
    "id",
    "source",
    "file_name",
    "sha256",
    "size_bytes",
    "departement",
    "month",
    "encoding",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "status",
    "started_at",
    "ended_at",
    "operator",
    "message",
)


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


def recent(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple]:
    return con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM load_journal ORDER BY id DESC LIMIT ?", [limit]
    ).fetchall()


def coverage_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source, département, month, started_at, status) of every load, for the coverage
    calendar (pipelines/calendrier.py)."""
    return con.execute(
        "SELECT source, departement, month, started_at, status FROM load_journal ORDER BY id"
    ).fetchall()
