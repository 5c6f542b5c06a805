"""Drift against the file a new one follows: the load it replaces when it is a corrected
re-send (same source, département and month), else the previous loaded file of the same
source and département.

Compares what the staged file holds with the warehouse as loaded: row count, each
category's and modality's share (PECGM), new or vanished codes, and persons present in the
previous file and missing now (PECGM, compared by keyed hash, at load time once the keys
exist). Thresholds live in `pipelines/drift.yaml`; drift beyond them is a warning that the
report shows first.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines import journal
from pipelines.readers.yaml_file import read_yaml
from pipelines.validation.report import AVERTISSEMENT, Finding, Report, percent

if TYPE_CHECKING:  # the sources import this module's package: the name only
    from pipelines.sources.protocol import Source

CONFIG = Path(__file__).resolve().parents[1] / "drift.yaml"


@cache
def thresholds() -> dict:
    return read_yaml(CONFIG)


def _reference_load(con, report: Report) -> dict | None:
    """The load this file is compared with: the current load it replaces when it is a
    corrected re-send (same source and département, and same month and list for the
    sources replaced month by month: `journal.replaced_by`, the rule the Chargement page
    names), else the latest loaded file of an earlier month (same list)."""
    replaced = journal.replaced_by(
        con, report.source, report.departement, report.month, report.variant, catalog="wh"
    )
    if replaced is not None:
        load_id, _, month, rows = replaced
        return {"chargement": load_id, "mois": month, "lignes": rows, "remplace": True}
    row = con.execute(
        """SELECT id, month, rows_loaded FROM wh.load_journal
        WHERE source = ? AND departement = ? AND status = 'loaded'
          AND variant IS NOT DISTINCT FROM ? AND (? IS NULL OR month < ?)
        ORDER BY month DESC, id DESC LIMIT 1""",
        [report.source, report.departement, report.variant, report.month, report.month],
    ).fetchone()
    if row is None:
        return None
    return {"chargement": row[0], "mois": row[1], "lignes": row[2], "remplace": False}


def reference_words(precedent: dict) -> dict[str, str]:
    """How the messages name the file compared with (`precedent` of a drift): « dans » /
    « depuis » / « du » it. Reports stored before re-sends were told apart have no
    `remplace`: theirs was the previous month's file."""
    if precedent.get("remplace"):
        name = f"chargement n° {precedent['chargement']} qu'il remplace"
        return {"dans": f"dans le {name}", "depuis": f"par rapport au {name}", "du": f"du {name}"}
    month = f" ({precedent['mois']})" if precedent.get("mois") else ""
    return {
        "dans": f"dans le fichier précédent{month}",
        "depuis": f"depuis {precedent['mois']}"
        if precedent.get("mois")
        else "depuis le fichier précédent",
        "du": f"du fichier précédent{month}",
    }


def comparison_sentence(drift: dict | None) -> str | None:
    """What a file was compared with, as the Chargement page and the HTML report say it:
    the load it replaces (a corrected re-send), else the previous month's file."""
    if not drift:
        return None
    p = drift["precedent"]
    if p.get("remplace"):
        head = f"Comparé au chargement n° {p['chargement']} qu'il remplace"
        head += f" ({p['mois']})" if p.get("mois") else ""
    else:
        head = f"Comparé au fichier précédent de la même source (chargement n° {p['chargement']}"
        head += f", {p['mois']})" if p.get("mois") else ")"
    change = drift.get("variation_lignes")
    moved = "" if change is None else f" : variation {'+' if change > 0 else ''}{percent(change)}"
    return f"{head}, qui comptait {p['lignes']} enregistrement(s){moved}."


def _shares(rows: list[tuple[str | None, int]]) -> dict[str, float]:
    total = sum(n for _, n in rows)
    return {(code or "non_renseigne"): n / total for code, n in rows} if total else {}


def compare(con: duckdb.DuckDBPyConnection, report: Report, source: Source) -> dict | None:
    """Drift of the staged file against the warehouse attached as `wh` (read only): the
    row count, and the shares of the families the source declares (`DRIFT_SHARES`, read
    in its staged `FIELDS` and its `TABLE`).

    Appends warnings to the report and returns the drift summary (also kept in the report).
    """
    if not report.departement:
        return None
    previous = _reference_load(con, report)
    if previous is None:
        return None
    limits = thresholds()
    load_id, rows = previous["chargement"], previous["lignes"]
    words = reference_words(previous)
    now = report.rows_read - report.rows_rejected
    drift: dict = {"precedent": previous}
    change = (now - rows) / rows if rows else None
    drift["variation_lignes"] = round(change, 4) if change is not None else None
    warnings = []
    if change is not None and abs(change) > limits["row_count_change"]:
        warnings.append(
            f"{now} enregistrements contre {rows} {words['dans']} : "
            f"{'+' if change > 0 else ''}{percent(change)}."
        )
    if source.DRIFT_SHARES:
        drift["parts"] = {}
        for family, (staged, stored) in source.DRIFT_SHARES.items():
            before = _shares(
                con.execute(
                    f"SELECT {stored}, count(*) FROM wh.{source.TABLE} WHERE load_id = ? GROUP BY 1",
                    [load_id],
                ).fetchall()
            )
            after = _shares(
                con.execute(f"SELECT {staged}, count(*) FROM {source.FIELDS} GROUP BY 1").fetchall()
            )
            moved = {
                code: round(after.get(code, 0) - before.get(code, 0), 4)
                for code in sorted(set(before) | set(after))
            }
            drift["parts"][family] = moved
            new, gone = sorted(set(after) - set(before)), sorted(set(before) - set(after))
            since = words["depuis"]
            if new:
                warnings.append(f"{family} : code(s) nouveau(x) {since} : {', '.join(new)}.")
            if gone:
                warnings.append(f"{family} : code(s) disparu(s) {since} : {', '.join(gone)}.")
            if min(now, rows) >= limits["min_rows_for_shares"]:
                for code, delta in moved.items():
                    if abs(delta) > limits["share_change"] and code not in new + gone:
                        points = f"{abs(delta) * 100:.1f}".replace(".", ",")
                        warnings.append(
                            f"{family} {code} : part {'en hausse' if delta > 0 else 'en baisse'} "
                            f"de {points} points {since}."
                        )
    for message in warnings:
        report.findings.insert(
            0, Finding("derive", f"{report.file_name} : dérive — {message}", AVERTISSEMENT)
        )
    drift["avertissements"] = len(warnings)
    report.drift = drift
    return drift


REFERENCE_PERSONS = "drift_reference_persons"  # temp table: see keep_reference_persons


def keep_reference_persons(con: duckdb.DuckDBPyConnection, report: Report) -> None:
    """At load time, before the load deletes the rows it replaces: the persons of the
    PECGM file this one is compared with, kept aside, for a corrected re-send is compared
    with the very load it deletes."""
    if report.source != "pecgm" or not report.drift:
        return
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {REFERENCE_PERSONS} AS "
        "SELECT person_key FROM wh.pecgm_stock WHERE load_id = ?",
        [report.drift["precedent"]["chargement"]],
    )


def missing_persons(con: duckdb.DuckDBPyConnection, report: Report, load_id: int) -> None:
    """At load time (keys exist): persons of the file compared with absent from this one
    (`keep_reference_persons` kept them before the load)."""
    if report.source != "pecgm" or not report.drift:
        return
    before, missing = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE person_key NOT IN
               (SELECT person_key FROM wh.pecgm_stock WHERE load_id = ?))
        FROM {REFERENCE_PERSONS}""",
        [load_id],
    ).fetchone()
    con.execute(f"DROP TABLE {REFERENCE_PERSONS}")
    share = missing / before if before else None
    report.drift["personnes_absentes"] = {
        "nombre": missing,
        "part": round(share, 4) if share is not None else None,
    }
    if share is not None and share > thresholds()["missing_persons_share"]:
        words = reference_words(report.drift["precedent"])
        report.findings.insert(
            0,
            Finding(
                "derive",
                f"{report.file_name} : dérive — {missing} personnes {words['du']} "
                f"({percent(share)}) n'y figurent plus.",
                AVERTISSEMENT,
            ),
        )
