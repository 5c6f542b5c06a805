"""The charts read in French and as their data asks (issue 31): long labels as sorted
horizontal bars, age groups in their order, share axes scaled to small shares, French
hover and tick texts (no « libelle_valeur=921 »), words for codes, curves told apart."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from hypothesis import given
from hypothesis import strategies as st

from dashboard import figures, palette, texte
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
    fig = go.Figure(**figures.share_axis({"data": [], "layout": {}}, [0.0, top]))
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


def test_a_figure_is_built_once_from_its_dicts(monkeypatch) -> None:
    """Each builder writes its figure as dicts and builds it once (texte.plain_labels):
    every update of a built figure re-validates all of it, and a figure built step by
    step cost several times as much (docs/performances.md)."""

    def refused(*args, **kwargs):
        raise AssertionError("a built figure was updated")

    for method in ("add_trace", "add_traces", "update_layout", "update_traces", "update_xaxes",
                   "update_yaxes", "add_hline", "add_vline", "add_shape", "add_annotation"):  # fmt: skip
        monkeypatch.setattr(go.Figure, method, refused)
    built = []
    init = go.Figure.__init__
    monkeypatch.setattr(
        go.Figure, "__init__", lambda self, *a, **k: built.append(init(self, *a, **k))
    )
    months = ("2026-01", "2026-02", "2026-03")
    monthly = figures.monthly_counts([(m, {"a": 20, "b": 3}) for m in months], {}, LIMIT)
    lines = pd.DataFrame(
        {"mois": months * 2, "part": [0.1, 0.2, 0.3] * 2, "groupe": ["social"] * 3 + ["x"] * 3,
         "provisoire": [False, False, True] * 2}
    )  # fmt: skip
    days = lines.rename(columns={"mois": "jour", "groupe": "cohorte"}).assign(jour=[0, 30, 60] * 2)
    curve = days.rename(columns={"part": "part_contractes"}).assign(cohorte="2026-01")
    calls = [
        (figures.distribution, figures.masked_frame({"a": 20, "b": 3}, {}, LIMIT), "x", "T"),
        (figures.stacked, monthly, "x", "T", True),
        (figures.lines, lines, "mois", "part", "groupe", "T", "Part", True),
        (figures.lines, lines, "mois", "part", "groupe", "T", "Part", True, "provisoire"),
        (figures.cohorte_lines, lines, "mois", "part", "groupe", "provisoire", "T", {}),
        (figures.contract_curve, curve),
        (figures.cohorte_curves, days, "T", "Jours"),
        (figures.funnel, ["a", "b"], [("A", [9, 3], ["9", "< 11"], True)], "T"),
        (figures.trend_with_target, [(m, 0.5) for m in months], "T", True, 0.8, "Objectif"),
    ]
    for build, *args in calls:
        built.clear()
        assert isinstance(build(*args), go.Figure)
        assert len(built) == 1, build.__name__


def test_labels_are_escaped_in_the_dicts_before_the_figure_is_built() -> None:
    """texte.plain_spec escapes every string a builder hands plotly, columns and arrays
    included, once, and leaves Plotly's own syntax and the builder's dicts alone."""
    counts = pd.Series([1, 2])
    spec = {
        "data": [
            {"type": "bar", "x": pd.Series(["<b>a</b>", "$x$"]), "y": counts,
             "customdata": np.array([["<i>", "1"], ["A & B", "2"]], dtype=object),
             "hovertemplate": "%{x}<br>%{customdata[0]}"}
        ],
        "layout": {"title": {"text": "a<br><b>b</b>"}, "xaxis": {"title": {"text": "<a>"}}},
    }  # fmt: skip
    plain = texte.plain_spec(spec)
    trace = plain["data"][0]
    assert list(trace["x"]) == ["&lt;b&gt;a&lt;/b&gt;", "&#36;x&#36;"]
    assert trace["customdata"].tolist() == [["&lt;i&gt;", "1"], ["A &amp; B", "2"]]
    assert trace["y"] is counts  # nothing to escape: handed to plotly as it is
    assert trace["hovertemplate"] == "%{x}<br>%{customdata[0]}"
    assert plain["layout"]["title"]["text"] == "a<br>&lt;b&gt;b&lt;/b&gt;"
    assert plain["layout"]["xaxis"]["title"]["text"] == "&lt;a&gt;"
    assert list(spec["data"][0]["x"]) == ["<b>a</b>", "$x$"]  # the builder's dicts unchanged
