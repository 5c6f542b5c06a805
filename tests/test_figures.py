"""The charts read in French and as their data asks (issue 31): long labels as sorted
horizontal bars, age groups in their order, share axes scaled to small shares, French
hover and tick texts (no « libelle_valeur=921 »), words for codes, curves told apart."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from dashboard import figures, palette
from dashboard.formatting import NNBSP, code_label
from dashboard.widgets import AGE_LABELS

LIMIT = 11


def _json(fig) -> str:
    return json.dumps(fig.to_plotly_json(), ensure_ascii=False, default=str)


def test_long_labels_are_sorted_horizontal_bars() -> None:
    counts = {"a": 20, "b": 1500, "c": 300}
    labels = {
        "a": "Association d'insertion du Sud",
        "b": "Centre communal d'action sociale",
        "c": "Département",
    }
    fig = figures.distribution(figures.masked_frame(counts, labels, LIMIT), "organisme", "T")
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.y) == [labels["b"], labels["c"], labels["a"]]  # largest first
    assert fig.layout.yaxis.autorange == "reversed"  # ... at the top
    assert list(bar.text) == [f"1{NNBSP}500", "300", "20"]
    assert "libelle_valeur" not in _json(fig)


def test_age_groups_keep_their_order() -> None:
    counts = {"55_plus": 500, "moins_25": 20, "35_44": 300, "25_34": 100, "45_54": 50}
    frame = figures.masked_frame(counts, AGE_LABELS, LIMIT)
    fig = figures.distribution(frame, "tranche_age", "Âge")
    shown = list(fig.data[0].y if fig.data[0].orientation == "h" else fig.data[0].x)
    assert shown == [AGE_LABELS[c] for c in ("moins_25", "25_34", "35_44", "45_54", "55_plus")]


@given(st.floats(min_value=0.001, max_value=1.0))
def test_share_axis_is_scaled_to_the_values(top: float) -> None:
    fig = figures.share_axis(figures.go.Figure(), [0.0, top])
    low, high = fig.layout.yaxis.range
    assert low == 0 and top <= high + 1e-9 <= 1.0 + 1e-9
    if top < 0.5:
        assert high <= 0.6  # a 1 % share is not drawn on 0–100 %
    assert all(t.endswith(f"{NNBSP}%") for t in fig.layout.yaxis.ticktext)


def test_line_hover_and_ticks_in_french() -> None:
    frame = pd.DataFrame(
        {"mois": ["2026-02", "2026-03"], "part": [0.123, 0.0101], "groupe": ["social"] * 2}
    )
    fig = figures.lines(frame, "mois", "part", "groupe", "Part", "Part", share=True)
    assert fig.data[0].name == "Social"
    assert [c[1] for c in fig.data[0].customdata] == [f"12,3{NNBSP}%", f"1,0{NNBSP}%"]
    assert fig.data[0].customdata[0][0] == "février 2026"
    assert fig.layout.separators == ", "
    assert fig.layout.yaxis.range[1] < 0.2
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0


def test_codes_are_words() -> None:
    assert code_label("non_renseignee") == "Non renseignée"
    assert code_label("caf_msa") == "Flux CAF / MSA"
    assert code_label("reprise_emploi") == "Reprise emploi"
    frame = figures.masked_frame({"x_y": 12, "non_renseigne": 15}, {}, LIMIT)
    assert list(frame["libelle"]) == ["X y", "Non renseigné"]


def test_cohorte_curves_have_distinct_colour_blind_safe_colours() -> None:
    rows = [
        {"cohorte": c, "jour": d, "part_contractes": d / 100, "provisoire": False}
        for c in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
        for d in (0, 30, 60)
    ]
    fig = figures.contract_curve(pd.DataFrame(rows))
    colours = [t.line.color for t in fig.data if t.showlegend is not False]
    assert len(set(colours)) == len(colours) == 5
    assert set(colours) <= set(palette.OKABE_ITO) and "#F0E442" not in colours
    assert fig.data[0].name == "janvier 2026"


def test_titles_are_wrapped_for_phones() -> None:
    title = "Part des personnes orientées ayant signé leur contrat, selon les jours écoulés"
    wrapped = figures.wrap_title(title)
    assert all(len(line) <= figures.TITLE_WIDTH for line in wrapped.split("<br>"))
    assert wrapped.replace("<br>", " ") == title
