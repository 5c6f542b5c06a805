"""LRSA DE: the four monthly lists of RSA beneficiaries registered as job seekers.

Template `layouts/lrsa.yaml`, checks `expectations/lrsa.json` (each expectation says in
`meta.listes` which lists it applies to), load `sql/staging/lrsa.sql`. The list is
`--liste`, else detected: from the columns (a cessation or radiation date), then from the
file name for the two lists that share their columns (inscriptions, inscrits). The month
the list is published for is `--month`, else a YYYYMM or YYYY-MM in the file name, else
deduced from the dates (events of M-1, or M-2 for cessations) with a warning.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb

from pipelines.errors import FileUnusable
from pipelines.readers.tabular import template
from pipelines.sources.tabular import TabularSource, month_of_latest
from pipelines.validation.report import AVERTISSEMENT, Finding, Report
from pipelines.validation.suite import Suite, for_variant, load_suite

LISTES = ("inscriptions", "inscrits", "cessations", "radiations")
# Months between the events a list holds and the month it is published for.
LAG = {"inscriptions": 1, "inscrits": 1, "cessations": 2, "radiations": 1}
EVENT_COLUMN = {
    "inscriptions": "date_inscription",
    "inscrits": "date_inscription",
    "cessations": "date_cessation",
    "radiations": "date_radiation",
}
MONTH_IN_NAME = re.compile(r"(20\d\d)[-_]?(0[1-9]|1[0-2])(?!\d)")


def detect_liste(matched: set[str], file_name: str) -> str | None:
    """The list a file holds, from its columns, then its name; None when undecidable."""
    if "date_cessation" in matched:
        return "cessations"
    if "date_radiation" in matched:
        return "radiations"
    name = file_name.lower()
    if "inscrit" in name and "inscription" not in name:
        return "inscrits"
    if "inscription" in name or "entree" in name:
        return "inscriptions"
    return None


def _shift(month: str, months: int) -> str:
    year, m = map(int, month.split("-"))
    index = year * 12 + m - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class LrsaSource(TabularSource):
    def suite_for(self, matched: set[str], options: dict) -> tuple[Suite, list[str]]:
        liste = options.get("liste") or detect_liste(matched, options.get("file_name", ""))
        if liste is None:
            raise FileUnusable(
                "Liste LRSA DE non reconnue d'après les colonnes ni le nom du fichier : "
                "précisez la liste (inscriptions ou inscrits ; option --liste en ligne de "
                "commande)."
            )
        if liste not in LISTES:
            raise FileUnusable(f"Liste inconnue : « {liste} » (attendu : {', '.join(LISTES)}).")
        options["liste"] = liste
        required = [c for c in template(self.SOURCE).variants[liste] if c != "categorie"]
        return for_variant(load_suite(self.SOURCE), liste), required

    def month(self, con: duckdb.DuckDBPyConnection, report: Report, options: dict) -> str | None:
        report.variant = options["liste"]
        if options.get("mois"):
            return options["mois"]
        found = MONTH_IN_NAME.search(report.file_name)
        if found:
            return f"{found.group(1)}-{found.group(2)}"
        latest = month_of_latest(con, "lrsa_fields", EVENT_COLUMN[report.variant])
        if latest is None:
            return None
        month = _shift(latest, LAG[report.variant])
        report.findings.append(
            Finding(
                "mois_deduit",
                f"{report.file_name} : mois de publication déduit des dates ({month}) ; "
                "précisez --month AAAA-MM, ou mettez AAAAMM dans le nom du fichier.",
                AVERTISSEMENT,
            )
        )
        return month

    def insert_params(self, report: Report, load_id: int) -> dict[str, object]:
        return {
            "load_id": load_id,
            "departement": report.departement,
            "mois": date.fromisoformat(f"{report.month}-01"),
            "liste": report.variant,
        }


lrsa = LrsaSource("lrsa", "lrsa_de", supersede="month", month_column="date_inscription")
