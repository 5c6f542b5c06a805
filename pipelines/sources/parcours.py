"""Parcours (experimentation): three related files loaded as one unit.

Persons (`layouts/parcours_personnes.yaml`), accompaniment appointments
(`parcours_rendez_vous.yaml`) and prestations with hours (`parcours_prestations.yaml`),
keyed by identifiant RSA (docs/sources.md#parcours). Each file's role is told
by its columns, whatever the order they are given in; each has its suite
(`expectations/parcours_*.json`). An appointment or prestation of a person absent from the
persons file is a line error. The unit is a snapshot of the experimentation: a new unit
replaces every earlier one of the département. Its month, for the journal, is that of the
latest appointment or prestation.
"""

from __future__ import annotations

from typing import ClassVar

import duckdb

from pipelines.errors import FileRefused
from pipelines.readers.encoding import FileFacts
from pipelines.readers.tabular import match_columns, read_table, template
from pipelines.sources.staging import StagedSource, run_staging_sql
from pipelines.sources.tabular import stage_tabular
from pipelines.validation.report import Finding, Report
from pipelines.validation.suite import load_suite

PARTS = ("parcours_personnes", "parcours_rendez_vous", "parcours_prestations")
ROLE_LABELS = {
    "parcours_personnes": "personnes",
    "parcours_rendez_vous": "rendez-vous",
    "parcours_prestations": "prestations",
}
KNOWN_PERSON = (
    "CASE WHEN identifiant_rsa IN (SELECT identifiant_rsa FROM parcours_personnes_fields) "
    "THEN 'oui' END AS personne_connue"
)


def role_of(facts: FileFacts) -> str | None:
    """The part whose own columns the file's headers match best (the persons file has
    dates of entry and orientation, appointments a date of appointment, prestations hours)."""
    try:
        headers = read_table(facts).headers
    except FileRefused:
        return None
    scores = {}
    for part in PARTS:
        tpl = template(part)
        found = set(match_columns(headers, tpl, {}).fields) - {"identifiant_rsa"}
        scores[part] = len(found)
    best = max(scores, key=lambda p: scores[p])
    return best if scores[best] else None


class ParcoursSource(StagedSource):
    SOURCE = "parcours"
    TABLE = "parcours_personne"
    # Every table a load writes to (rows of a replaced load are deleted from each).
    TABLES = ("parcours_personne", "parcours_rdv", "parcours_prestation", "orientation")
    SUPERSEDE = "departement"
    MULTI_FILE = True
    FIELDS = None  # three staged tables, one per file
    DRIFT_SHARES: ClassVar[
        dict[str, tuple[str, str]]
    ] = {}  # drift compares the persons' count only

    def fill(self, con, facts, report, departement, options) -> None:
        """Stage the three files (persons first: the others are checked against it)."""
        threshold = report.threshold
        parts = facts.parts or (facts,)
        roles: dict[str, FileFacts] = {}
        for part in parts:
            role = role_of(part)
            if role is None or role in roles:
                report.findings.append(
                    Finding(
                        "role_parcours",
                        f"{part.file_name} : fichier parcours non reconnu ou en double "
                        "(attendu : un fichier personnes, un rendez-vous, un prestations).",
                    )
                )
                continue
            roles[role] = part
        for role in PARTS:
            if role not in roles and not report.blocking:
                report.findings.append(
                    Finding(
                        "fichier_absent",
                        f"Parcours : le fichier des {ROLE_LABELS[role]} manque ; les trois "
                        "fichiers (personnes, rendez-vous, prestations) se chargent ensemble.",
                    )
                )
        if report.blocking:
            return
        encodings = []
        for role in PARTS:
            sub = Report.for_file(role, roles[role], threshold)
            staged = stage_tabular(
                con,
                roles[role],
                sub,
                departement=departement,
                mapping=options.get("mapping") or {},
                suite_for=lambda _, r=role: (load_suite(r), _required(r)),
                extra=() if role == "parcours_personnes" else (KNOWN_PERSON,),
            )
            _merge(report, sub)
            encodings.append(f"{ROLE_LABELS[role]} : {sub.encoding}")
            if not staged:
                return
        report.encoding = " ; ".join(encodings)
        report.month = con.execute(
            """SELECT strftime(max(d), '%Y-%m') FROM (
                SELECT try_cast(date_rdv AS DATE) AS d FROM parcours_rendez_vous_fields
                UNION ALL SELECT try_cast(date_debut AS DATE) FROM parcours_prestations_fields
                UNION ALL SELECT try_cast(date_orientation AS DATE) FROM parcours_personnes_fields)
            WHERE d <= current_date"""
        ).fetchone()[0]

    def insert(
        self, con: duckdb.DuckDBPyConnection, report: Report, load_id: int, catalog: str = "wh"
    ) -> int:
        """Persons loaded (appointments and prestations go with them)."""
        run_staging_sql(
            con, self.SOURCE, catalog, {"load_id": load_id, "departement": report.departement}
        )
        return con.execute(
            f"SELECT count(*) FROM {catalog}.parcours_personne WHERE load_id = ?", [load_id]
        ).fetchone()[0]

    def quarantine_sql(self) -> str:
        """Rejected lines of the three files; the field names its file (line numbers are
        per file)."""
        return " UNION ALL ".join(
            f"SELECT line_no, '{ROLE_LABELS[p]} : ' || field, check_name, reason FROM {p}_rejected"
            for p in PARTS
        )


def _required(part: str) -> list[str]:
    return [c.name for c in template(part).columns if c.required]


def _merge(report: Report, sub: Report) -> None:
    report.departement = sub.departement
    report.lines_read += sub.lines_read
    report.rows_read += sub.rows_read
    report.rows_rejected += sub.rows_rejected
    report.findings += sub.findings
    for check in sub.checks:
        check.file_name = sub.file_name
    report.checks += sub.checks


parcours = ParcoursSource()
