"""PECGM monthly stock file (France Travail -> département): the source, and its fixed-width
reader.

`stage` tells the two forms apart: the XML flux goes to `pecgm_xml`; a fixed-width file is
read here: `_read_header` refuses what is not a PECGM file and cuts the header record;
`_read_lines` cuts every line at the layout's offsets (`pipelines.readers.fixed_width`:
numpy and Arrow, batch by batch, no Python per line) into the temp table `pecgm_lines`;
`_misplaced_records` and `_footer` check the lines' structure; `_create_records_view` keeps
the detail lines. Both forms then take the shared steps of `pecgm_records` (header rules,
footer checks, the view `pecgm_fields`, the suite and its quarantine, `insert`).
Personal fields (names, allocataire numbers, adviser) are never even cut.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb
import pyarrow as pa

from pipelines import pseudonymise
from pipelines.errors import FileRefused
from pipelines.readers.encoding import FileFacts, damaged_gzip_message, fallback, read_head
from pipelines.readers.fixed_width import FieldCut, Scan, UndecodableBytes, read_batches
from pipelines.readers.layout import Layout, available_layouts
from pipelines.sources import pecgm_xml
from pipelines.sources.pecgm_records import DRIFT_SHARES as DRIFT_SHARES  # the source's contract
from pipelines.sources.pecgm_records import FIELDS as FIELDS
from pipelines.sources.pecgm_records import (
    KEYS,
    KEYS_SQL,
    SOURCE,
    _apply_suite,
    _kept_fields,
    _truncation_expr,
    check_details,
    check_header,
    kept_fields,
    stage_records,
)
from pipelines.sources.pecgm_records import SUPERSEDE as SUPERSEDE  # the source's contract
from pipelines.sources.pecgm_records import TABLE as TABLE
from pipelines.sources.pecgm_records import insert as insert
from pipelines.sources.pecgm_records import quarantine_sql as quarantine_sql
from pipelines.validation.report import Finding, Report

LINES = "pecgm_lines"
RECORDS = "pecgm_records"


def _cut(line: str, layout: Layout, record_type: str) -> dict[str, str]:
    padded = line.ljust(layout.width(record_type))
    return {f.name: padded[f.start - 1 : f.end].strip() for f in layout.fields(record_type)}


def _looks_delimited(head: str) -> bool:
    return len(head.rstrip()) < 600 and any(sep in head for sep in (";", ",", "\t"))


def _read_header(facts: FileFacts) -> dict[str, str]:
    """(a) Refuse early, before reading on, what is obviously not a PECGM file; return the
    header record's fields."""
    name = facts.file_name
    if facts.size_bytes == 0:
        raise FileRefused(f"{name} : fichier vide.")
    head = read_head(facts)
    if not head.strip():
        raise FileRefused(f"{name} : fichier vide (ligne 1 blanche).")
    if not head.startswith("E"):
        if _looks_delimited(head) or "\x00" in head or head.startswith("PK"):
            raise FileRefused(
                f"{name} : ce n'est pas un fichier PECGM (largeur fixe attendue, ligne 1 "
                "devrait commencer par l'enregistrement d'en-tête « EPECGM »)."
            )
        raise FileRefused(f"{name}, ligne 1 : en-tête absent (enregistrement « E » attendu).")
    any_layout = next(iter(available_layouts(SOURCE).values()))
    return _cut(head, any_layout, "E")


def _field_cuts(layout: Layout) -> list[FieldCut]:
    """How each kept field is cut: values of a `fixed` field (codes, dates, identifiers)
    fill their width, so they are compared with blanks rather than trimmed (a partly blank
    value is malformed either way: the suite's exact-width checks reject it, and the report
    shows it as sent); dates made of zeros are NULL ("not set")."""
    return [
        FieldCut(f.name, f.start - 1, f.width, fixed=f.fixed, zeros_null=f.type == "date")
        for f in kept_fields(layout)
    ]


def _store_lines(con: duckdb.DuckDBPyConnection, facts: FileFacts, layout: Layout) -> Scan:
    """Cut every line into `pecgm_lines` (line_no, rec, len, kept fields), in file order.

    The Arrow batches are handed to DuckDB as they are (`register`: no copy into a DuckDB
    table, which costs about as much as the cut; every later query scans them in place).
    Blank lines are rows too (rec = ''), so line numbers stay right. On a load's
    connection the keyed hashes are computed meanwhile (`KeyHasher`) and kept as the
    columns `person_key` and `pe_key`. Raises `UndecodableBytes` when the bytes are not in
    `facts`' encoding.
    """
    cuts = _field_cuts(layout)
    scan = Scan(detail_type="D")
    schema = pa.schema(
        [("line_no", pa.int64()), ("rec", pa.string()), ("len", pa.int32())]
        + [(c.name, pa.string()) for c in cuts]
    )
    batches = read_batches(facts, cuts, layout.width("D"), scan)
    if not pseudonymise.has_macros(con):
        con.register(LINES, pa.Table.from_batches(batches, schema))
        return scan
    with KeyHasher(con, KEYS_SQL) as hasher:
        table = pa.Table.from_batches(hasher.feed(batches), schema)
        keys = hasher.result()
    for name in keys.column_names:
        table = table.append_column(name, keys.column(name))
    con.register(LINES, table)
    return scan


class KeyHashingFailed(Exception):
    """The keyed hashes of the cut rows could not be computed (the file is not at fault)."""


class KeyHasher:
    """Computes the keyed hashes of the rows being cut, in DuckDB, on a worker thread.

    Why: the HMACs are a third of a load's CPU time, and the cut is numpy work that keeps
    only one core busy; DuckDB releases the GIL, so hashing chunk after chunk while the
    next batches are cut uses the other core. The caller must not use the connection
    until `result()` returns (one statement at a time on it, as `pecgm_xml._Writer`).
    Chunks of 64K rows: fewer, larger statements (a statement costs about a millisecond).
    """

    CHUNK_ROWS = 1 << 16

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        self.con = con
        self.sql = sql
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pecgm_keys")
        self.futures: list[Future] = []

    def __enter__(self) -> KeyHasher:
        return self

    def __exit__(self, *exc) -> None:
        for future in self.futures:
            future.cancel()
        self.pool.shutdown(wait=True)

    def feed(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """Yield the batches as they come, handing every 64K rows over to be hashed."""
        pending: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= self.CHUNK_ROWS:
                self._submit(pending)
                pending, rows = [], 0
            yield batch
        if pending:
            self._submit(pending)

    def _submit(self, batches: list[pa.RecordBatch]) -> None:
        chunk = pa.Table.from_batches(batches).select(["line_no", "nir", "identifiant_pe"])
        self.futures.append(self.pool.submit(self._hash, chunk))

    def _hash(self, chunk: pa.Table) -> pa.Table:
        self.con.register("_pecgm_keys", chunk)
        try:
            keys = self.con.sql(self.sql.format("_pecgm_keys")).to_arrow_table()
        finally:
            self.con.unregister("_pecgm_keys")
        if not keys.column("line_no").equals(chunk.column("line_no")):
            raise RuntimeError("keyed hashes out of the rows' order")  # DuckDB keeps it
        return keys.drop_columns(["line_no"])

    def result(self) -> pa.Table:
        """Every chunk's keys, in row order (no row: empty columns). Raises
        `KeyHashingFailed` when DuckDB could not compute them (memory, say)."""
        try:
            tables = [future.result() for future in self.futures]
        except (duckdb.Error, RuntimeError) as error:
            raise KeyHashingFailed(type(error).__name__) from error
        if not tables:
            empty = pa.schema(
                [("line_no", pa.int64()), ("nir", pa.string()), ("identifiant_pe", pa.string())]
            )
            tables = [self._hash(empty.empty_table())]
        return pa.concat_tables(tables)


def _read_lines(
    con: duckdb.DuckDBPyConnection, facts: FileFacts, layout: Layout
) -> tuple[FileFacts, Scan]:
    """(a) Cut the lines, retrying with the next encoding if the bytes refuse the guess.

    Returns the facts of the encoding actually read (the report and journal show it).
    """
    while True:
        try:
            return facts, _store_lines(con, facts, layout)
        except UndecodableBytes:
            facts = fallback(facts)
            if facts is None:
                raise


def _misplaced_records(con, name: str, last: int, report: Report) -> None:
    """(a) A header or footer record between the first and the last line."""
    extra = con.execute(
        f"SELECT rec, min(line_no) FROM {LINES} "
        f"WHERE rec IN ('E', 'F') AND line_no > 1 AND line_no < {last} GROUP BY rec ORDER BY rec"
    ).fetchall()
    for rec, first in extra:
        report.findings.append(
            Finding(
                f"{rec}_en_double",
                f"{name}, ligne {first} : enregistrement « {rec} » "
                "inattendu au milieu du fichier (en-tête ou fin en double).",
                line_no=first,
            )
        )


def _footer(scan: Scan, layout: Layout, name: str, report: Report) -> tuple[dict | None, int]:
    """(a) The footer record's fields and line number: the file's last line that is not
    empty, when it is an F record; else a finding (the file was cut short) and (None, 0)."""
    last = scan.last_line_no
    if last <= 1 or not (scan.last_text or "").startswith("F"):
        report.findings.append(
            Finding(
                "fin_absente",
                f"{name} : fichier tronqué, l'enregistrement de fin (F) est absent "
                f"(dernière ligne lue : {last}).",
            ),
        )
        return None, 0
    return _cut(scan.last_text, layout, "F"), last


def _create_records_view(con, layout: Layout, footer_no: int, last_line: int) -> None:
    """(a) The lines between header and footer, with the fixed-width field they stop in."""
    end = footer_no if footer_no else last_line + 1
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {RECORDS} AS
        SELECT *, {_truncation_expr(layout)} AS champ_tronque
        FROM {LINES} WHERE line_no > 1 AND line_no < {end}"""
    )


def header_facts(facts: FileFacts) -> tuple[str | None, str | None]:
    """(département, month) of the header, (None, None) when it is unreadable: lets an
    arrivals run order the files of a lot by month before staging them."""
    report = Report.for_file(SOURCE, facts, 0.0)
    try:
        check_header(_read_header(facts), report, facts.file_name)
    except FileRefused:
        return None, None
    return report.departement, report.month


def stage(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    *,
    departement: str | None = None,
    threshold: float = 0.01,
    options: dict | None = None,  # none apply to PECGM: the file names its month
) -> Report:
    """Parse and validate a PECGM file into temp tables of `con`; nothing is written to disk.

    Fixed width or XML (`fichier-PE-CG`), told apart by content; both end in `check_details`.
    """
    report = Report.for_file(SOURCE, facts, threshold)
    if pecgm_xml.is_xml(facts):
        return _stage_xml(con, facts, report, departement, options or {})
    name = facts.file_name
    try:
        layout = check_header(_read_header(facts), report, name)
    except FileRefused as refused:
        report.findings.append(Finding("structure", str(refused)))
        return report
    try:
        facts, scan = _read_lines(con, facts, layout)
        report.encoding = facts.encoding
    except FileRefused as refused:  # a cut or damaged gzip, named (encoding.open_bytes)
        report.findings.append(Finding("illisible", str(refused)))
        return report
    except KeyHashingFailed as failed:
        report.findings.append(
            Finding(
                "pseudonymisation",
                f"{name} : le calcul des clés pseudonymisées a échoué ({failed}) ; "
                "rien n'est chargé, le fichier peut être chargé de nouveau.",
            )
        )
        return report
    except (UndecodableBytes, OSError, EOFError, zlib.error, duckdb.Error):
        report.findings.append(
            Finding(
                "illisible",
                damaged_gzip_message(name)
                if facts.gzip
                else f"{name} : fichier illisible en {facts.encoding}.",
            )
        )
        return report
    report.lines_read = scan.lines
    _misplaced_records(con, name, scan.last_line_no, report)
    footer, footer_no = _footer(scan, layout, name, report)
    _create_records_view(con, layout, footer_no, scan.lines)
    stage_records(
        con, RECORDS, report, layout, footer=footer, footer_no=footer_no, departement=departement
    )
    return report


def _stage_xml(con, facts: FileFacts, report: Report, departement, options: dict) -> Report:
    kept = [f.name for f in _kept_fields(next(iter(available_layouts(SOURCE).values())))]
    layout = pecgm_xml.stage(
        con, facts, report, departement=departement, options=options, kept=kept
    )
    if layout is None:
        return report
    keys = (
        "".join(f"{sql} AS {name}, " for name, sql in KEYS.items())
        if pseudonymise.has_macros(con)
        else ""
    )
    details = (
        f"SELECT *, {keys}{_truncation_expr(layout)} AS champ_tronque FROM {pecgm_xml.DETAILS}"
    )
    check_details(con, layout, details, report.reference_date)
    _apply_suite(con, report, "aucun dossier entre l'en-tête et la fin")
    pecgm_xml.locate(con, report)
    return report
