"""Drift against the previous loaded file of the same source and département.

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

from pipelines.readers.yaml_file import read_yaml
from pipelines.validation.report import AVERTISSEMENT, Finding, Report, percent

if TYPE_CHECKING:  # the sources import this module's package: the name only
    from pipelines.sources.protocol import Source

CONFIG = Path(__file__).resolve().parents[1] / "drift.yaml"


@cache
def thresholds() -> dict:
    return read_yaml(CONFIG)


def _previous_load(con, report: Report) -> tuple[int, str, int] | None:
    """(load id, month, rows) of the latest loaded file before this one, same source,
    département (and list)."""
    row = con.execute(
        """SELECT id, month, rows_loaded FROM wh.load_journal
        WHERE source = ? AND departement = ? AND status = 'loaded'
          AND variant IS NOT DISTINCT FROM ? AND (? IS NULL OR month < ?)
        ORDER BY month DESC, id DESC LIMIT 1""",
        [report.source, report.departement, report.variant, report.month, report.month],
    ).fetchone()
    return tuple(row) if row else None


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
    previous = _previous_load(con, report)
    if previous is None:
        return None
    limits = thresholds()
    load_id, month, rows = previous
    now = report.rows_read - report.rows_rejected
    drift: dict = {"precedent": {"chargement": load_id, "mois": month, "lignes": rows}}
    change = (now - rows) / rows if rows else None
    drift["variation_lignes"] = round(change, 4) if change is not None else None
    warnings = []
    if change is not None and abs(change) > limits["row_count_change"]:
        warnings.append(
            f"{now} enregistrements contre {rows} dans le fichier précédent ({month}) : "
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
            if new:
                warnings.append(f"{family} : code(s) nouveau(x) depuis {month} : {', '.join(new)}.")
            if gone:
                warnings.append(
                    f"{family} : code(s) disparu(s) depuis {month} : {', '.join(gone)}."
                )
            if min(now, rows) >= limits["min_rows_for_shares"]:
                for code, delta in moved.items():
                    if abs(delta) > limits["share_change"] and code not in new + gone:
                        warnings.append(
                            f"{family} {code} : part {'en hausse' if delta > 0 else 'en baisse'} "
                            f"de {abs(delta) * 100:.1f} points depuis {month}.".replace(".", ",", 1)
                        )
    for message in warnings:
        report.findings.insert(
            0, Finding("derive", f"{report.file_name} : dérive — {message}", AVERTISSEMENT)
        )
    drift["avertissements"] = len(warnings)
    report.drift = drift
    return drift


def missing_persons(con: duckdb.DuckDBPyConnection, report: Report, load_id: int) -> None:
    """At load time (keys exist): persons of the previous PECGM file absent from this one."""
    if report.source != "pecgm" or not report.drift:
        return
    previous = report.drift["precedent"]["chargement"]
    before, missing = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE person_key NOT IN
               (SELECT person_key FROM wh.pecgm_stock WHERE load_id = ?))
        FROM wh.pecgm_stock WHERE load_id = ?""",
        [load_id, previous],
    ).fetchone()
    share = missing / before if before else None
    report.drift["personnes_absentes"] = {
        "nombre": missing,
        "part": round(share, 4) if share is not None else None,
    }
    if share is not None and share > thresholds()["missing_persons_share"]:
        report.findings.insert(
            0,
            Finding(
                "derive",
                f"{report.file_name} : dérive — {missing} personnes du fichier précédent "
                f"({percent(share)}) n'y figurent plus.",
                AVERTISSEMENT,
            ),
        )
