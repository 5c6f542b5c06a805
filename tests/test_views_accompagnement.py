"""dashboard/views/accompagnement.py on the demo warehouse: modalities, contact, weekly
hours per parcours type and appointments per person, masked."""

from __future__ import annotations

from dashboard.formatting import fmt_decimal, fmt_int
from dashboard.views.accompagnement import accompagnement_view
from pipelines import indicators

MONTH = "2026-06"


def test_figures_are_the_indicator_layers(view_reader, demo_scope) -> None:
    view = accompagnement_view(demo_scope())
    stock = indicators.stock(view_reader, "2A", MONTH)
    assert dict(view.modalites.rows)[MONTH] == stock["modalite"]
    axes, structures = view.distributions
    assert axes.counts == stock["axe"]
    assert structures.counts == stock["structure_suivi"]["principale"]
    contact = view.contact.frame.set_index("mois")["part"]
    assert contact[MONTH] == stock["contact_90j_share"]
    current = indicators.intensite(view_reader, "2A", MONTH)
    hours = view.intensite.hours.frame.set_index(["mois", "groupe"])
    ensemble = current["heures_hebdo"]
    assert hours.loc[(MONTH, "Ensemble"), "personnes"] == fmt_int(ensemble["personnes"])
    assert hours.loc[(MONTH, "Ensemble"), "heures_moyennes"] == ensemble["moyenne"]
    assert view.intensite.rdv[1] == fmt_decimal(current["rdv_par_personne"], 2)
    assert view.intensite.profile.result == current


def test_small_groups_are_masked(view_reader, demo_scope, publish_at) -> None:
    publish_at(10_000)
    view = accompagnement_view(demo_scope(parcours="social"))
    hours = view.intensite.hours.frame
    assert set(hours["groupe"]) == {"Social"}
    assert set(hours["personnes"]) == {"< 10000"}
    assert hours["heures_moyennes"].isna().all() and hours["part_15h"].isna().all()
    assert set(view.intensite.download["part_15h"]) == {"n.d."}
