"""Data date and maturity on warehouses built by hand: each share's window checked at its
edge (the day before it closes, the day it closes), the Synthèse tiles and sentences on
the latest complete cohorte, and the cohorte funnel at equal follow-up."""

from __future__ import annotations

import duckdb
import pytest

from dashboard import headlines
from dashboard.widgets import PARCOURS_LABELS
from pipelines import indicators, personnes, warehouse
from tests.test_indicators import ORIENTATION, PECGM

NNBSP = "\u202f"


def _warehouse(tmp_path, orientations, pecgm=()) -> duckdb.DuckDBPyConnection:
    """A warehouse holding only the given orientation and PECGM rows (same columns as the
    inserts of test_indicators), derived tables refreshed as a load does."""
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    warehouse.migrate(con)
    warehouse.refresh_nomenclatures(con)
    con.executemany(ORIENTATION, list(orientations))
    if pecgm:
        con.executemany(PECGM, list(pecgm))
    personnes.refresh(con, catalog="wh")
    return con


def _anchor(day: str) -> tuple:
    """An orientation of someone without an entry date: it only sets the latest decision
    date, the data date of a family without a reference date."""
    return ("cgpem", "ZZ", "EZ", day, "social", None)


# September entry cohorte: closes 30 days after 30 September on 30 October, 42 days after
# on 11 November.
@pytest.mark.parametrize(
    ("data_date", "share_30j", "share_6sem"),
    [
        ("2026-10-29", True, True),  # the day before the 30-day window closes
        ("2026-10-30", False, True),  # the day it closes
        ("2026-11-10", False, True),  # the day before the 42-day window closes
        ("2026-11-11", False, False),  # the day it closes
    ],
)
def test_orientation_shares_mature_at_their_own_window(
    tmp_path, data_date, share_30j, share_6sem
) -> None:
    con = _warehouse(
        tmp_path,
        [("stock", "P1", "E1", "2026-09-20", "social", "2026-09-10"), _anchor(data_date)],
    )
    got = indicators.delai_orientation(con, "2A", "2026-09")
    assert got["date_donnees"] == data_date
    assert got["orientes_30j_provisoire"] is share_30j
    assert got["orientes_6sem_provisoire"] is share_6sem
    assert got["delai_orientation_provisoire"] is share_6sem  # its longest window
    assert got["par_sexe"]["non_renseigne"]["orientes_30j_provisoire"] is share_30j
    summary = indicators.summary(con, "2A", "2026-09")
    assert summary["orientes_30j_provisoire"] is share_30j
    assert summary["orientes_6sem_provisoire"] is share_6sem
    assert summary["date_donnees"]["delai_orientation"] == data_date


# September orientation cohorte: 30 days close on 30 October, 60 days on 29 November. The
# PECGM reference date is the data date even though a decision is dated later.
@pytest.mark.parametrize(
    ("reference", "share_30j", "share_60j"),
    [
        ("2026-10-29", True, True),
        ("2026-10-30", False, True),
        ("2026-11-28", False, True),
        ("2026-11-29", False, False),
    ],
)
def test_contract_shares_mature_at_their_own_window(
    tmp_path, reference, share_30j, share_60j
) -> None:
    con = _warehouse(
        tmp_path,
        [("cgpem", "P1", "E1", "2026-09-20", "social", None), _anchor("2026-12-15")],
        [("2026-10-01", reference, "N1", "E1", "2026-10-05", None, None)],
    )
    got = indicators.contrat(con, "2A", "2026-09")
    assert got["date_donnees"] == reference  # the reference date, not the later decision
    assert got["contrat_30j_share"] == 1.0  # contract 15 days after orientation
    assert got["contrat_30j_provisoire"] is share_30j
    assert got["contrat_60j_provisoire"] is share_60j
    assert got["delai_contrat_provisoire"] is share_60j
    assert indicators.summary(con, "2A", "2026-09")["contrat_60j_provisoire"] is share_60j


@pytest.fixture
def cohortes(tmp_path) -> duckdb.DuckDBPyConnection:
    """Entry cohortes with a data date of 31 October 2026 (the latest decision):
    August (complete): A1 oriented in 10 days, A2 in 40: 50 % within 30 days, median 10;
    September (30 days complete, 42 not): S1 5 days, S2 12, S3 20, S4 46: 75 %, median 12;
    October (provisional): O1 oriented in 2 days: 100 %, the artefact never shown."""
    return _warehouse(
        tmp_path,
        [
            ("stock", "A1", "EA1", "2026-08-11", "social", "2026-08-01"),
            ("stock", "A2", "EA2", "2026-09-12", "social", "2026-08-03"),
            ("stock", "S1", "ES1", "2026-09-06", "social", "2026-09-01"),
            ("stock", "S2", "ES2", "2026-09-14", "social", "2026-09-02"),
            ("stock", "S3", "ES3", "2026-09-23", "social", "2026-09-03"),
            ("stock", "S4", "ES4", "2026-10-20", "social", "2026-09-04"),
            ("stock", "O1", "EO1", "2026-10-31", "social", "2026-10-29"),
        ],
    )


def _series(con, family: str) -> headlines.Series:
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    return [(m, getattr(indicators, family)(con, "2A", m)) for m in months]


def test_tiles_use_the_latest_complete_cohorte_and_name_it(cohortes) -> None:
    series = {f: _series(cohortes, f) for f in headlines.COHORTE_FAMILIES}
    median, within_30, *_ = headlines.cohorte_tiles(series, "2026-10", limit=1)
    assert (within_30.cohorte, within_30.previous) == ("2026-09", "2026-08")
    assert (within_30.value, within_30.delta_words) == (
        f"75,0{NNBSP}%",
        "+25,0 points sur la cohorte précédente",
    )
    assert within_30.caption == "cohorte de septembre 2026"
    # the median needs 42 days: September is still provisional, August is shown
    assert (median.cohorte, median.value, median.delta_words) == ("2026-08", "10 j", None)
    assert median.caption == "cohorte d'août 2026"
    # a month chosen earlier: its own cohortes only
    earlier = headlines.cohorte_tiles(series, "2026-08", limit=1)[1]
    assert (earlier.cohorte, earlier.value, earlier.previous) == ("2026-08", f"50,0{NNBSP}%", None)


def test_a_tile_without_complete_cohorte_says_nd(cohortes) -> None:
    series = {
        "delai_orientation": [("2026-10", indicators.delai_orientation(cohortes, "2A", "2026-10"))]
    }
    tile = headlines.cohorte_tiles(series, "2026-10", limit=1)[1]
    assert (tile.value, tile.cohorte, tile.caption) == ("n.d.", None, None)


def test_tiles_hide_a_cohorte_too_small_to_publish(cohortes) -> None:
    series = {f: _series(cohortes, f) for f in headlines.COHORTE_FAMILIES}
    within_30 = headlines.cohorte_tiles(series, "2026-10", limit=11)[1]
    assert (within_30.cohorte, within_30.value, within_30.delta_words) == (
        "2026-09",
        "n.d.",
        None,
    )


def test_sentences_compare_complete_cohortes_and_name_them(cohortes) -> None:
    series = {f: _series(cohortes, f) for f in headlines.COHORTE_FAMILIES}
    tiles = headlines.cohorte_tiles(series, "2026-10", limit=1)
    current = {"stock_total": 120, "orientations": {"social": 3, "professionnel": 1}}
    previous = {"stock_total": 100}
    delta = current["stock_total"] - previous["stock_total"]
    got = headlines.sentences(delta, current, "2026-10", "2026-09", tiles, PARCOURS_LABELS)
    assert got == [
        "Le nombre de bénéficiaires du RSA inscrits à France Travail augmente de 20 par "
        "rapport à septembre 2026.",
        f"Orientés en 30 jours : 75,0{NNBSP}% pour la cohorte de septembre 2026, contre "
        f"50,0{NNBSP}% pour la cohorte d'août 2026.",
        "Le parcours le plus prescrit en octobre 2026 est le parcours social.",
    ]


@pytest.fixture
def funnel(tmp_path) -> duckdb.DuckDBPyConnection:
    """Data date 31 October 2026 (PECGM reference date). August entry cohorte: X1 entered
    5 August, oriented on day 15, contract on day 25 (CER 30 August, via the PE key); X2
    entered 10 August, oriented on day 46 (25 September), no contract. October entry
    cohorte, which has not had 30 days yet: Y1 entered 1 October, oriented on day 9."""
    return _warehouse(
        tmp_path,
        [
            ("stock", "X1", "EX1", "2026-08-20", "social", "2026-08-05"),
            ("stock", "X2", "EX2", "2026-09-25", "social", "2026-08-10"),
            ("stock", "Y1", "EY1", "2026-10-10", "social", "2026-10-01"),
        ],
        [("2026-10-01", "2026-10-31", "NX1", "EX1", "2026-08-30", None, None)],
    )


def test_funnel_at_equal_follow_up(funnel) -> None:
    august = indicators.cohorte(funnel, "2A", "entree", "2026-08", "2026-08", horizon=30)
    assert {k: august[k] for k in ("entres", "orientes", "contrat", "provisoire")} == {
        "entres": 2,
        "orientes": 1,  # X2's orientation on day 46 is past the horizon
        "contrat": 1,
        "provisoire": False,
    }
    assert august["delai_orientation_median"] == 15
    assert august["date_donnees"] == "2026-10-31"
    unbounded = indicators.cohorte(funnel, "2A", "entree", "2026-08", "2026-08")
    assert (unbounded["orientes"], unbounded["provisoire"]) == (2, None)
    october = indicators.cohorte(funnel, "2A", "entree", "2026-10", "2026-10", horizon=30)
    assert (october["entres"], october["orientes"], october["provisoire"]) == (1, 1, True)
    left_out = indicators.cohorte(
        funnel, "2A", "entree", "2026-10", "2026-10", horizon=30, immatures="exclure"
    )
    assert (left_out["entres"], left_out["mois_exclus"], left_out["provisoire"]) == (0, 1, False)
    # August to October, immature months left out: October goes, September (closed on
    # 30 October) stays
    span = indicators.cohorte(
        funnel, "2A", "entree", "2026-08", "2026-10", horizon=30, immatures="exclure"
    )
    assert (span["entres"], span["orientes"], span["mois_exclus"]) == (2, 1, 1)
    # since orientation: X1's contract 10 days after it is within 30 days
    oriented = indicators.cohorte(funnel, "2A", "orientation", "2026-08", "2026-08", horizon=30)
    assert (oriented["entres"], oriented["contrat"], oriented["provisoire"]) == (1, 1, False)


def test_cohorte_curves_censor_at_the_data_date(funnel) -> None:
    curves = indicators.cohorte_courbes(funnel, "2A", "entree", "2026-08", "2026-08")
    by = {(c["courbe"], c["jour"]): c for c in curves}
    # time to orientation: both oriented (days 15 and 46), nobody censored
    assert [by["orientation", d]["part"] for d in (14, 15, 45, 46)] == [0.0, 0.5, 0.5, 1.0]
    assert not any(c["provisoire"] for c in curves if c["courbe"] == "orientation")
    # time to contract: X1 on day 10; X2 censored 36 days after orientation (31 October)
    assert [by["contrat", d]["part"] for d in (9, 10, 36)] == [0.0, 0.5, 0.5]
    assert (by["contrat", 36]["observe"], by["contrat", 36]["provisoire"]) == (True, False)
    assert (by["contrat", 37]["observe"], by["contrat", 37]["provisoire"]) == (False, True)
    assert by["contrat", 0]["effectif"] == 2


def test_maturity_macro_at_the_edge() -> None:
    con = duckdb.connect()
    warehouse.migrate(con)
    rows = con.execute(
        "SELECT provisoire('2026-09-01', 30, DATE '2026-10-29'), "
        "provisoire('2026-09-01', 30, DATE '2026-10-30'), provisoire('2026-09-01', 30, NULL)"
    ).fetchone()
    assert rows == (True, False, True)
