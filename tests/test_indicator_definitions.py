"""Each indicator SQL file against the unit tests of the YAML file beside it (dbt style):
the given rows go into a real warehouse built by the migrations, the SQL runs as the
product runs it (`indicators.run`, parameters bound by `indicators.parameters`), and its
rows must be the expected ones. docs/indicateurs.md is generated from the same files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import indicateurs_doc, indicators, personnes, warehouse

DEFINITIONS = indicateurs_doc.definitions()
CASES = [
    pytest.param(d, case, id=f"{d['fichier']}:{case['nom']}")
    for d in DEFINITIONS
    for case in d["unit_tests"]
]
# kaplan_meier.sql is a tail appended to a WITH clause ending with a `durations` CTE: its
# given rows are that CTE's (table `durees`), the chain every curve hands it.
KAPLAN_MEIER_CHAIN = "WITH durations AS (SELECT cohorte, t, evenement FROM durees)"
DUREES = "CREATE TABLE durees (cohorte VARCHAR, t INTEGER, evenement BOOLEAN)"


def test_every_indicator_sql_has_its_definition_and_unit_tests():
    files = {p.stem for p in indicateurs_doc.INDICATORS_DIR.glob("*.sql")}
    described = {d["fichier"] for d in DEFINITIONS}
    assert files == described, "un fichier SQL d'indicateur sans définition YAML (ou l'inverse)"
    for d in DEFINITIONS:
        assert d["unit_tests"], f"{d['fichier']}.yaml : aucun test unitaire"
        for field in indicateurs_doc.REQUIRED:
            assert str(d.get(field) or "").strip(), f"{d['fichier']}.yaml : « {field} » manque"


def test_docs_indicateurs_md_is_generated_from_the_definitions():
    assert indicateurs_doc.DOC.read_text(encoding="utf-8") == indicateurs_doc.render(), (
        "docs/indicateurs.md est à régénérer : python -m pipelines.indicateurs_doc --write"
    )


def _warehouse() -> duckdb.DuckDBPyConnection:
    """A migrated in-memory warehouse, catalog `wh` as the loads write it."""
    con = duckdb.connect()
    con.execute("ATTACH ':memory:' AS wh")
    con.execute("USE wh")
    warehouse.migrate(con)
    warehouse.refresh_nomenclatures(con)
    return con


def _insert(con, table: str, rows: list[dict], departement: str) -> None:
    """Rows as the loads write them; the bookkeeping columns a definition does not care
    about (load_id, line_no, departement) take the test's values."""
    defaults = {"load_id": 1, "departement": departement}
    columns = {
        c for (c,) in con.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()
    }
    for number, row in enumerate(rows, start=1):
        full = {**defaults, "line_no": number, **row}
        full = {k: v for k, v in full.items() if k in columns or k in row}
        names = ", ".join(full)
        marks = ", ".join("?" for _ in full)
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(full.values()))


def _bound(name: str, given_params: dict) -> dict:
    """The parameters the product binds for these arguments."""
    p = dict(given_params)
    if name == "cohorte":
        filters = {k: p.pop(k) for k in indicators.COHORTE_FILTERS if k in p}
        return indicators.cohorte_parameters(
            p.pop("departement"),
            p.pop("base"),
            p.pop("mois_debut"),
            p.pop("mois_fin"),
            tuple(p.pop("communes") or ()) or None,
            p.pop("horizon", None),
            p.pop("immatures", "marquer"),
            filters,
        )
    if name.endswith("_grille"):  # a period and a partition, not a month and a territoire
        return indicators.grille_parameters(p["departement"], p["mois"], p["territoires"])
    if name == "liaison_flux":  # the département as a whole: its only parameter
        return {"departement": p["departement"]}
    communes = p.pop("communes", None)
    if name in indicators.PERIOD_FAMILIES:  # a month is the period of that month
        debut, fin = p.pop("periode", None) or (p["mois"], p.pop("mois"))
        return indicators.period_parameters(
            p.pop("departement"), debut, fin, tuple(communes) if communes else None, **p
        )
    return indicators.parameters(
        p.pop("departement"), p.pop("mois", None), tuple(communes) if communes else None, **p
    )


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _rows(con, name: str, params: dict) -> list[dict]:
    if name == "kaplan_meier":
        cursor = con.execute(indicators.kaplan_meier_sql(KAPLAN_MEIER_CHAIN))
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return indicators.run(con, name, params)


@pytest.mark.parametrize(("definition", "case"), CASES)
def test_indicator_sql_gives_the_expected_rows(definition, case):
    name = definition["fichier"]
    params = case.get("parametres") or {"departement": "2A"}
    with _case_warehouse() as con:
        _check_case(con, name, params, case)


@contextmanager
def _case_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """The worker's migrated warehouse (`_macros`), empty, inside a transaction rolled back
    after the case: each case starts from the same empty tables, without paying the
    migrations again (a tenth of a second each, over a hundred cases)."""
    con = _macros()
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    finally:
        con.execute("ROLLBACK")


def _check_case(con, name: str, params: dict, case: dict) -> None:
    if name == "kaplan_meier":
        con.execute(DUREES)
    for table, rows in (case.get("donnees") or {}).items():
        _insert(con, table, rows, params["departement"])
    personnes.refresh(con, catalog="wh")  # as every load does
    got = [{k: _plain(v) for k, v in row.items()} for row in _rows(con, name, _bound(name, params))]
    for column, kept in (case.get("garder") or {}).items():  # a long output: some rows only
        got = [row for row in got if row[column] in kept]
    expected = [{k: _plain(v) for k, v in row.items()} for row in case["attendu"]]
    compared = [{k: row.get(k) for k in expected[0]} for row in got] if expected else got
    assert sorted(map(repr, compared)) == sorted(map(repr, expected)), case["nom"]


@cache
def _macros() -> duckdb.DuckDBPyConnection:
    """The worker's migrated warehouse, built once: its macros for the share test, its
    empty tables for each unit case (`_case_warehouse`)."""
    return _warehouse()


@settings(deadline=None)  # the first example builds the warehouse
@given(st.integers(0, 100_000), st.integers(0, 100_000))
def test_the_sql_share_is_the_python_share(numerator, denominator):
    """Macro `part` rounds as Python's round() did (half to even on the binary value):
    moving the shares into SQL changed no figure."""
    numerator = min(numerator, denominator)
    got = _macros().execute("SELECT part(?, ?)", [numerator, denominator]).fetchone()[0]
    assert got == indicators.share(numerator, denominator)
