"""dashboard/views/orientations.py on the demo warehouse: decisions, shares of each
parcours type by profile, the entry cohortes' delays, masked at the published threshold."""

from __future__ import annotations

import pytest

from dashboard import figures
from dashboard.formatting import fmt_int, fmt_share
from dashboard.views.orientations import (
    PARCOURS_TYPES,
    decisions_block,
    orientations_view,
    parcours_shares,
)
from pipelines import indicators

MONTH = "2026-06"


def test_parcours_shares_are_each_types_part_of_the_groups_decisions() -> None:
    got = parcours_shares({"F": {"social": 3, "professionnel": 1}, "M": {"social": 2}})
    assert got["F"] == {"n": 4, "social": 0.75, "socio_professionnel": 0.0, "professionnel": 0.25}
    assert got["M"]["n"] == 2 and got["M"]["social"] == 1.0


def test_decisions_and_profile_are_the_indicator_layers(view_reader, demo_scope) -> None:
    view = orientations_view(demo_scope())
    expected = indicators.orientations(view_reader, "2A", MONTH)
    assert view.decisions.decisions == fmt_int(sum(expected["orientations"].values()))
    assert view.decisions.personnes == fmt_int(expected["personnes_orientees"])
    women = view.decisions.profile.result["par_sexe"]["F"]
    counts = expected["par_sexe"]["F"]
    assert women["n"] == sum(counts.values())
    assert [women[t] for t in PARCOURS_TYPES] == [
        counts.get(t, 0) / sum(counts.values()) for t in PARCOURS_TYPES
    ]
    assert view.decisions.organismes.counts == expected["organisme_referent"]


def _chart_frame(block, limit: int = 11):
    """The masked monthly table the page, the PDF and the export draw from a block."""
    return figures.monthly_counts(block.rows, block.labels, limit, block.codes)


def test_the_sidebar_parcours_keeps_its_decisions_only(view_reader, demo_scope) -> None:
    months = demo_scope().months
    view = orientations_view(demo_scope(parcours="social"))
    frame = _chart_frame(view.decisions.monthly)
    assert set(frame["mois"]) == set(months)
    assert set(frame["code"]) == {"social"}
    shown = frame.set_index("mois").loc[MONTH, "effectif"]
    assert shown == indicators.orientations(view_reader, "2A", MONTH)["orientations"]["social"]


def _current(orientations: dict[str, int]) -> dict:
    return {
        "orientations": orientations,
        "organisme_referent": {},
        "personnes_orientees": sum(orientations.values()),
        "par_sexe": {},
        "par_tranche_age": {},
    }


@pytest.mark.parametrize("limit", [5, 11, 20])
def test_a_parcours_filter_shows_the_subset_of_the_whole_months_masking(limit) -> None:
    """Filtered on one parcours, the chart masked that parcours' series alone: a type the
    unfiltered chart hides by complementary suppression was printed (second audit, 5)."""
    small, next_up = limit - 1, limit + 1  # primary, then the smallest shown goes too
    months = {"2026-05": {"social": next_up, "professionnel": small, "socio_professionnel": 90},
              "2026-06": {"social": 40, "professionnel": 0, "socio_professionnel": 50}}  # fmt: skip
    series = [(m, {"orientations": c}) for m, c in months.items()]
    whole = _chart_frame(
        decisions_block(_current(months["2026-06"]), series, "2A", "2026-06", None, limit).monthly,
        limit,
    )
    assert whole.set_index(["mois", "code"]).loc[("2026-05", "social"), "affiche"] == f"< {limit}"
    for parcours in PARCOURS_TYPES:
        block = decisions_block(
            _current(months["2026-06"]), series, "2A", "2026-06", parcours, limit
        )
        filtered = _chart_frame(block.monthly, limit)
        printed = ["mois", "code", "affiche"]
        expected = whole.loc[whole["code"] == parcours, printed].values.tolist()
        assert filtered[printed].values.tolist() == expected, parcours


def test_entry_cohortes_table_and_link_rate(view_reader, demo_scope) -> None:
    months = demo_scope().months
    view = orientations_view(demo_scope())
    table = view.cohortes.download.set_index("cohorte")
    for m in months:
        r = indicators.delai_orientation(view_reader, "2A", m)
        if not r:
            continue
        assert table.loc[m, "entrants"] == fmt_int(r["entrants"])
        shown = fmt_share(r["orientes_30j_share"]) if r["entrants"] >= 11 else "n.d."
        assert table.loc[m, "orientes_30j"] == shown
        assert table.loc[m, "mediane_jours"] == fmt_int(r["delai_orientation_jours"]["mediane"])
    assert list(view.cohortes.table.columns)[:2] == ["Cohorte d'entrée", "Entrants"]
    link = indicators.liaison_flux(view_reader, "2A")
    assert view.cohortes.link == fmt_share(link["taux"])
    assert not view.cohortes.empty
    chart = view.cohortes.chart.frame
    assert set(chart["seuil"]) == {"Orientés en 30 jours", "Orientés en 6 semaines (délai légal)"}
    assert "données au" in view.cohortes.chart_caption


@pytest.mark.parametrize("limit", [1000, 100_000])
def test_small_cohortes_are_masked_and_their_shares_withheld(
    view_reader, demo_scope, publish_at, limit
):
    publish_at(limit)
    view = orientations_view(demo_scope())
    expected = indicators.orientations(view_reader, "2A", MONTH)
    assert sum(expected["orientations"].values()) < limit  # or this proves nothing
    assert view.decisions.decisions == f"< {limit}"
    assert set(view.cohortes.download["entrants"]) == {f"< {limit}"}
    assert set(view.cohortes.download["orientes_30j"]) == {"n.d."}
    link = indicators.liaison_flux(view_reader, "2A")
    shown = fmt_share(link["taux"]) if link["personnes_orientees"] >= limit else "n.d."
    assert view.cohortes.link == shown
    assert view.cohortes.chart.frame["part"].isna().all()


def test_the_tiles_follow_the_parcours_filter_or_say_they_do_not(view_reader, demo_scope) -> None:
    """The tiles counted every parcours while the page filtered its charts on one."""
    expected = indicators.orientations(view_reader, "2A", MONTH)
    view = orientations_view(demo_scope(parcours="social")).decisions
    assert view.decisions == fmt_int(expected["orientations"]["social"])
    assert "parcours social" in view.decisions_label
    assert view.personnes_label.endswith("tous parcours (non filtré)")
    unfiltered = orientations_view(demo_scope()).decisions
    assert unfiltered.personnes_label == "Personnes orientées"


def _with_organismes(organismes: dict[str, int]) -> dict:
    return {**_current({"social": sum(organismes.values())}), "organisme_referent": organismes}


def test_organismes_are_labelled_as_the_file_writes_them() -> None:
    """`.title()` made « CCAS d'Ajaccio » « Ccas D'Ajaccio » and « Département de la
    Corse-du-Sud » « Département De La Corse-Du-Sud »."""
    organismes = {"CCAS d'Ajaccio": 30, "Département de la Corse-du-Sud": 40, "non_renseigne": 5}
    block = decisions_block(_with_organismes(organismes), [], "2A", MONTH, None, 11)
    labels = block.organismes.labels
    assert labels["CCAS d'Ajaccio"] == "CCAS d'Ajaccio"
    assert labels["Département de la Corse-du-Sud"] == "Département de la Corse-du-Sud"
    assert labels["non_renseigne"] == "Non renseigné"


@pytest.mark.parametrize("limit", [5, 11])
def test_a_note_says_when_most_decisions_name_no_organisme(limit) -> None:
    organismes = {"non_renseigne": 8 * limit, "France Travail": 2 * limit}
    block = decisions_block(_with_organismes(organismes), [], "2A", MONTH, None, limit)
    share = fmt_share(8 / 10)
    assert block.organismes.caption.startswith(f"{share} des décisions de juin 2026 n'ont pas")
    # the committee PDF prints the same block's caption under its chart
    from dashboard import comite

    assert comite._distribution(block.organismes, limit)[0].caption == block.organismes.caption


def test_no_note_when_half_or_fewer_name_no_organisme() -> None:
    organismes = {"non_renseigne": 50, "France Travail": 50}
    block = decisions_block(_with_organismes(organismes), [], "2A", MONTH, None, 11)
    assert "organisme référent renseigné" not in block.organismes.caption
    assert block.organismes.caption.startswith("organisme_referent")


def test_the_no_organisme_share_is_withheld_under_the_threshold() -> None:
    """Eight decisions without organisme out of ten, at 11: more than half, no figure."""
    block = decisions_block(
        _with_organismes({"non_renseigne": 8, "CCAS": 2}), [], "2A", MONTH, None, 11
    )
    assert block.organismes.caption.startswith("Plus de la moitié des décisions de juin 2026")
    assert "%" not in block.organismes.caption.split(":")[0]


def test_the_cohorte_table_names_its_population_and_starts_with_the_latest(
    view_reader, demo_scope
) -> None:
    """The table printed « caf_msa » and put its two latest cohortes below its own
    scroll: words from the one home of the population labels, latest cohorte first."""
    from pipelines.indicators import POPULATION_LABELS

    view = orientations_view(demo_scope())
    table = view.cohortes.table
    population = indicators.population(view_reader, "2A")
    assert set(table["Population"]) == {POPULATION_LABELS[population]}
    assert not set(table["Population"]) & set(POPULATION_LABELS)  # no code left
    cohortes = list(table["Cohorte d'entrée"])
    assert cohortes == sorted(cohortes, reverse=True)
    with_data = [
        m for m in demo_scope().months if indicators.delai_orientation(view_reader, "2A", m)
    ]
    assert len(cohortes) >= 2 and cohortes[:2] == sorted(with_data, reverse=True)[:2]
