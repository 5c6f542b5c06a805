"""Indicators, defined once in `sql/indicators/*.sql` (shared/spec/indicators.md).

Every page, export and the `indicators` command read figures through this module.
This version covers the PECGM stock family; other families arrive with their sources.
"""

from __future__ import annotations

from functools import cache

import duckdb

from pipelines.settings import SQL_DIR

SHARE_DECIMALS = 4


@cache
def indicator_sql(name: str) -> str:
    return (SQL_DIR / "indicators" / f"{name}.sql").read_text(encoding="utf-8")


def share(numerator: int, denominator: int) -> float | None:
    """A share in [0, 1], rounded; null when the denominator is 0 (shown « n.d. »)."""
    if not denominator:
        return None
    return round(numerator / denominator, SHARE_DECIMALS)


def stock(con: duckdb.DuckDBPyConnection, departement: str, month: str) -> dict:
    """Stock indicators of one PECGM month, as in the command-line contract."""
    rows = con.execute(
        indicator_sql("stock"), {"departement": departement, "mois": f"{month}-01"}
    ).fetchall()
    counts: dict[str, dict[str, int]] = {"categorie": {}, "modalite": {}, "axe": {}}
    scalars: dict[str, int] = {}
    for name, code, n in rows:
        if name in counts:
            counts[name][code] = int(n)
        else:
            scalars[name] = int(n)
    total = scalars.get("stock_total", 0)
    return {
        "stock_total": total,
        "categorie": dict(sorted(counts["categorie"].items())),
        "modalite": dict(sorted(counts["modalite"].items())),
        "axe": dict(sorted(counts["axe"].items())),
        "cer_notifie_share": share(scalars.get("cer_notifie", 0), total),
        "contact_90j_share": share(scalars.get("contact_90j", 0), total),
    }


def months_available(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """Months with a loaded PECGM file for a département, newest first."""
    rows = con.execute(
        "SELECT DISTINCT strftime(mois, '%Y-%m') FROM pecgm_stock WHERE departement = ? ORDER BY 1 DESC",
        [departement],
    ).fetchall()
    return [r[0] for r in rows]


def departements(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute("SELECT DISTINCT departement FROM pecgm_stock ORDER BY 1").fetchall()
    ]


def summary(con: duckdb.DuckDBPyConnection, departement: str, month: str) -> dict:
    """The JSON object of `python -m pipelines indicators` (unmasked: an operator tool)."""
    result = {"departement": departement, "month": month}
    result.update(stock(con, departement, month))
    result["orientations"] = None  # needs orientation sources (CGPEM, reprise de stock, parcours)
    return result
