"""The person-level tables after a monthly PECGM load, on a handful of rows built by hand:
the incremental path (`derived_pecgm_month.sql`) must give exactly what the views give,
and loads that cannot use it must fall back to the full refresh."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import personnes, warehouse

PECGM = (
    "INSERT INTO pecgm_stock (load_id, departement, mois, date_reference, line_no, person_key, "
    "cle_type, pe_key, code_commune_residence, date_notification_cer) "
    "VALUES (?, ?, ?, ?, 1, ?, 'NIR', ?, ?, ?)"
)
JANUARY = [
    # person, pe key, commune, CER date
    ("A", "EA", "20004", "2026-01-10"),
    ("B", "EB", "20004", "2026-01-12"),
    ("C", "EC", "20041", None),
    ("D", "ED", "20041", "2026-01-20"),
    ("G", "EG", "20004", None),  # absent in February: keeps everything
]
FEBRUARY = [
    ("A", "EA", "20096", "2026-01-10"),  # moved; same CER date: no second row
    ("B", "EB", None, "2026-02-03"),  # commune unknown: January's stays; a new CER date
    ("C", None, "20041", None),  # no PE id any more: the latest key is NULL
    ("D", "ED2", "20041", "2026-01-20"),  # new PE id: the latest one, in both tables
    ("H", "EH", "20096", "2026-02-15"),  # new person
]


def _insert(con, load_id: int, month: str, rows, departement: str = "2A") -> None:
    for person, pe, commune, cer in rows:
        con.execute(
            PECGM, [load_id, departement, f"{month}-01", f"{month}-28", person, pe, commune, cer]
        )


def _equals_views(con) -> None:
    for table, view in (
        ("date_contrat_personne", "date_contrat"),
        ("commune_personne", "personne_commune"),
    ):
        for a, b in ((table, view), (view, table)):
            assert con.execute(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall() == []


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as setup:
        warehouse.migrate(setup)
    con = duckdb.connect()  # attached as `wh`, as the loader attaches a new generation
    con.execute("ATTACH ? AS wh", [str(tmp_path / "wh.duckdb")])
    con.execute("USE wh")
    yield con
    con.close()


def test_monthly_loads_take_the_incremental_path_and_equal_the_views(con) -> None:
    con.execute(
        "INSERT INTO parcours_personne (load_id, departement, line_no, person_key, cle_type, "
        "pe_key, rsa_key, code_commune, date_contrat_engagement) VALUES "
        "(9, '2A', 1, 'A', 'NIR', 'EA', 'RA', '20004', '2026-01-10')"  # same date as PECGM's
    )
    _insert(con, 1, "2026-01", JANUARY)
    _insert(con, 5, "2026-01", [("Z", "EZ", "2B001", "2026-01-02")], departement="2B")
    personnes.refresh(con)
    _insert(con, 2, "2026-02", FEBRUARY)
    assert personnes.after_load(con, ("pecgm_stock",), 2, "2A", "2026-02", replaced=False) == "mois"
    _equals_views(con)
    communes = dict(
        con.execute(
            "SELECT person_key, code_commune || '/' || coalesce(pe_key, '-') "
            "FROM commune_personne WHERE rsa_key IS NULL AND departement = '2A'"
        ).fetchall()
    )
    assert communes == {
        "A": "20096/EA", "B": "20004/EB", "C": "20041/-", "D": "20041/ED2",
        "G": "20004/EG", "H": "20096/EH",
    }  # fmt: skip
    dates = con.execute(
        "SELECT person_key, count(*) FROM date_contrat_personne WHERE rsa_key IS NULL "
        "AND departement = '2A' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert dates == [("A", 1), ("B", 2), ("D", 2), ("H", 1)]  # D: new PE key, new row
    assert con.execute(
        "SELECT count(*) FROM commune_personne WHERE departement = '2B'"
    ).fetchone() == (1,)


@pytest.mark.parametrize(
    ("tables", "month", "replaced", "path"),
    [
        (("pecgm_stock",), "2026-02", True, "complet"),  # February sent again
        (("pecgm_stock",), "2025-12", False, "complet"),  # an earlier month, late
        (("pecgm_stock",), "2026-01", False, "complet"),  # same month as loaded
        (("parcours_personne", "parcours_rdv"), "2026-02", False, "complet"),
        (("orientation",), "2026-02", False, None),  # CGPEM: the views do not read it
    ],
)
def test_other_loads_recompute_the_departement_or_nothing(con, tables, month, replaced, path):
    _insert(con, 1, "2026-01", JANUARY)
    personnes.refresh(con)
    _insert(con, 2, month, FEBRUARY)
    assert personnes.after_load(con, tables, 2, "2A", month, replaced) == path
    if path:
        _equals_views(con)
