"""What every source shares from its parsed rows on: the suite run with the quarantine
threshold, the one rule on future dates, the staging SQL that writes the new warehouse
generation, and the protocol's `stage` for the sources written as classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.readers.encoding import FileFacts
from pipelines.settings import SQL_DIR
from pipelines.validation.report import Finding, Report, percent
from pipelines.validation.sql_engine import rejected_lines_sql, run_suite
from pipelines.validation.suite import Suite

if TYPE_CHECKING:  # annotations only: a child parsing XML needs no DuckDB
    import duckdb


def apply_suite(
    con: duckdb.DuckDBPyConnection,
    fields: str,
    rejected: str,
    suite: Suite,
    report: Report,
    empty: str = "aucune ligne de données sous l'en-tête",
    records: str | None = None,
) -> None:
    """Run the suite on `fields`, list rejected lines in `rejected`, apply the threshold.

    `records` counts the records the threshold is about when a record spans several rows
    of `fields` (a CAF/MSA household and its persons share their `line_no`).
    """
    report.checks = run_suite(con, fields, suite)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejected} AS {rejected_lines_sql(fields, suite)}")
    read = f"({records})" if records else f"(SELECT count(*) FROM {fields})"
    report.rows_read, report.rows_rejected = con.execute(
        f"SELECT {read}, (SELECT count(DISTINCT line_no) FROM {rejected})"
    ).fetchone()
    if report.rows_read == 0:
        report.findings.append(Finding("aucun_detail", f"{report.file_name} : {empty}."))
    elif report.rows_rejected / report.rows_read > report.threshold:
        share = percent(report.rows_rejected / report.rows_read)
        report.findings.append(
            Finding(
                "seuil_rejets",
                f"{report.file_name} : {report.rows_rejected} {report.record_word}s en erreur sur "
                f"{report.rows_read} ({share}), au-delà du seuil de "
                f"{percent(report.threshold)} : le fichier est refusé.",
            )
        )


def future_flag_sql(name: str, date_sql: str, reference_sql: str, days: int) -> str:
    """The one rule on future dates, for every source: `<name>_futur` is 'oui' when the
    date is after the file's reference date plus the field's tolerance (`future_days` of
    its layout). The reference date is the PECGM header's DATE DE REFERENCE; the
    départements' files carry none, so theirs is the day of the check. Each suite rejects
    the line on that column, so the message names the line and the field, never the date.
    """
    return (
        f"CASE WHEN {date_sql} > {reference_sql} + INTERVAL {int(days)} DAY "
        f"THEN 'oui' END AS {name}_futur"
    )


def run_staging_sql(
    con: duckdb.DuckDBPyConnection, name: str, catalog: str, params: dict[str, object]
) -> None:
    """Execute `sql/staging/<name>.sql` against `catalog` (the new warehouse generation).

    Statement by statement (a statement ends with ';' at the end of a line): DuckDB binds
    parameters to one statement at a time.
    """
    sql = (SQL_DIR / "staging" / f"{name}.sql").read_text(encoding="utf-8")
    for statement in sql.replace("wh.", f"{catalog}.").split(";\n"):
        if statement.strip().strip(";") and not _only_comments(statement):
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used)


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())


class StagedSource:
    """What every source written as a class shares: the protocol's `stage`
    (`pipelines/sources/protocol.py`), which opens the file's report and has `fill` read the
    file into it. A source written as a module (`pecgm`, `caf`) writes `stage` itself."""

    SOURCE: str

    def stage(
        self,
        con: duckdb.DuckDBPyConnection,
        facts: FileFacts,
        *,
        departement: str | None = None,
        threshold: float = 0.01,
        options: dict | None = None,
    ) -> Report:
        """Read and check a file into temp tables of `con`; nothing is written to disk."""
        report = Report.for_file(self.SOURCE, facts, threshold)
        self.fill(con, facts, report, departement, dict(options or {}))
        return report

    def fill(
        self,
        con: duckdb.DuckDBPyConnection,
        facts: FileFacts,
        report: Report,
        departement: str | None,
        options: dict,
    ) -> None:
        """Stage the file into `con` and record in `report` what its checks found."""
        raise NotImplementedError
