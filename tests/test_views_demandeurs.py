"""dashboard/views/demandeurs.py on the demo warehouse: categories, profile, communes
with their territoire, flows masked as one distribution per month."""

from __future__ import annotations

from dashboard.formatting import fmt_int
from dashboard.views.demandeurs import LRSA_ONLY, demandeurs_view, flow_table
from pipelines import indicators, territoires

MONTH = "2026-06"


def test_figures_are_the_indicator_layers(view_reader, demo_scope) -> None:
    view = demandeurs_view(demo_scope())
    stock = indicators.stock(view_reader, "2A", MONTH)
    assert dict(view.categories.rows)[MONTH] == stock["categorie"]
    assert view.profile[0].counts == stock["sexe"]
    communes = view.communes.set_index("commune (code INSEE)")
    territoire = {
        c: t for t, cs in territoires.communes_par_territoire(view_reader, "2A").items() for c in cs
    }
    for code, n in stock["commune"].items():
        assert communes.loc[code, "inscrits"] == (fmt_int(n) if n >= 11 else "< 11")
        assert communes.loc[code, "territoire"] == territoire.get(code, "")
    flows = view.flows_download.set_index(["mois", "flux"])["affiche"]
    june = indicators.flux(view_reader, "2A", MONTH)
    assert flows[(MONTH, "inscriptions")] == fmt_int(june["inscriptions"])
    assert LRSA_ONLY in view.flows_caption
    assert view.motifs.counts == june["cessations_motif"]


def test_a_small_flow_hides_the_next_smallest_too() -> None:
    frame, sources = flow_table(
        [
            (
                "2026-06",
                {"inscriptions": 40, "cessations": 5, "radiations": 12, "flux_source": "pecgm"},
            )
        ]
    )
    shown = frame.set_index("flux")["affiche"].to_dict()
    assert shown == {"inscriptions": "40", "cessations": "< 11", "radiations": "< 11"}
    assert sources == {"pecgm"}
