"""Distributions inside the territoires (categories, modalités of the inscrits) on every
Synthèse a user can open, the département's and each territoire's, with the inscrits
tiles: no cell printed « < seuil » can be worked out from all of them together
(« département − the other territoires » on one code, second audit, point 5)."""

from __future__ import annotations

import pytest

from dashboard import figures
from dashboard.views.accompagnement import accompagnement_view
from dashboard.views.demandeurs import demandeurs_view
from dashboard.views.synthese import synthese_view
from pipelines import indicators, masking, territoires

MONTH = "2026-06"
NAMES = ("categorie", "modalite", "sexe", "tranche_age")  # the inscrits' distributions


def _month_cells(chart, limit: int) -> dict[str, str]:
    """A monthly chart's cells of MONTH as printed (page, PDF, export)."""
    frame = figures.monthly_counts(
        chart.rows, chart.labels, limit, chart.codes, getattr(chart, "linked", None)
    )
    frame = frame[frame["mois"] == MONTH]
    return dict(zip(frame["code"], frame["affiche"], strict=True))


def _topic_pages(demo_scope, communes, limit: int) -> dict[str, dict[str, str]]:
    """What the Demandeurs and Accompagnement pages print of MONTH's inscrits."""
    demandeurs = demandeurs_view(demo_scope(communes=communes))
    accompagnement = accompagnement_view(demo_scope(communes=communes))
    out = {
        "categorie": _month_cells(demandeurs.categories, limit),
        "modalite": _month_cells(accompagnement.modalites, limit),
    }
    for block in demandeurs.profile:
        frame = figures.masked_frame(
            block.counts, block.labels, limit, getattr(block, "linked", None)
        )
        out[block.family] = dict(zip(frame["code"], frame["affiche"], strict=True))
    return out


def _printed(view, limit: int) -> tuple[dict, dict]:
    """A Synthèse as printed: each distribution's cells, and the inscrits tile."""
    rows = {}
    for block in view.distributions:
        frame = figures.masked_frame(
            block.counts, block.labels, limit, getattr(block, "linked", None)
        )
        rows[block.family] = dict(zip(frame["code"], frame["affiche"], strict=True))
    return rows, view.stock[0].value


@pytest.mark.parametrize("limit", [11, 30])
def test_no_hidden_category_follows_from_every_view(
    view_reader, demo_scope, publish_at, limit
) -> None:
    """Every Synthèse (the département's, each territoire's), and the Demandeurs and
    Accompagnement pages of each: one decision, nothing recomputed from all together."""
    publish_at(limit)
    known = territoires.communes_par_territoire(view_reader, "2A")
    whole = indicators.stock(view_reader, "2A", MONTH)
    stocks = {t: indicators.stock(view_reader, "2A", MONTH, cs) for t, cs in known.items()}
    grids = {name: {t: s[name] for t, s in stocks.items()} for name in NAMES}
    rest = {
        name: {
            c: v - sum(s[name].get(c, 0) for s in stocks.values()) for c, v in whole[name].items()
        }
        for name in NAMES
    }
    if any(v for r in rest.values() for v in r.values()):
        for name in grids:
            grids[name]["hors territoire"] = rest[name]
    tables, cells = masking.grid_tables(grids, "département")
    masked = f"< {limit}"
    hidden = {c for c in cells if "hors territoire" in c and cells[c]}  # nobody opens it
    printed_hidden = set()
    for row, communes in {**known, "département": None}.items():
        rows, inscrits = _printed(synthese_view("2A", MONTH, communes), limit)
        pages = _topic_pages(demo_scope, communes, limit)
        for name in set(rows) & set(pages):  # the same cells, the same decision
            assert pages[name] == rows[name], (row, name)
        for name, shown in {**rows, **pages}.items():
            printed_hidden |= {(name, row, c) for c, v in shown.items() if v == masked}
        if inscrits == masked:
            printed_hidden.add((masking.MARGIN, row))
    assert any(c[1] != "département" for c in printed_hidden)  # or this proves nothing
    pins = masking.pinned(tables, cells, hidden | printed_hidden)
    assert [c for c in pins if c in printed_hidden] == []


@pytest.mark.parametrize("limit", [11, 30])
def test_the_pdf_masks_the_departements_distributions_as_the_synthese(
    view_reader, publish_at, limit
) -> None:
    """The committee PDF prints the département's categories and modalités with the
    decision taken over its territoires, the one the Synthèse page applies."""
    from dashboard import comite

    publish_at(limit)
    stock = indicators.stock(view_reader, "2A", MONTH)
    linked = comite._linked(view_reader, "2A", MONTH, stock, limit)
    page = synthese_view("2A", MONTH, None)
    assert all(d.linked == linked[d.family] for d in page.distributions)
    for block in page.distributions:
        pdf = figures.masked_frame(block.counts, block.labels, limit, linked[block.family])
        shown = figures.masked_frame(block.counts, block.labels, limit, block.linked)
        assert pdf["affiche"].tolist() == shown["affiche"].tolist()
