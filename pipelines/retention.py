"""Limited storage and destruction (docs/securite.md#15-conservation-limitée-et-destruction).

`purge_before(month)` deletes every row dated before a month, in every data table;
`purge_all()` ends an agreement: all data, quarantine, stored reports and uploaded files.
Both write one `purge_journal` row (what, when, who) and leave the load journal's history
(file names, counts, no personal value) in place. A configured retention
(`PILOTAGE_RETENTION_MOIS`) is applied after each load by the loader.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import generation, personnes
from pipelines.errors import UsageError
from pipelines.mois import shift_month

# Table -> the date column that places a row in time.
DATED = {
    "pecgm_stock": "mois",
    "lrsa_de": "mois",
    "orientation": "date_orientation",
    "parcours_personne": "coalesce(date_orientation, date_entree_dispositif, date_ouverture_droits)",
    "parcours_rdv": "date_rdv",
    "parcours_prestation": "date_debut",
    "ft_statut": "date_collecte",
    "ft_contrainte": "date_collecte",
    "caf_beneficiaire": "date_reference",
}


def retention_months() -> int | None:
    value = os.environ.get("PILOTAGE_RETENTION_MOIS")
    return int(value) if value else None


def _delete(con: duckdb.DuckDBPyConnection, where: dict[str, str]) -> dict[str, int]:
    counts = {}
    for table, condition in where.items():
        counts[table] = con.execute(f"DELETE FROM wh.{table} WHERE {condition}").fetchone()[0]
    return counts


def _journal(con, operator: str, scope: str, reason: str, counts: dict) -> None:
    con.execute(
        "INSERT INTO wh.purge_journal (purged_at, operator, scope, reason, rows_json) VALUES (?, ?, ?, ?, ?)",
        [datetime.now(), operator, scope, reason, json.dumps(counts)],
    )


def uploads_dir(db_path: Path) -> Path:
    """Where the Chargement page keeps uploaded files until they are loaded."""
    return db_path.parent / "depots"


def collectes_dir(db_path: Path) -> Path:
    """Where an interrupted France Travail collection keeps its resume state (person keys
    and collected codes, never a NIR or an identifier) until it is loaded."""
    return db_path.parent / "collectes"


def arrivals_dir(db_path: Path) -> Path:
    """Where files sent by France Travail or the département's services arrive (an SFTP
    drop, say): PILOTAGE_ARRIVEES, else <warehouse dir>/arrivees. The Chargement page lists
    them, so a national file need not go through the browser; `purge --all` deletes them."""
    configured = os.environ.get("PILOTAGE_ARRIVEES")
    return Path(configured) if configured else db_path.parent / "arrivees"


def apply_retention(
    con: duckdb.DuckDBPyConnection, month: str | None, operator: str
) -> dict | None:
    """After a load (inside its generation): purge what is older than the retention."""
    months = retention_months()
    if not months or not month:
        return None
    cutoff = shift_month(month, -months)
    older = sum(
        con.execute(f"SELECT count(*) FROM wh.{t} WHERE {c} < DATE '{cutoff}-01'").fetchone()[0]
        for t, c in DATED.items()
    )
    if not older:
        return None
    return purge_rows_before(con, cutoff, operator, "conservation automatique")


def purge_rows_before(
    con: duckdb.DuckDBPyConnection, month: str, operator: str, reason: str
) -> dict:
    """Inside an open write generation attached as `wh`."""
    cutoff = f"DATE '{month}-01'"
    counts = _delete(con, {t: f"{c} < {cutoff}" for t, c in DATED.items()})
    counts["quarantine"] = con.execute(
        "DELETE FROM wh.quarantine WHERE load_id IN (SELECT id FROM wh.load_journal "
        f"WHERE month < '{month}')"
    ).fetchone()[0]
    _journal(con, operator, f"avant {month}", reason, counts)
    personnes.refresh(con)  # the person-level tables follow the purge
    return counts


def _check_month(month: str) -> None:
    try:
        datetime.strptime(month, "%Y-%m")
    except ValueError as error:
        raise UsageError(f"--before attend AAAA-MM (reçu « {month} »).") from error


def purge_before(db_path: Path, month: str, operator: str) -> dict:
    _check_month(month)
    return generation.in_generation(
        db_path, lambda con: purge_rows_before(con, month, operator, "commande")
    )


def purge_all(db_path: Path, operator: str, upload_dirs: tuple[Path, ...] = ()) -> dict:
    """End of an agreement: every data row, quarantined line and stored report; the
    uploaded files too. The journal rows stay (history, no personal value) with one
    purge_journal row."""

    def run(con) -> dict:
        counts = _delete(con, dict.fromkeys(DATED, "TRUE"))
        counts["quarantine"] = con.execute("DELETE FROM wh.quarantine").fetchone()[0]
        counts["rapports"] = con.execute(
            "UPDATE wh.load_journal SET report_json = NULL WHERE report_json IS NOT NULL"
        ).fetchone()[0]
        _journal(con, operator, "tout", "fin de convention", counts)
        personnes.refresh(con)  # the person-level tables follow the purge
        return counts

    counts = generation.in_generation(db_path, run)
    removed = 0
    for folder in upload_dirs:
        if folder.exists():
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
    counts["fichiers_deposes"] = removed
    return counts
