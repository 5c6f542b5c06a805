"""dashboard/views/demandeurs.py on the demo warehouse: categories, profile, communes
with their territoire, flows masked one by one (they are parts of no published total),
the same cells on the page, in the committee PDF and in the export."""

from __future__ import annotations

from dashboard import comite
from dashboard.formatting import fmt_int
from dashboard.views.demandeurs import demandeurs_view, flow_table
from pipelines import indicators, masking

MONTH = "2026-06"


def test_figures_are_the_indicator_layers(view_reader, demo_scope) -> None:
    view = demandeurs_view(demo_scope())
    stock = indicators.stock(view_reader, "2A", MONTH)
    assert dict(view.categories.rows)[MONTH] == stock["categorie"]
    assert view.profile[0].counts == stock["sexe"]
    communes = view.communes.set_index("commune (code INSEE)")
    territoire = {
        c: t for t, cs in indicators.communes_par_territoire(view_reader, "2A").items() for c in cs
    }
    for code, n in stock["commune"].items():
        assert communes.loc[code, "inscrits"] == (fmt_int(n) if n >= 11 else "< 11")
        assert communes.loc[code, "territoire"] == territoire.get(code, "")
    flows = view.flows.download.set_index(["mois", "flux"])["affiche"]
    june = indicators.flux(view_reader, "2A", MONTH)
    assert flows[(MONTH, "inscriptions")] == fmt_int(june["inscriptions"])
    assert "listes LRSA DE" in view.flows.caption
    assert view.flows.motifs.counts == june["cessations_motif"]


def test_page_pdf_and_export_print_the_same_flows(view_reader, demo_scope, comite_demo) -> None:
    """The cessations of a month whose radiations are masked were hidden on the page and
    printed in the PDF: one builder now gives both, and the export, the same cells."""
    scope = demo_scope("2026-10")
    page = demandeurs_view(scope).flows
    report = comite_demo[0].rapport  # the demo's 2A 2026-10 report, built once per run
    assert (report.departement, report.month) == ("2A", "2026-10")
    section = next(s for s in report.sections if s.title.startswith("Flux"))
    (table,) = [t for t in section.tables if t.columns[0] == "Mois"]
    limit = masking.committee_threshold()
    for m in scope.months:
        raw = indicators.flux(view_reader, "2A", m)
        row = next(r for r in table.rows if r[0] == comite.fmt_month(m))
        for i, key in enumerate(("inscriptions", "cessations", "radiations"), start=1):
            if raw[key] is None:
                continue
            expected = masking.count_label(raw[key], limit)
            assert row[i] == expected, (m, key)
            assert page.download.set_index(["mois", "flux"]).loc[(m, key), "affiche"] == expected


def test_a_small_flow_hides_itself_only() -> None:
    frame, sources = flow_table(
        [
            (
                "2026-06",
                {"inscriptions": 40, "cessations": 5, "radiations": 12, "flux_source": "pecgm"},
            )
        ],
        11,
    )
    shown = frame.set_index("flux")["affiche"].to_dict()
    assert shown == {"inscriptions": "40", "cessations": "< 11", "radiations": "12"}
    assert sources == {"pecgm"}
