"""Territoires: a département's own grouping of communes, loaded from its CSV, shared by
every indicator (a partition of the département adds up), the CLI and the sidebar."""

from __future__ import annotations

import json
import shutil

import pytest

from dashboard.formatting import fmt_int, fmt_share
from pipelines import indicators, territoires, warehouse
from pipelines.access import User
from pipelines.cli import main
from pipelines.errors import UsageError
from pipelines.settings import SAMPLE_DIR
from tests.conftest import run_app

MAPPING = SAMPLE_DIR / "territoires" / "2A.csv"


@pytest.fixture
def con(sample_db):
    reader = warehouse.open_reader(sample_db)
    yield reader
    reader.close()


def test_the_demo_loads_the_sample_territoires(con) -> None:
    known = indicators.communes_par_territoire(con, "2A")
    assert list(known) == ["Extrême-Sud", "Ouest-Corse", "Pays ajaccien", "Taravo-Sartenais"]
    assert known["Pays ajaccien"] == ("2A004", "2A017")
    assert indicators.communes_par_territoire(con, "2B") == {}


def test_territoires_partition_the_departement(con) -> None:
    """Every PECGM person lives in one commune: the territoires' stocks and PECGM flows
    add up to the département's; person-linked families never exceed it."""
    month = "2026-06"
    whole = indicators.summary(con, "2A", month)
    parts = [
        indicators.summary(con, "2A", month, communes)
        for communes in indicators.communes_par_territoire(con, "2A").values()
    ]
    assert sum(p["stock_total"] for p in parts) == whole["stock_total"] > 0
    for code, n in whole["categorie"].items():
        assert sum(p["categorie"].get(code, 0) for p in parts) == n
    for key in ("cessations", "radiations"):
        assert sum(p[key] for p in parts) == whole[key]
    oriented = [sum(p["orientations"].values()) for p in parts]
    assert 0 < sum(oriented) <= sum(whole["orientations"].values())
    assert all(n > 0 for n in oriented)
    people = [p["heures_hebdo"]["personnes"] for p in parts]
    assert sum(people) == whole["heures_hebdo"]["personnes"]  # every parcours person has one
    curve = indicators.contrat_courbe(con, "2A", ("2A004", "2A017"))
    assert curve and max(r["effectif"] for r in curve) < max(
        r["effectif"] for r in indicators.contrat_courbe(con, "2A")
    )


def test_stock_of_a_territoire_counts_its_residents(con) -> None:
    expected = con.execute(
        "SELECT count(*) FROM pecgm_stock WHERE departement = '2A' AND mois = DATE '2026-06-01' "
        "AND code_commune_residence IN ('2A041', '2A247')"
    ).fetchone()[0]
    got = indicators.stock(con, "2A", "2026-06", ("2A041", "2A247"))["stock_total"]
    assert got == expected > 0


def test_cohorte_restricted_to_a_territoire(con) -> None:
    whole = indicators.cohorte(con, "2A", "orientation", "2026-01", "2026-06")
    south = indicators.cohorte(con, "2A", "orientation", "2026-01", "2026-06", ("2A041", "2A247"))
    assert 0 < south["orientes"] < whole["orientes"]


def test_cli_loads_lists_and_filters_by_territoire(sample_db, tmp_path, monkeypatch, capsys):
    db = tmp_path / "pilotage.duckdb"
    shutil.copy(sample_db, db)
    monkeypatch.setenv("PILOTAGE_DB", str(db))
    mapping = tmp_path / "territoires.csv"
    mapping.write_text(
        "Code commune,Territoire\n2A004,Nord\n2A017,Nord\n2A041,Sud\n", encoding="cp1252"
    )
    assert main(["territoires", str(mapping), "--departement", "2a"]) == 0
    out = capsys.readouterr().out
    assert "3 communes" in out and "Nord : 2A004, 2A017" in out
    assert main(["indicators", "--departement", "2A", "--month", "2026-06"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert "territoire" not in whole  # the contract is unchanged without --territoire
    args = ["indicators", "--departement", "2A", "--month", "2026-06", "--territoire", "Nord"]
    assert main(args) == 0
    north = json.loads(capsys.readouterr().out)
    assert north["territoire"] == "Nord" and 0 < north["stock_total"] < whole["stock_total"]
    assert main([*args[:-1], "Atlantide"]) == 2
    assert "Territoire inconnu" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("commune;nom\n2A004;Nord\n", "ligne 1 : en-tête attendu"),
        ("code_commune;territoire\n2A004;Nord\n2A9;Sud\n", "ligne 3, champ code_commune"),
        ("code_commune;territoire\n2B033;Nord\n", "hors du département 2A"),
        ("code_commune;territoire\n2A004;\n", "ligne 2, champ territoire"),
        ("code_commune;territoire\n2A004;Nord\n2A004;Sud\n", "déjà rattachée"),
    ],
)
def test_a_bad_territoire_file_is_refused_whole(tmp_path, text, message) -> None:
    path = tmp_path / "territoires.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as error:
        territoires.read_file(path, "2A")
    assert "territoires.csv" in str(error.value)


def test_sidebar_territoire_filters_every_figure_and_stays_in_the_url(sample_db, monkeypatch):
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    query = {"dep": "2A", "mois": "2026-06", "terr": "Pays ajaccien"}
    at = run_app(User("test", "comite", ("2A",)), query)
    assert not at.exception, at.exception
    reader = warehouse.open_reader(sample_db)
    expected = indicators.summary(reader, "2A", "2026-06", ("2A004", "2A017"))
    assert at.metric[0].value == fmt_int(expected["stock_total"])
    assert at.sidebar.selectbox[2].value == "Pays ajaccien"
    assert at.query_params["terr"] in ("Pays ajaccien", ["Pays ajaccien"])
    for page in ("pages/orientations.py", "pages/demandeurs.py", "pages/accompagnement.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert any("Territoire : Pays ajaccien" in c.value for c in at.caption), page


def test_synthese_compares_the_territoires(sample_db, monkeypatch) -> None:
    """Without a territoire chosen, Synthèse shows one row per territoire, with the figures of
    the indicator layer restricted to it, masked for the committee."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-06"})
    assert not any("territoire" in d.value.columns for d in at.dataframe)  # on demand only
    at.toggle(key="comparer_territoires").set_value(True).run()
    assert not at.exception, at.exception
    frame = next(d.value for d in at.dataframe if "territoire" in d.value.columns)
    reader = warehouse.open_reader(sample_db)
    known = indicators.communes_par_territoire(reader, "2A")
    assert list(frame["territoire"]) == list(known)
    for _, row in frame.iterrows():
        expected = indicators.summary(reader, "2A", "2026-06", known[row["territoire"]])
        assert row["inscrits"] == fmt_int(expected["stock_total"])  # all above 11 here
        cat = sum(n for c, n in expected["categorie"].items() if c in ("1", "2", "3"))
        assert row["catégories 1 à 3"] == fmt_share(cat / expected["stock_total"])
    chosen = run_app(
        User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-06", "terr": "Extrême-Sud"}
    )
    assert not chosen.toggle  # one territoire chosen: nothing to compare
