"""The PECGM steps shared by both forms of the monthly stock file, fixed width (`pecgm`)
and XML (`pecgm_xml`): whichever reader parsed the records, they meet here.

`check_header(values)` refuses a file whose header is not a PECGM one and gives the layout
its version selects; `stage_records(con, records, ...)` (or `check_details` for a reader
that checks its own footer) takes a table of parsed records named by layout field: footer
checks, the view `pecgm_fields`, the GX suite `expectations/pecgm.json` (run by the SQL
engine) and its quarantine; `insert` pseudonymises and writes. The two readers import this
module, never each other's steps, so that neither form depends on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from pipelines.errors import FileRefused
from pipelines.nomenclatures import is_departement
from pipelines.readers.layout import Field, Layout, available_layouts, layout_for
from pipelines.settings import SQL_DIR
from pipelines.sources.staging import apply_suite, future_flag_sql
from pipelines.validation.report import AVERTISSEMENT, Finding, Report
from pipelines.validation.suite import load_suite

if TYPE_CHECKING:  # annotations only: a child parsing XML needs no DuckDB
    import duckdb

SOURCE = "pecgm"


TABLE = "pecgm_stock"


SUPERSEDE = "month"  # a new file for the same département and month replaces the previous


FIELDS = "pecgm_fields"
# Drift: each category's and modality's share against the previous file (staged column,
# column of TABLE).
DRIFT_SHARES = {
    "categorie": ("code_categorie", "code_categorie"),
    "modalite": ("modalite", "modalite"),
}


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


# The two keys of a PECGM row (pipelines/pseudonymise.py), computed while the file is cut.
KEYS = {
    "person_key": "person_key(nir, identifiant_pe, NULL)",
    "pe_key": "pseudo('PE', norm_id(identifiant_pe))",
}


KEYS_SQL = "SELECT line_no, " + ", ".join(f"{v} AS {k}" for k, v in KEYS.items()) + " FROM {}"


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
