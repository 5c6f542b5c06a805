"""The tabular source: the staging of delimited and Excel files (CGPEM, LRSA DE, reprise
de stock; parcours reuses its steps) from their templates.

A tabular file becomes, in the staging database: `<source>_input` (text as read, personal
fields reduced to "filled or not"), then the table `<source>_fields` with each field
normalised (codes padded, dates in ISO, parcours types in the product's three codes) and
the derived columns the suite checks (`identifiant`, `<date>_futur`, `doublon`). Values
that cannot be normalised are left as read, so that the suite rejects them by line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import duckdb

from pipelines.errors import FileRefused
from pipelines.nomenclatures import expected_departements, is_departement, nomenclature
from pipelines.readers.columns import create_table
from pipelines.readers.encoding import FileFacts
from pipelines.readers.tabular import (
    DELIMITER_NAMES,
    Column,
    Template,
    input_columns,
    match_columns,
    normalise_header,
    read_table,
    template,
)
from pipelines.sources.staging import (
    StagedSource,
    apply_suite,
    future_flag_sql,
    run_staging_sql,
)
from pipelines.validation.report import AVERTISSEMENT, Finding, Report
from pipelines.validation.suite import Suite, load_suite

DATE_FORMATS = "['%d/%m/%Y', '%Y-%m-%d', '%Y%m%d', '%d-%m-%Y', '%Y-%m-%d %H:%M:%S']"


def _value_sql(c: Column) -> str:
    """The normalised text of one field of `<source>_input` (aliased `i`, with the trimmed
    text of each field as `_t_<field>`: see `fields_view_sql`)."""
    text = f"i._t_{c.name}"
    if c.usage in ("personal", "drop"):
        return f"i.{c.name}"
    if c.name == "nir":  # spaces dropped; the 2-digit control key, if present, too
        nir = f"upper(replace({text}, ' ', ''))"
        return f"CASE WHEN length({nir}) = 15 THEN left({nir}, 13) ELSE {nir} END"
    if c.type == "code":  # upper case; digits padded to the width (upper() keeps digits)
        if not c.width:
            return f"upper({text})"
        # No scalar subquery to name the value once: DuckDB plans each as a join, and the
        # planning of a few of them cost more than the whole check of a small file.
        return (
            f"CASE WHEN regexp_full_match({text}, '[0-9]+') THEN lpad({text}, {c.width}, '0') "
            f"ELSE upper({text}) END"
        )
    if c.type == "date":
        blank = f"CASE WHEN regexp_full_match({text}, '[0/\\-]+') THEN NULL ELSE {text} END"
        return f"coalesce(strftime(try_strptime({blank}, {DATE_FORMATS}), '%Y-%m-%d'), {blank})"
    if c.type == "parcours":
        return f"coalesce(tp_{c.name}.code, {text})"
    if c.type == "decimal":  # French decimal comma accepted
        return f"try_cast(replace({text}, ',', '.') AS DOUBLE)"
    return text


def fields_view_sql(tpl: Template, source: str, extra: tuple[str, ...] = ()) -> str:
    """SELECT of the normalised fields and the derived check columns."""
    parts = [f"{_value_sql(c)} AS {c.name}" for c in tpl.columns]
    joins = [
        f"LEFT JOIN _type_parcours tp_{c.name} ON tp_{c.name}.variante = i.{c.name}_norme"
        for c in tpl.columns
        if c.type == "parcours"
    ]
    keys = [c.name for c in tpl.columns if c.usage == "key"]
    parts.append(
        "CASE WHEN "
        + " OR ".join(f"i._t_{k} IS NOT NULL" for k in keys)
        + " THEN 'oui' END AS identifiant"
    )
    parts.append("i.cellules_en_trop")
    person = (
        "coalesce(" + ", ".join(f"'{k}:' || upper(replace(i._t_{k}, ' ', ''))" for k in keys) + ")"
    )
    partition = ", ".join([person, *(_value_sql(tpl.column(u)) for u in tpl.unique_with)])
    parts.append(
        f"CASE WHEN {person} IS NOT NULL AND row_number() OVER "
        f"(PARTITION BY {partition} ORDER BY i.line_no) > 1 THEN 'oui' END AS doublon"
    )
    parts += [f"i.{c.name} AS i_{c.name}" for c in tpl.columns if c.type == "decimal"]
    # Each field trimmed once, below: the expressions above name it several times, and
    # DuckDB's planning time grows with the size of the expression trees (it was most of a
    # small file's check).
    trimmed = ", ".join(f"nullif(trim({c.name}), '') AS _t_{c.name}" for c in tpl.columns)
    rows = f"(SELECT *, {trimmed} FROM {source}_input) i"
    inner = f"SELECT i.line_no, {', '.join(parts)} FROM {rows} {' '.join(joins)}"
    derived = [
        future_flag_sql(c.name, f"try_cast({c.name} AS DATE)", "current_date", c.future_days)
        for c in tpl.columns
        if c.not_future
    ]
    derived += [  # a number the reader could not read: the line is rejected, never zero
        f"CASE WHEN {c.name} IS NULL AND nullif(trim(i_{c.name}), '') IS NOT NULL "
        f"THEN 'oui' END AS {c.name}_illisible"
        for c in tpl.columns
        if c.type == "decimal"
    ]
    derived += list(extra)
    return f"SELECT *, {', '.join(derived) or 'NULL AS aucun_derive'} FROM ({inner})"


def type_parcours_variants() -> dict[str, str]:
    """Every spelling of a parcours type (code, label, `variantes` of type_parcours.csv,
    PED/PSP/PSO included), normalised like headers, to its code: the one mapping every
    source reads (files here, France Travail's lectureOrientation in francetravail/)."""
    return {
        normalise_header(v): row["code"]
        for row in nomenclature("type_parcours")
        for v in [row["code"], row["libelle"], *row["variantes"].split("|")]
    }


def register_type_parcours(con: duckdb.DuckDBPyConnection) -> None:
    """The free spellings of parcours types, normalised like headers, as a temp table."""
    variants = sorted(type_parcours_variants().items())
    create_table(
        con,
        "_type_parcours",
        {"variante": [v for v, _ in variants], "code": [c for _, c in variants]},
        integers=(),
    )


def check_departement(report: Report, departement: str | None) -> None:
    """These files do not name their département: it must be given with the file (the
    page's Département field, the command's option). The message names neither: it is
    read on a page and at a terminal alike."""
    if not departement:
        raise FileRefused(
            f"{report.file_name} : ce fichier ne porte pas de département ; indiquez le "
            "département auquel il se rapporte."
        )
    if not is_departement(departement):
        raise FileRefused(
            f"{report.file_name} : département « {departement} » inconnu "
            f"({expected_departements()})."
        )
    report.departement = departement


def _match_findings(report: Report, tpl: Template, matching, required: list[str]) -> None:
    if matching.no_header:
        report.findings.append(
            Finding(
                "entete_absente",
                f"{report.file_name}, ligne 1 : ligne d'en-tête absente (aucune colonne "
                f"n'a un en-tête connu du modèle {tpl.source} ; en-têtes attendus : "
                f"{', '.join(c.label for c in tpl.columns if c.required)} ; ou --mapping).",
                line_no=1,
            )
        )
        return
    for name, positions in matching.duplicates.items():
        report.findings.append(
            Finding(
                "colonne_en_double",
                f"{report.file_name}, ligne 1 : les colonnes {', '.join(map(str, positions))} "
                f"désignent toutes le champ {tpl.column(name).label}.",
                line_no=1,
                field=tpl.column(name).label,
            )
        )
    for name in required:
        if name not in matching.fields:
            c = tpl.column(name)
            shown = ", ".join([c.label, *c.aliases[:3]])
            report.findings.append(
                Finding(
                    "colonne_absente",
                    f"{report.file_name}, ligne 1 : colonne obligatoire absente : "
                    f"{c.label} (en-têtes reconnus : {shown} ; ou --mapping).",
                    line_no=1,
                    field=c.label,
                )
            )
    if matching.ignored:
        report.findings.append(
            Finding(
                "colonnes_ignorees",
                f"{report.file_name}, ligne 1 : colonne(s) non reconnue(s), ignorée(s) : "
                f"{', '.join(matching.ignored[:10])}.",
                AVERTISSEMENT,
                1,
            )
        )


def stage_tabular(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    report: Report,
    *,
    departement: str | None,
    mapping: dict[str, str],
    suite_for: Callable[[set[str]], tuple[Suite, list[str]]],
    extra: tuple[str, ...] = (),
) -> bool:
    """Read, match, normalise and check a tabular file into `<source>_fields`.

    `suite_for(matched field names)` returns the suite to run and the required fields
    (LRSA chooses them by list); `extra` are derived check columns written in SQL over the
    normalised fields (the parcours cross-file checks). Returns False when the file is
    refused before the checks.
    """
    source = report.source
    tpl = template(source)
    try:
        check_departement(report, departement)
        table = read_table(facts)
    except FileRefused as refused:
        report.findings.append(Finding("structure", str(refused)))
        return False
    report.encoding = table.encoding + (
        f", séparateur {DELIMITER_NAMES[table.delimiter]}" if table.delimiter else ""
    )
    report.lines_read = len(table.rows) + 1
    matching = match_columns(table.headers, tpl, mapping)
    suite, required = suite_for(set(matching.fields))
    _match_findings(report, tpl, matching, required)
    if report.blocking:
        return False
    create_table(con, f"{source}_input", input_columns(table, matching, tpl))
    if any(c.type == "parcours" for c in tpl.columns):  # joined for these fields only
        register_type_parcours(con)
    # A table, not a view: the suite, the counts, the month and the insert each read it,
    # and a view would normalise every field again for each of them (on a small file,
    # most of the check's time).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {source}_fields AS {fields_view_sql(tpl, source, extra)}"
    )
    apply_suite(con, f"{source}_fields", f"{source}_rejected", suite, report)
    return True


def month_of_latest(con: duckdb.DuckDBPyConnection, fields: str, column: str) -> str | None:
    """'YYYY-MM' of the latest valid date of a column, for files that carry no month."""
    row = con.execute(
        f"SELECT strftime(max(try_cast({column} AS DATE)), '%Y-%m') FROM {fields} "
        "WHERE line_no NOT IN (SELECT line_no FROM "
        f"{fields.removesuffix('_fields')}_rejected)"
    ).fetchone()
    return row[0] if row else None


class TabularSource(StagedSource):
    """A tabular source: template, suite and staging SQL named after it.

    Same interface as the `pecgm` module (`SOURCE`, `TABLE`, `SUPERSEDE`, `stage`, `insert`,
    `quarantine_sql`), so the loader treats every source alike.
    """

    DRIFT_SHARES: ClassVar[dict[str, tuple[str, str]]] = {}  # drift compares the row count only

    def __init__(self, source: str, table: str, supersede: str, month_column: str) -> None:
        self.SOURCE = source
        self.TABLE = table
        self.FIELDS = f"{source}_fields"
        self.SUPERSEDE = supersede  # month: same département and month | departement: all
        self.month_column = month_column

    def suite_for(self, matched: set[str], options: dict) -> tuple[Suite, list[str]]:
        """The suite to run and the fields that must be present."""
        required = [c.name for c in template(self.SOURCE).columns if c.required]
        return load_suite(self.SOURCE), required

    def month(self, con: duckdb.DuckDBPyConnection, report: Report, options: dict) -> str | None:
        return options.get("mois") or month_of_latest(
            con, f"{self.SOURCE}_fields", self.month_column
        )

    def fill(self, con, facts, report, departement, options) -> None:
        """One file through its template and suite; the month once it staged cleanly."""
        options.setdefault("file_name", facts.file_name)
        staged = stage_tabular(
            con,
            facts,
            report,
            departement=departement,
            mapping=options.get("mapping") or {},
            suite_for=lambda matched: self.suite_for(matched, options),
        )
        if staged and not report.blocking:
            report.month = self.month(con, report, options)

    def insert_params(self, report: Report, load_id: int) -> dict[str, object]:
        return {"load_id": load_id, "departement": report.departement}

    def insert(
        self, con: duckdb.DuckDBPyConnection, report: Report, load_id: int, catalog: str = "wh"
    ) -> int:
        run_staging_sql(con, self.SOURCE, catalog, self.insert_params(report, load_id))
        return con.execute(
            f"SELECT count(*) FROM {catalog}.{self.TABLE} WHERE load_id = ?", [load_id]
        ).fetchone()[0]

    def quarantine_sql(self) -> str:
        return f"SELECT line_no, field, check_name, reason FROM {self.SOURCE}_rejected"
