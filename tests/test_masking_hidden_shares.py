"""A share or a delay over a population the decision crossed with the territoires hides
is withheld too, on every surface (docs/securite.md, masquage: « Parts et délais »): a
page prints « < seuil » for the population, so nothing computed over it is printed."""

from __future__ import annotations

import copy

import pytest

from dashboard import headlines
from dashboard.views import accompagnement, delais, orientations
from pipelines import indicators, masking

MONTH = "2026-06"
LIMIT = 11


@pytest.fixture(scope="module")
def con(sample_db):
    from pipelines import warehouse

    con = warehouse.open_reader(sample_db)
    yield con
    con.close()


def test_the_rule_withholds_a_share_of_a_hidden_population() -> None:
    assert masking.share_allowed(LIMIT, LIMIT) and not masking.share_allowed(LIMIT, LIMIT, True)
    assert masking.shown_share(0.5, 40, LIMIT) == 0.5
    assert masking.shown_share(0.5, 40, LIMIT, hidden=True) is None


def test_the_masked_contract_withholds_the_shares_of_a_hidden_population(con) -> None:
    result = indicators.summary(con, "2A", MONTH)
    shares = ("orientes_30j_share", "orientes_6sem_share", "delai_orientation_jours")
    assert result["entrants"] >= LIMIT  # above the threshold: only the decision hides them
    shown = masking.masked_summary(result, LIMIT, {})
    assert all(shown[k] is not None for k in shares)
    hidden = masking.masked_summary(result, LIMIT, {"entrants": frozenset({"entrants"})})
    assert hidden["entrants"] is None
    assert all(hidden[k] is None for k in shares)


def test_the_synthese_share_tiles_follow_the_hidden_inscrits(con) -> None:
    current = indicators.summary(con, "2A", MONTH)
    shown = headlines.stock_tiles(current, current, LIMIT)
    hidden = headlines.stock_tiles(current, current, LIMIT, headlines.Withheld(stock=(True, False)))
    assert [t.raw for t in shown[1:]] != [None] * len(shown[1:])
    assert [t.raw for t in hidden[1:]] == [None] * len(hidden[1:])
    assert [t.raw_previous for t in hidden[1:]] == [t.raw_previous for t in shown[1:]]


def _synthese(con, hide: set[str], read: dict) -> headlines.Headline:
    """The Synthèse of the demo's month, as if the decision over the territoires hid the
    row's population of the families `hide` in every month (a fake decision). `read`
    keeps the warehouse's answers between calls: the data are the same, only the
    decision changes."""

    def family(name: str, month: str, communes=None) -> dict | None:
        if (name, month, communes) not in read:
            read[name, month, communes] = getattr(indicators, name)(con, "2A", month, communes)
        return copy.deepcopy(read[name, month, communes])

    months = indicators.months_available(con, "2A")
    before = max(m for m in months if m < MONTH)
    series = {
        f: [(m, family(f, m)) for m in headlines.looked_back(months, MONTH)]
        for f in headlines.COHORTE_FAMILIES
    }

    def decision(family: str, month: str) -> set:
        return {(masking.MARGIN, "ligne")} if family in hide else set()

    withheld = headlines.Withheld(decision=decision, row="ligne")
    return headlines.headline(
        family("summary", MONTH),
        family("summary", before),
        MONTH,
        before,
        series,
        LIMIT,
        withheld,
        headlines.warehouse_history(con, "2A", read=family),
    )


def test_the_synthese_cohorte_and_hours_tiles_follow_the_decision(con) -> None:
    """The latest complete cohortes' tiles and « 15 h ou plus », their delta, their year
    before and every point of their 12-month trend: withheld where the decision hides the
    population they are computed over (entrants, persons oriented, persons in parcours)."""
    families = {"delai_orientation", "contrat", "intensite"}
    read: dict = {}
    shown, hidden = _synthese(con, set(), read), _synthese(con, families, read)
    keys = {"heures_hebdo", *(f.key for f in headlines.COHORTE_FIGURES)}
    before = {t.key: t for t in shown.tiles if t.key in keys}
    after = {t.key: t for t in hidden.tiles if t.key in keys}
    assert set(before) == set(after) == keys
    for key in keys:
        assert before[key].raw is not None  # published when the decision hides nothing
        assert any(v is not None for _, v in before[key].trend)
        assert after[key].raw is None and after[key].raw_previous is None
        assert after[key].year_value is None and after[key].delta_words is None
        assert all(v is None for _, v in after[key].trend)
    others = {t.key: t.raw for t in shown.tiles if t.key not in keys}
    assert others == {t.key: t.raw for t in hidden.tiles if t.key not in keys}


def test_the_cohorte_tables_withhold_a_hidden_cohorte(con) -> None:
    """Orientations (delay to orientation), Délais (delay to contract), Accompagnement
    (hours): the cohorte or month whose population the decision hides prints no figure."""
    entry = [(MONTH, indicators.delai_orientation(con, "2A", MONTH))]
    plain = orientations.cohorte_records(entry, LIMIT).iloc[0]
    masked = orientations.cohorte_records(entry, LIMIT, frozenset({MONTH})).iloc[0]
    assert plain["orientes_30j"] is not None and plain["mediane_jours"] is not None
    assert masked[["mediane_jours", "moyenne_jours", "orientes_30j"]].isna().all()

    contract = [(MONTH, indicators.contrat(con, "2A", MONTH))]
    plain = delais.cohorte_table(contract, None, LIMIT)
    masked = delais.cohorte_table(contract, None, LIMIT, {MONTH: frozenset({"ensemble"})})
    assert plain.iloc[0][["mediane_jours", "contrat_30j"]].notna().all()
    assert masked.iloc[0][["mediane_jours", "contrat_30j"]].isna().all()
    assert masked.iloc[1:].isna().equals(plain.iloc[1:].isna())  # the others as they were

    hours = [(MONTH, indicators.intensite(con, "2A", MONTH))]
    plain = accompagnement.hours_table(hours, None, LIMIT)
    masked = accompagnement.hours_table(hours, None, LIMIT, {MONTH: frozenset({"ensemble"})})
    assert plain.iloc[0][["heures_moyennes", "part_15h"]].notna().all()
    assert masked.iloc[0][["heures_moyennes", "part_15h"]].isna().all()


def test_the_cohortes_page_opens_only_to_the_role_that_may_unmask() -> None:
    """Why the Cohortes page is outside the crossed decision (docs/securite.md): its
    cohortes are free queries no cell suppression holds against, so it must stay open only
    to the role that may display the unmasked figures anyway (dashboard/auth.py)."""
    from dashboard import navigation

    page = next(p for p in navigation.PAGES if p.slug == "cohortes")
    assert page.roles == frozenset({"analyste"})
