"""Person-level tables derived from the loaded data (migration 0009): one row per person
and contract date (`date_contrat_personne`), one per person and commune
(`commune_personne`). The views `date_contrat` and `personne_commune` define them; these
tables keep the indicator queries from re-reading every PECGM month of a département.
They are refreshed wherever the data change, inside the same write generation: after a
load that writes a table they read, and after a purge (for every département)."""

from __future__ import annotations

import duckdb

from pipelines.sources.staging import run_staging_sql

READS = frozenset({"pecgm_stock", "parcours_personne"})  # what the two views read


def refresh(
    con: duckdb.DuckDBPyConnection, departement: str | None = None, catalog: str = "wh"
) -> None:
    """Recompute both tables for `departement` (None: every département) from their views."""
    run_staging_sql(con, "derived", catalog, {"departement": departement})


def after_load(
    con: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    load_id: int,
    departement: str,
    month: str | None,
    replaced: bool,
) -> str | None:
    """Bring both tables up to date after a load; returns how ('mois', 'complet', None).

    A load writing neither table the views read (CGPEM, LRSA DE, reprise de stock) changes
    nothing. A PECGM month later than every month of the département, replacing nothing
    (the monthly routine), only adds its own persons: `derived_pecgm_month.sql` applies
    that change in time proportional to the file, not to the département's history.
    Anything else (a month sent again, an earlier month, parcours) recomputes the
    département.
    """
    if not READS.intersection(tables):
        return None
    if (
        tables == ("pecgm_stock",)
        and not replaced
        and _is_latest_month(con, load_id, departement, month)
    ):
        run_staging_sql(
            con, "derived_pecgm_month", "wh", {"load_id": load_id, "departement": departement}
        )
        return "mois"
    refresh(con, departement)
    return "complet"


def _is_latest_month(
    con: duckdb.DuckDBPyConnection, load_id: int, departement: str, month: str | None
) -> bool:
    if not month:
        return False
    latest = con.execute(
        "SELECT strftime(max(mois), '%Y-%m') FROM wh.pecgm_stock "
        "WHERE departement = ? AND load_id <> ?",
        [departement, load_id],
    ).fetchone()[0]
    return latest is None or latest < month
