"""PECGM monthly stock file (France Travail -> département), fixed width.

The reader has two halves, so that another reader of the same records (the XML flux)
shares everything from the parsed records on:

(a) reading the fixed-width file (this format only): `_read_header` refuses what is not a
    PECGM file and cuts the header record; `_read_lines` cuts every line at the layout's
    offsets (`pipelines.readers.fixed_width`: numpy and Arrow, batch by batch, no Python per line)
    into the temp table `pecgm_lines`, each batch appended by DuckDB; `_misplaced_records`
    and `_footer` check the lines' structure; `_create_records_view` keeps the detail lines.
(b) shared steps, for any reader: `check_header(values)` gives the layout; then
    `stage_records(con, records, ...)` on a table of parsed records named by layout field:
    footer checks, the view `pecgm_fields`, the GX suite `expectations/pecgm.json` (run by
    the SQL engine) and its quarantine; `insert` pseudonymises and writes.
Personal fields (names, allocataire numbers, adviser) are never even cut.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime

import duckdb
import pyarrow as pa

from pipelines import pseudonymise
from pipelines.errors import FileRefused
from pipelines.nomenclatures import is_departement
from pipelines.readers.encoding import FileFacts, damaged_gzip_message, fallback, read_head
from pipelines.readers.fixed_width import FieldCut, Scan, UndecodableBytes, read_batches
from pipelines.readers.layout import Field, Layout, available_layouts, layout_for
from pipelines.settings import SQL_DIR
from pipelines.sources import pecgm_xml
from pipelines.sources.staging import apply_suite, future_flag_sql
from pipelines.validation.report import AVERTISSEMENT, Finding, Report
from pipelines.validation.suite import load_suite

SOURCE = "pecgm"
TABLE = "pecgm_stock"
SUPERSEDE = "month"  # a new file for the same département and month replaces the previous
LINES = "pecgm_lines"
RECORDS = "pecgm_records"
FIELDS = "pecgm_fields"
REJECTED = "pecgm_rejected"
KEPT_USAGES = ("key", "stat", "birth")


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def kept_fields(layout: Layout) -> list[Field]:
    return [
        f
        for f in layout.fields("D")
        if f.name != "type_enregistrement" and (f.usage in KEPT_USAGES or f.keep_as_fallback)
    ]


_kept_fields = kept_fields  # the name the tests and the benchmark use


def _truncation_expr(layout: Layout) -> str:
    """Name of the fixed-width field a short line ends inside of, else NULL.

    Trailing blanks may be stripped (the line is then padded), so a short line is only an
    error when it stops in the middle of a field whose values always fill their width.
    """
    cases = " ".join(
        f"WHEN len >= {f.start} AND len < {f.end} THEN {_sql_str(f.label)}"
        for f in layout.fields("D")
        if f.fixed
    )
    return f"CASE WHEN rec = 'D' THEN CASE {cases} END END"


def _parse_date(text: str | None) -> date | None:
    if not text or set(text) == {"0"}:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


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


def check_header(
    header: dict[str, str],
    report: Report,
    name: str,
    where: Callable[[str], tuple[str, int]] | None = None,
) -> Layout:
    """(b) The header record's values (fields of the layout's `E` record, trimmed), for any
    reader: refuses the file (`FileRefused`) or fills the report's département and month
    and returns the layout the header's VERSION selects. `where(field)` names the place of
    a field in messages and its line: by default record 1's field (`F, ligne 1, champ
    DEPARTEMENT`); the XML reader names the element instead."""
    if where is None:
        labels = {
            f.name: f.label for f in next(iter(available_layouts(SOURCE).values())).fields("E")
        }

        def where(field: str) -> tuple[str, int]:
            return f"{name}, ligne 1, champ {labels[field]}", 1

    if header["fichier"] != "PECG":
        raise FileRefused(
            f"{where('fichier')[0]} : « PECG » attendu (ce n'est pas un fichier PECGM)."
        )
    layout = layout_for(SOURCE, header["version"], name)
    if header["periodicite"] != "M":
        raise FileRefused(f"{where('periodicite')[0]} : « M » (mensuel) attendu.")
    if not is_departement(header["departement"]):
        raise FileRefused(f"{where('departement')[0]} : code département invalide.")
    ref = _parse_date(header["date_reference"])
    if ref is None:
        raise FileRefused(f"{where('date_reference')[0]} : date absente ou invalide.")
    report.departement = header["departement"]
    report.month = ref.strftime("%Y-%m")
    report.reference_date = ref.isoformat()
    if header["date_fabrication"] and _parse_date(header["date_fabrication"]) is None:
        place, line = where("date_fabrication")
        report.findings.append(
            Finding(
                "date_fabrication",
                f"{place} : date invalide.",
                AVERTISSEMENT,
                line,
                "DATE DE FABRICATION",
            )
        )
    return layout


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


# The two keys of a PECGM row (pipelines/pseudonymise.py), computed while the file is cut.
KEYS = {
    "person_key": "person_key(nir, identifiant_pe, NULL)",
    "pe_key": "pseudo('PE', norm_id(identifiant_pe))",
}
KEYS_SQL = "SELECT line_no, " + ", ".join(f"{v} AS {k}" for k, v in KEYS.items()) + " FROM {}"


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


def _check_footer(
    con, records: str, name: str, footer: dict[str, str], footer_no: int, report: Report
) -> None:
    where = f"{name}, ligne {footer_no}"
    if footer["departement"] != report.departement:
        report.findings.append(
            Finding(
                "fin_departement",
                f"{where}, champ DEPARTEMENT : "
                "le pied et l'en-tête ne portent pas le même département.",
                line_no=footer_no,
                field="DEPARTEMENT",
            )
        )
    ref = _parse_date(footer["date_reference"])
    if ref is None or ref.strftime("%Y-%m") != report.month:
        report.findings.append(
            Finding(
                "fin_date_reference",
                f"{where}, champ DATE DE REFERENCE : "
                "le pied et l'en-tête ne portent pas le même mois de référence.",
                line_no=footer_no,
                field="DATE DE REFERENCE",
            )
        )
    details = con.execute(f"SELECT count(*) FROM {records} WHERE rec = 'D'").fetchone()[0]
    count_text = footer["nb_enregistrements"]
    if not count_text.isdigit():
        report.findings.append(
            Finding(
                "fin_compte",
                f"{where}, champ NB ENREGISTREMENTS TRANSMIS : nombre absent ou non numérique.",
                line_no=footer_no,
                field="NB ENREGISTREMENTS TRANSMIS",
            )
        )
    elif int(count_text) != details:
        report.findings.append(
            Finding(
                "fin_compte",
                f"{where}, champ NB ENREGISTREMENTS TRANSMIS : "
                f"le pied annonce {int(count_text)} enregistrements détail, le fichier "
                f"en contient {details}.",
                line_no=footer_no,
                field="NB ENREGISTREMENTS TRANSMIS",
            )
        )


def _future_flags(layout: Layout, reference_date: str | None) -> str:
    """`<date>_futur` columns of the shared rule (sources/staging.py), against the header's
    reference date."""
    reference = (
        f"DATE '{date.fromisoformat(reference_date).isoformat()}'" if reference_date else "NULL"
    )
    return "".join(
        future_flag_sql(f.name, f"try_strptime({f.name}, '%Y%m%d')", reference, f.future_days)
        + ", "
        for f in _kept_fields(layout)
        if f.not_future
    )


def stage_records(
    con: duckdb.DuckDBPyConnection,
    records: str,
    report: Report,
    layout: Layout,
    *,
    footer: dict[str, str] | None,
    footer_no: int,
    departement: str | None = None,
) -> None:
    """(b) Everything from the parsed records on, whatever the reader: footer checks, the
    département asked for, the view `pecgm_fields`, the suite and its quarantine.

    `records` names a DuckDB table or view with one row per record between header and
    footer: `line_no` (BIGINT, the line or record ordinal every message names), `rec`
    ('D' for a detail record; anything else is rejected by the suite), `champ_tronque`
    (label of the fixed-width field a record stops in, else NULL) and one VARCHAR column per
    kept field of the layout (`kept_fields`), named as in the layout, NULL when blank, dates
    as SSAAMMJJ (other columns pass through). `footer` holds the footer record's fields (`departement`,
    `date_reference`, `nb_enregistrements`), None when the reader found none (it has said
    why in the report); `footer_no` is its position. `check_header` must have run first.
    """
    name = report.file_name
    if footer is not None:
        _check_footer(con, records, name, footer, footer_no, report)
    if departement and report.departement and departement != report.departement:
        report.findings.append(
            Finding(
                "departement_argument",
                f"{name}, ligne 1 : le fichier est celui du département "
                f"{report.departement}, pas du {departement} demandé.",
                line_no=1,
                field="DEPARTEMENT",
            )
        )
    check_details(con, layout, f"SELECT * FROM {records}", report.reference_date)
    _apply_suite(con, report)


def check_details(con, layout: Layout, details: str, reference_date: str | None) -> None:
    """The view `pecgm_fields` every reader ends in: `details` is a relation of the records
    between header and footer (`stage_records` says its columns, `champ_tronque` among
    them); the view adds the derived check columns the suite and staging SQL read (dates
    after the header's `reference_date` plus their tolerance, an identifier, an empty
    record). The XML reader (`pecgm_xml`) builds its own relation and comes in here too."""
    kept = ", ".join(f.name for f in kept_fields(layout))
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {FIELDS} AS
        SELECT d.*, {_future_flags(layout, reference_date)}
               CASE WHEN nir IS NOT NULL OR identifiant_pe IS NOT NULL THEN 'oui' END AS identifiant,
               CASE WHEN rec = 'D' AND coalesce({kept}) IS NULL THEN 'oui' END AS vide
        FROM ({details}) d"""
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


def _apply_suite(
    con, report: Report, empty: str = "aucun enregistrement détail (D) entre l'en-tête et la fin"
) -> None:
    apply_suite(con, FIELDS, REJECTED, load_suite(SOURCE), report, empty=empty)


def insert(
    con: duckdb.DuckDBPyConnection, report: Report, load_id: int, catalog: str = "wh"
) -> int:
    """Insert the accepted lines of the staged file into `<catalog>.pecgm_stock`."""
    sql = (
        (SQL_DIR / "staging" / "pecgm.sql")
        .read_text(encoding="utf-8")
        .replace("wh.", f"{catalog}.")
    )
    con.execute(
        f"DELETE FROM {catalog}.pecgm_stock WHERE departement = ? AND mois = ?",
        [report.departement, f"{report.month}-01"],
    )
    con.execute(
        sql,
        {
            "load_id": load_id,
            "departement": report.departement,
            "mois": f"{report.month}-01",
            "date_reference": report.reference_date,
        },
    )
    return con.execute(
        f"SELECT count(*) FROM {catalog}.pecgm_stock WHERE load_id = ?", [load_id]
    ).fetchone()[0]


def quarantine_sql() -> str:
    """(line_no, field, check_name, reason) of every rejected line."""
    return f"SELECT line_no, field, check_name, reason FROM {REJECTED}"
