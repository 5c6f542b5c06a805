"""The Plotly figures of the pages, built without Streamlit.

A page draws them with `st.plotly_chart`; the committee report (`dashboard/comite.py`)
prints the very same figures to PDF. Masking is applied before a figure is built: every
function here takes the masking threshold of the view it is built for.

Each builder writes its figure as plain dicts (`Spec`: a list of trace dicts, each with
its "type", and a layout dict), and `texte.plain_labels` escapes their labels and builds
the `go.Figure` once, validated, from them. Plotly re-walks and re-validates the whole
figure at every `add_trace`, `update_layout`, `update_yaxes`, `add_hline` or trace
assignment: built by such steps, the figures cost five times as much (31 ms a figure
against 6 ms, over the 900 figures the tests build; a page's first view spent over a
quarter of its time in plotly, docs/performances.md). A builder that reuses another one
composes on its dicts (`lines.dicts`, `cohorte_lines.dicts`: the undecorated function),
so every label is escaped once.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dashboard.formatting import (
    code_label,
    fmt_decimal,
    fmt_int,
    fmt_month,
    fmt_month_short,
    fmt_share,
)
from dashboard.palette import COLOURS, CURVES, NEUTRAL, NON_RENSEIGNE, OKABE_ITO, PROVISOIRE
from dashboard.texte import plain_labels  # every label from a file is drawn as text
from pipelines import masking

TITLE_WIDTH = 40  # characters per title line: a title fits a 390 px phone screen
LONG_LABEL = 14  # a category label longer than this turns bars horizontal
FONT = {"family": "Source Sans, sans-serif", "size": 13}

# A figure as plain dicts: {"data": [trace dicts, each with its "type"], "layout": {...}},
# what a builder decorated by `texte.plain_labels` returns (it builds the go.Figure).
Spec = dict[str, Any]


def _spec(data: list[dict] | None = None, layout: dict | None = None) -> Spec:
    """A figure's dicts: its traces and its layout."""
    return {"data": data if data is not None else [], "layout": layout or {}}


def _merge(base: dict, update: dict) -> dict:
    """`update` merged into `base` in place, dicts into dicts, as `update_layout` merges a
    fragment (a later axis update keeps what an earlier one set); a dict is copied in,
    never shared (FONT stays as it is)."""
    for key, value in update.items():
        if isinstance(value, dict):
            if not isinstance(base.get(key), dict):
                base[key] = {}
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _title_text(layout: dict, axis: str | None = None) -> str | None:
    """The text of the layout's title (or of an axis's title) in a spec's layout."""
    owner = layout.get(axis, {}) if axis else layout
    return (owner.get("title") or {}).get("text")


def wrap_title(title: str) -> str:
    """A long title on several lines (plotly.js never wraps one: it would be cut)."""
    if not title or "<br>" in title:  # empty, or wrapped already
        return title or ""
    return "<br>".join(textwrap.wrap(title, TITLE_WIDTH))


def finish(spec: Spec, title: str | None = None) -> Spec:
    """What every figure shares: French separators (« 1 234 », « 12,3 »), the title
    wrapped and left-aligned, the legend in a row under the plot (beside it, it eats
    half a phone screen; lower under an x axis title), hover labels never cut."""
    layout = spec["layout"]
    text = wrap_title(title if title is not None else (_title_text(layout) or ""))
    lines = text.count("<br>") + 1 if text else 0
    below = -0.32 if _title_text(layout, "xaxis") else -0.16
    _merge(layout, {
        "separators": ", ",
        "font": FONT,
        "title": {"text": text, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "legend": {"orientation": "h", "yanchor": "top", "y": below, "x": 0, "xanchor": "left",
                   "title": {"text": ""}},
        "margin": {"l": 8, "r": 8, "t": 30 + 22 * lines, "b": 8},
        "hoverlabel": {"namelength": -1},
        "xaxis": {"automargin": True},
        "yaxis": {"automargin": True},
    })  # fmt: skip
    return spec


def share_axis(spec: Spec, values, axis: str = "y") -> Spec:
    """A share axis scaled to its values: 0–100 % only when a value comes near it (a 1 %
    share drawn on 0–100 % is flat), ticks in French (« 12 % »)."""
    known = [v for v in values if v is not None and v == v]
    top = max(known, default=1.0)
    end = 1.0 if top > 0.6 else min(1.0, top * 1.15) or 0.01
    step = next(s for s in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25) if end / s <= 6)
    end = round(min(1.0, math.ceil(end / step - 1e-9) * step), 6)
    ticks = [round(i * step, 6) for i in range(round(end / step) + 1)]
    decimals = 1 if step < 0.01 else 0
    _merge(spec["layout"], {f"{axis}axis": {"range": [0, end], "tickvals": ticks,
                            "ticktext": [fmt_share(t, decimals) for t in ticks]}})  # fmt: skip
    return spec


def hover_value(value, share: bool) -> str:
    """A value as the hover label prints it: « 12,3 % », « 1 234 » or « 12,5 »."""
    if value is None or value != value:
        return "n.d."
    if share:
        return fmt_share(float(value))
    if float(value).is_integer():
        return fmt_int(int(value))
    return fmt_decimal(float(value))


def hover_x(value) -> str:
    """An x value as a hover label prints it: months in words, days as « 30 jours »."""
    if isinstance(value, str) and MONTH.match(value):
        return fmt_month(value)
    return str(value)


@plain_labels
def cohorte_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str | None,
    provisional: str,
    title: str,
    labels: dict[str, str],
    family: str = "parcours",
    markers: bool = True,
    palette: tuple[str, ...] = CURVES,
) -> Spec:
    """One line per group over cohortes, the provisional values drawn apart: complete
    cohortes as a solid line with filled markers, provisional ones (boolean column
    `provisional`) as a dashed segment with hollow markers, and one legend entry
    « provisoire ». Every page that plots a cohorte series draws it with this; curves
    over days (Kaplan–Meier) go without markers, the provisional part dashed. A group
    without a colour of its family takes the palette's colour of its rank."""
    data: list[dict] = []
    colours = COLOURS.get(family, {})
    groups = list(dict.fromkeys(frame[color])) if color else [None]
    for i, group in enumerate(groups):
        rows = (frame[frame[color] == group] if color else frame).sort_values(x)
        rows = rows[rows[y].notna()]
        # Split on the columns' arrays: a DataFrame filter or concat per part took most
        # of the builder's time.
        xs, ys = rows[x].to_numpy(), rows[y].to_numpy()
        late = rows[provisional].astype(bool).to_numpy()
        colour = colours.get(group, palette[i % len(palette)])
        name = PARCOURS_LABELS.get(group, str(group)) if group is not None else labels.get(y, y)
        data.append(
            {"type": "scatter", "x": xs[~late], "y": ys[~late],
             "mode": "lines+markers" if markers else "lines", "name": name, "legendgroup": name,
             "line": {"color": colour}, "marker": {"color": colour, "size": 8}}
        )  # fmt: skip
        if not late.any():
            continue
        # the dashed segment starts at the last complete value
        bridge = np.concatenate([np.flatnonzero(~late)[-1:], np.flatnonzero(late)])
        data.append(
            {"type": "scatter", "x": xs[bridge], "y": ys[bridge], "mode": "lines", "name": name,
             "legendgroup": name, "showlegend": False, "hoverinfo": "skip" if markers else None,
             "line": {"color": colour, "dash": "dash"}}
        )  # fmt: skip
        if not markers:
            continue
        data.append(
            {"type": "scatter", "x": xs[late], "y": ys[late], "mode": "markers",
             "name": f"{name} ({PROVISOIRE})", "legendgroup": name, "showlegend": False,
             "marker": {"color": colour, "size": 10, "symbol": "circle-open",
                        "line": {"width": 2}}}
        )  # fmt: skip
    if frame[provisional].astype(bool).any():
        data.append(
            {"type": "scatter", "x": [None], "y": [None],
             "mode": "lines+markers" if markers else "lines", "name": PROVISOIRE,
             "line": {"color": NON_RENSEIGNE, "dash": "dash"},
             "marker": {"symbol": "circle-open", "size": 9, "color": NON_RENSEIGNE}}
        )  # fmt: skip
    layout = {"title": {"text": title}, "xaxis": {"title": {"text": labels.get(x, "")}},
              "yaxis": {"title": {"text": labels.get(y, "")}}}  # fmt: skip
    return finish(_spec(data, layout))


PARCOURS_LABELS = {
    "social": "Social",
    "socio_professionnel": "Socio-professionnel",
    "professionnel": "Professionnel",
    "non_renseigne": "Non renseigné",
    "ensemble": "Ensemble",
}


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def french_month_axis(spec: Spec, values) -> Spec:
    """Month axes in French ('oct. 2026'), whatever the browser's locale: plotly.js would
    print its own English month names."""
    months = sorted({v for v in values if isinstance(v, str) and MONTH.match(v)})
    if months:
        _merge(spec["layout"], {"xaxis": {"tickvals": months,
                                          "ticktext": [fmt_month_short(m) for m in months]}})  # fmt: skip
    return spec


def masked_frame(
    counts: dict[str, int],
    labels: dict[str, str],
    limit: int,
    linked: frozenset[str] | None = None,
) -> pd.DataFrame:
    """A distribution with masking applied: 'effectif' for the bars (0 when masked) and
    'affiche' for what is printed ('< 11' when masked); `linked`: see
    `masking.mask_distribution`."""
    masked = masking.mask_distribution(counts, limit, linked)
    return pd.DataFrame(
        {
            "code": list(masked),
            # a code outside the code list (newer than it) is shown under its own code
            "libelle": [labels.get(c, code_label(c)) for c in masked],
            "effectif": [v if v is not None else 0 for v in masked.values()],
            "affiche": [masking.masked_label(v, limit) for v in masked.values()],
        }
    )


def ordered(frame: pd.DataFrame, family: str) -> pd.DataFrame:
    """Codes in their natural order when the family has one (age groups, categories: the
    order of its colours), else the largest first."""
    rank = {c: i for i, c in enumerate(COLOURS.get(family, {}))}
    codes = frame["code"].tolist()
    if any(c in rank for c in codes):
        # the rows taken in their rank's order (a stable sort, ties in the frame's order):
        # a rank column assigned, sorted and dropped took most of `distribution`'s time
        return frame.take(np.argsort([rank.get(c, len(rank)) for c in codes], kind="stable"))
    return frame.sort_values("effectif", ascending=False, kind="stable")


@plain_labels
def distribution(frame: pd.DataFrame, family: str, title: str) -> Spec:
    """A bar per code of a masked distribution (`masked_frame`), its printed value by the
    bar; horizontal bars when the labels are long (read without tilting the head)."""
    frame = ordered(frame, family)
    colours = COLOURS.get(family)
    colour = [(colours or {}).get(c, NEUTRAL if not colours else NON_RENSEIGNE)
              for c in frame["code"]]  # fmt: skip
    labels = frame["libelle"].astype(str).tolist()
    horizontal = max(map(len, labels), default=0) > LONG_LABEL or len(frame) > 8
    shown = frame["affiche"].to_numpy()
    bar = {"type": "bar", "text": shown, "textposition": "outside",
           "cliponaxis": False, "marker": {"color": colour}, "customdata": shown,
           "showlegend": False}  # fmt: skip
    if horizontal:
        bar.update(y=labels, x=frame["effectif"].to_numpy(), orientation="h",
                   hovertemplate="%{y} : %{customdata} personnes<extra></extra>")  # fmt: skip
        layout = {"yaxis": {"autorange": "reversed", "title": {"text": ""}},
                  "xaxis": {"title": {"text": "Personnes"}, "tickformat": ",d"},
                  "height": max(260, 90 + 30 * len(frame))}  # fmt: skip
    else:
        bar.update(x=labels, y=frame["effectif"].to_numpy(),
                   hovertemplate="%{x} : %{customdata} personnes<extra></extra>")  # fmt: skip
        layout = {"yaxis": {"title": {"text": "Personnes"}, "tickformat": ",d"}}
    return finish(_spec([bar], layout), title)


def monthly_counts(
    rows: list[tuple[str, dict[str, int]]],
    labels: dict[str, str],
    limit: int,
    codes: tuple[str, ...] | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """Long table (mois, code, libelle, effectif, affiche, part) of counts per month, each
    month masked as its own distribution (or by `linked`: the month's codes a decision
    over linked tables hides); `codes` keeps only those codes, filtered after masking
    (the decision is the whole month's, shares are of the whole month)."""
    records = []
    for month, counts in rows:
        counts = counts or {}
        total = sum(counts.values())
        decided = (linked or {}).get(month)
        for code, value in masking.mask_distribution(counts, limit, decided).items():
            if codes is not None and code not in codes:
                continue
            records.append(
                {
                    "mois": month,
                    "mois_libelle": fmt_month(month),
                    "code": code,
                    "libelle": labels.get(code, PARCOURS_LABELS.get(code, code_label(code))),
                    "effectif": value,
                    "affiche": masking.masked_label(value, limit),
                    "part": (value / total) if value is not None and total else None,
                }
            )
    return pd.DataFrame(
        records,
        columns=["mois", "mois_libelle", "code", "libelle", "effectif", "affiche", "part"],
    )


@plain_labels
def stacked(frame: pd.DataFrame, family: str, title: str, as_share: bool) -> Spec:
    """Stacked bars per month (`monthly_counts`); masked cells are left out of the bars."""
    y = "part" if as_share else "effectif"
    shown = frame[frame[y].notna()]
    colours = COLOURS.get(family, {})
    codes = list(dict.fromkeys(ordered(shown.drop_duplicates("code"), family)["code"]))
    # The columns' arrays, cut per code: a DataFrame filter per code took most of the
    # builder's time.
    columns = {c: shown[c].to_numpy() for c in ("code", "mois", "mois_libelle", "libelle",
                                                  "affiche", "part", y)}  # fmt: skip
    data = []
    for i, code in enumerate(codes):
        rows = {c: values[columns["code"] == code] for c, values in columns.items()}
        shares = [hover_value(v, True) for v in rows["part"]]
        data.append(
            {"type": "bar", "x": rows["mois"], "y": rows[y], "name": str(rows["libelle"][0]),
             "marker": {"color": colours.get(code, OKABE_ITO[i % len(OKABE_ITO)])},
             "customdata": _texts(list(zip(rows["mois_libelle"], rows["affiche"], shares,
                                           strict=True))),
             "hovertemplate": "%{fullData.name} — %{customdata[0]} : %{customdata[1]} "
             "personnes (%{customdata[2]})<extra></extra>"}
        )  # fmt: skip
    spec = _spec(data, {"barmode": "stack"})
    if as_share:
        share_axis(spec, [1.0])
        _merge(spec["layout"], {"yaxis": {"title": {"text": "Part"}}})
    else:
        _merge(spec["layout"], {"yaxis": {"title": {"text": "Personnes"}, "tickformat": ",d"}})
    return french_month_axis(finish(spec, title), frame["mois"])


class LineChart(NamedTuple):
    """The arguments of `lines`, as a view hands them to its page."""

    frame: pd.DataFrame
    x: str
    y: str
    color: str | None
    title: str
    ytitle: str
    share: bool = False
    provisional: str | None = None


@plain_labels
def lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str | None,
    title: str,
    ytitle: str,
    share: bool = False,
    provisional: str | None = None,
) -> Spec:
    """One line per group over months (or cohortes); with `provisional` (a boolean column)
    the values of cohortes whose window is still open are drawn apart."""
    if provisional:
        spec = cohorte_lines.dicts(frame, x, y, color, provisional, title, {x: "", y: ytitle})
    else:
        data = []
        colours = COLOURS.get("parcours", {})
        groups = list(dict.fromkeys(frame[color])) if color else [None]
        for i, group in enumerate(groups):
            rows = (frame[frame[color] == group] if color else frame).sort_values(x)
            tint = colours.get(group, CURVES[i % len(CURVES)])
            data.append(
                {"type": "scatter", "x": rows[x].to_numpy(), "y": rows[y].to_numpy(),
                 "mode": "lines+markers",
                 "name": PARCOURS_LABELS.get(group, str(group)) if color else ytitle,
                 "line": {"color": tint}, "marker": {"color": tint}}
            )  # fmt: skip
        spec = _spec(data, {"xaxis": {"title": {"text": ""}}, "yaxis": {"title": {"text": ytitle}}})
    format_hover(spec, share)
    if share:
        share_axis(spec, frame[y])
    elif frame[y].dropna().map(lambda v: float(v).is_integer()).all():
        _merge(spec["layout"], {"yaxis": {"tickformat": ",d"}})
    return french_month_axis(finish(spec, title), frame[x])


HOVER = "%{fullData.name}<br>%{customdata[0]} : %{customdata[1]}<extra></extra>"


def _texts(rows: list[tuple[str, ...]]) -> np.ndarray:
    """Rows of hover texts as one 2-D array (customdata): plotly takes an array as it is,
    where it copies and walks a list of tuples value by value (a quarter of a long
    curve's figure)."""
    return np.array(rows, dtype=object)


def format_hover(spec: Spec, share: bool, unit: str = "") -> Spec:
    """Hover labels in French for every line trace: « octobre 2026 : 12,3 % »."""
    for trace in spec["data"]:
        x, y = trace.get("x"), trace.get("y")
        if trace.get("hoverinfo") == "skip" or x is None or y is None:
            continue
        texts = [(hover_x(a), hover_value(b, share) + unit) for a, b in zip(x, y, strict=True)]
        trace.update(customdata=_texts(texts), hovertemplate=HOVER)
    return spec


def _in_days(spec: Spec) -> Spec:
    """The hover labels of curves over days: « 30 jours » (`format_hover` wrote « 30 »)."""
    for trace in spec["data"]:
        if trace.get("customdata") is not None:
            trace["customdata"] = _texts([(f"{a} jours", b) for a, b in trace["customdata"]])
    return spec


ORIENTED_SHARES = {  # `<share>` of delai_orientation -> the line it draws
    "orientes_30j": "Orientés en 30 jours",
    "orientes_6sem": "Orientés en 6 semaines (délai légal)",
}


def oriented_in_time(points: pd.DataFrame) -> LineChart:
    """The shares of each entry cohorte oriented within 30 days and six weeks (rows
    cohorte, seuil, part, provisoire), the provisional ones drawn apart."""
    return LineChart(
        points,
        "cohorte",
        "part",
        "seuil",
        "Part de la cohorte d'entrée orientée à temps",
        "Part",
        share=True,
        provisional="provisoire",
    )


def has_values(frame: pd.DataFrame, y: str) -> bool:
    """False when a line chart would be empty (no row, or every value hidden)."""
    return not (frame.empty or frame[y].isna().all())


def _vline(spec: Spec, x: float, line: dict, text: str) -> Spec:
    """A vertical line across the plot at `x`, its text at its top right: the shape and
    annotation `add_vline(x, line=…, annotation_text=text)` adds, without re-validating
    the figure."""
    layout = spec["layout"]
    layout.setdefault("shapes", []).append(
        {"type": "line", "line": line, "x0": x, "x1": x, "xref": "x",
         "y0": 0, "y1": 1, "yref": "y domain"}
    )  # fmt: skip
    layout.setdefault("annotations", []).append(
        {"text": text, "showarrow": False, "x": x, "xanchor": "left", "xref": "x",
         "y": 1, "yanchor": "top", "yref": "y domain"}
    )  # fmt: skip
    return spec


def _hline(spec: Spec, y: float, line: dict, annotation: dict) -> Spec:
    """A horizontal line across the plot at `y`, `annotation` above its left end: the
    shape and annotation `add_hline(y, line=…, annotation=…, annotation_position="top
    left")` adds, without re-validating the figure."""
    layout = spec["layout"]
    layout.setdefault("shapes", []).append(
        {"type": "line", "line": line, "x0": 0, "x1": 1, "xref": "x domain",
         "y0": y, "y1": y, "yref": "y"}
    )  # fmt: skip
    layout.setdefault("annotations", []).append(
        {**annotation, "showarrow": False, "x": 0, "xanchor": "left", "xref": "x domain",
         "y": y, "yanchor": "bottom", "yref": "y"}
    )  # fmt: skip
    return spec


@plain_labels
def contract_curve(curve: pd.DataFrame) -> Spec:
    """Kaplan–Meier curves of time to contract, one per orientation cohorte (`contrat_courbe`
    rows already restricted to the cohortes that may be shown), the days beyond the
    follow-up of the least followed person dashed (« provisoire »)."""
    spec = cohorte_lines.dicts(
        curve.assign(cohorte=curve["cohorte"].map(fmt_month)),
        "jour",
        "part_contractes",
        "cohorte",
        "provisoire",
        "Part des personnes orientées ayant signé leur contrat, selon les jours écoulés",
        {"jour": "Jours depuis l'orientation", "part_contractes": "Part avec contrat"},
        family="cohorte",
        markers=False,
    )
    _vline(spec, 30, {"dash": "dot"}, "30 jours (délai réglementaire)")
    _in_days(format_hover(spec, share=True))
    return share_axis(spec, curve["part_contractes"])


def curve_cohortes(curve: pd.DataFrame, cohortes: list[str], limit: int) -> pd.DataFrame:
    """The observed points of the cohortes asked for, large enough to be drawn."""
    if curve.empty:
        return curve
    kept = curve[curve["cohorte"].isin(cohortes) & curve["observe"]]
    return kept[kept["effectif"] >= limit]


COHORTE_COLOURS = (OKABE_ITO[4], OKABE_ITO[0])  # A, B: the same on every chart


@plain_labels
def funnel(
    steps: list[str], cohortes: list[tuple[str, list[int], list[str], bool]], title: str
) -> Spec:
    """The funnel of cohortes side by side: per cohorte its name, bar values (masked cells
    at 0), printed values and whether it is provisional (hollow bars, drawn apart)."""
    data = [
        {
            "type": "funnel",
            "name": name,
            "y": steps,
            "x": values,
            "text": text,
            "textinfo": "text",
            "marker": {
                "color": "rgba(255,255,255,0)" if provisional else colour,
                "line": {"color": colour, "width": 3 if provisional else 0},
            },
            "hovertemplate": "%{fullData.name} — %{y} : %{text}<extra></extra>",
        }
        for (name, values, text, provisional), colour in zip(
            cohortes, COHORTE_COLOURS, strict=False
        )
    ]
    return finish(_spec(data), title)


@plain_labels
def cohorte_curves(points: pd.DataFrame, title: str, xtitle: str) -> Spec:
    """Kaplan–Meier curves of the two compared cohortes (a share over days), in the
    cohortes' own colours, the provisional days dashed."""
    spec = cohorte_lines.dicts(
        points, "jour", "part", "cohorte", "provisoire", title,
        {"jour": xtitle, "part": "Part"}, family="cohorte", markers=False,
        palette=COHORTE_COLOURS,
    )  # fmt: skip
    _in_days(format_hover(spec, share=True))
    return share_axis(spec, points["part"])


TARGET_COLOUR = OKABE_ITO[5]  # the target's dashed line, apart from the trend's


@plain_labels
def trend_with_target(
    points: list[tuple[str, float | int | None]],
    title: str,
    share: bool,
    target: float | None = None,
    target_label: str = "",
) -> Spec:
    """A tile's 12-month (or 12-cohorte) trend, the département's target drawn as a dashed
    reference line (`target_label`: « Objectif : ≥ 80 % »); unpublished points are gaps."""
    frame = pd.DataFrame(points, columns=["mois", "valeur"])
    frame["valeur"] = pd.to_numeric(frame["valeur"], errors="coerce")
    spec = lines.dicts(frame, "mois", "valeur", None, title, "", share)
    if target is not None:
        _hline(
            spec,
            target,
            {"dash": "dash", "color": TARGET_COLOUR, "width": 2},
            {"text": target_label, "font": {"color": TARGET_COLOUR}},
        )
    if share:
        _zoomed_share_axis(spec, [*frame["valeur"], *([] if target is None else [target])])
    _merge(spec["layout"], {"showlegend": False, "height": 240})
    return spec


def _zoomed_share_axis(spec: Spec, values) -> None:
    """A share axis around the trend and its target (a 76 % line under an 80 % target
    drawn on 0–100 % shows nothing of their gap), ticks in French (« 78 % »)."""
    known = [v for v in values if v is not None and v == v]
    if not known:
        return
    low, high = min(known), max(known)
    pad = max((high - low) * 0.25, 0.01)
    low, high = max(0.0, low - pad), min(1.0, high + pad)
    step = next((s for s in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2) if (high - low) / s <= 6), 0.25)
    first = math.ceil(low / step - 1e-9)
    ticks = [round(i * step, 6) for i in range(first, math.floor(high / step + 1e-9) + 1)]
    decimals = 1 if step < 0.01 else 0
    _merge(spec["layout"], {"yaxis": {"range": [low, high], "tickvals": ticks,
                                      "ticktext": [fmt_share(t, decimals) for t in ticks]}})  # fmt: skip
