"""Person-level tables derived from the loaded data (migration 0009): one row per person
and contract date (`date_contrat_personne`), one per person and commune
(`commune_personne`). The views `date_contrat` and `personne_commune` define them; these
tables keep the indicator queries from re-reading every PECGM month of a département.
They are refreshed wherever the data change: after each load (for its département) and
after a purge (for all), inside the same write generation."""

from __future__ import annotations

import duckdb

from pipelines.sources.common import run_staging_sql


def refresh(
    con: duckdb.DuckDBPyConnection, departement: str | None = None, catalog: str = "wh"
) -> None:
    run_staging_sql(con, "derived", catalog, {"departement": departement})
