"""The Plotly figures of the pages, built without Streamlit.

A page draws them with `st.plotly_chart`; the committee report (`dashboard/comite.py`)
prints the very same figures to PDF. Masking is applied before a figure is built: every
function here takes the masking threshold of the view it is built for.
"""

from __future__ import annotations

import math
import re
import textwrap
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go

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


def wrap_title(title: str) -> str:
    """A long title on several lines (plotly.js never wraps one: it would be cut)."""
    if not title or "<br>" in title:  # empty, or wrapped already
        return title or ""
    return "<br>".join(textwrap.wrap(title, TITLE_WIDTH))


def finish(fig: go.Figure, title: str | None = None) -> go.Figure:
    """What every figure shares: French separators (« 1 234 », « 12,3 »), the title
    wrapped and left-aligned, the legend in a row under the plot (beside it, it eats
    half a phone screen), hover labels never cut."""
    text = wrap_title(title if title is not None else (fig.layout.title.text or ""))
    lines = text.count("<br>") + 1 if text else 0
    below = -0.32 if fig.layout.xaxis.title.text else -0.16
    fig.update_layout(  # one update: each one validates the whole layout again
        separators=", ",
        font=FONT,
        title={"text": text, "x": 0, "xanchor": "left", "font": {"size": 15}},
        legend={"orientation": "h", "yanchor": "top", "y": below, "x": 0, "xanchor": "left",
                "title": {"text": ""}},
        margin={"l": 8, "r": 8, "t": 30 + 22 * lines, "b": 8},
        hoverlabel={"namelength": -1},
        xaxis_automargin=True,
        yaxis_automargin=True,
    )  # fmt: skip
    return fig


def share_axis(fig: go.Figure, values, axis: str = "y") -> go.Figure:
    """A share axis scaled to its values: 0–100 % only when a value comes near it (a 1 %
    share drawn on 0–100 % is flat), ticks in French (« 12 % »)."""
    known = [v for v in values if v is not None and v == v]
    top = max(known, default=1.0)
    end = 1.0 if top > 0.6 else min(1.0, top * 1.15) or 0.01
    step = next(s for s in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25) if end / s <= 6)
    end = round(min(1.0, math.ceil(end / step - 1e-9) * step), 6)
    ticks = [round(i * step, 6) for i in range(round(end / step) + 1)]
    decimals = 1 if step < 0.01 else 0
    update = {"range": [0, end], "tickvals": ticks,
              "ticktext": [fmt_share(t, decimals) for t in ticks]}  # fmt: skip
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**update)
    return fig


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
) -> go.Figure:
    """One line per group over cohortes, the provisional values drawn apart: complete
    cohortes as a solid line with filled markers, provisional ones (boolean column
    `provisional`) as a dashed segment with hollow markers, and one legend entry
    « provisoire ». Every page that plots a cohorte series draws it with this; curves
    over days (Kaplan–Meier) go without markers, the provisional part dashed. A group
    without a colour of its family takes the palette's colour of its rank."""
    fig = go.Figure()
    colours = COLOURS.get(family, {})
    groups = list(dict.fromkeys(frame[color])) if color else [None]
    for i, group in enumerate(groups):
        rows = (frame[frame[color] == group] if color else frame).sort_values(x)
        rows = rows.dropna(subset=[y])
        colour = colours.get(group, palette[i % len(palette)])
        done = rows[~rows[provisional].astype(bool)]
        open_ = rows[rows[provisional].astype(bool)]
        name = PARCOURS_LABELS.get(group, str(group)) if group is not None else labels.get(y, y)
        fig.add_trace(
            go.Scatter(
                x=done[x], y=done[y], mode="lines+markers" if markers else "lines",
                name=name, legendgroup=name,
                line={"color": colour}, marker={"color": colour, "size": 8},
            )
        )  # fmt: skip
        if open_.empty:
            continue
        bridge = pd.concat([done.tail(1), open_])  # the dashed segment starts at the last complete
        fig.add_trace(
            go.Scatter(
                x=bridge[x], y=bridge[y], mode="lines", name=name, legendgroup=name,
                showlegend=False, hoverinfo="skip" if markers else None,
                line={"color": colour, "dash": "dash"},
            )
        )  # fmt: skip
        if not markers:
            continue
        fig.add_trace(
            go.Scatter(
                x=open_[x], y=open_[y], mode="markers", name=f"{name} ({PROVISOIRE})",
                legendgroup=name, showlegend=False,
                marker={"color": colour, "size": 10, "symbol": "circle-open",
                        "line": {"width": 2}},
            )
        )  # fmt: skip
    if frame[provisional].astype(bool).any():
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="lines+markers" if markers else "lines",
                name=PROVISOIRE,
                line={"color": NON_RENSEIGNE, "dash": "dash"},
                marker={"symbol": "circle-open", "size": 9, "color": NON_RENSEIGNE},
            )
        )  # fmt: skip
    fig.update_layout(
        title=title, xaxis_title=labels.get(x, ""), yaxis_title=labels.get(y, ""),
    )  # fmt: skip
    return finish(fig)


PARCOURS_LABELS = {
    "social": "Social",
    "socio_professionnel": "Socio-professionnel",
    "professionnel": "Professionnel",
    "non_renseigne": "Non renseigné",
    "ensemble": "Ensemble",
}


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def french_month_axis(fig: go.Figure, values) -> go.Figure:
    """Month axes in French ('oct. 2026'), whatever the browser's locale: plotly.js would
    print its own English month names."""
    months = sorted({v for v in values if isinstance(v, str) and MONTH.match(v)})
    if months:
        fig.update_xaxes(tickvals=months, ticktext=[fmt_month_short(m) for m in months])
    return fig


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
    order = list(COLOURS.get(family, {}))
    if order and frame["code"].isin(order).any():
        rank = {c: i for i, c in enumerate(order)}
        return (
            frame.assign(_r=frame["code"].map(lambda c: rank.get(c, len(rank))))
            .sort_values("_r", kind="stable")
            .drop(columns="_r")
        )
    return frame.sort_values("effectif", ascending=False, kind="stable")


@plain_labels
def distribution(frame: pd.DataFrame, family: str, title: str) -> go.Figure:
    """A bar per code of a masked distribution (`masked_frame`), its printed value by the
    bar; horizontal bars when the labels are long (read without tilting the head)."""
    frame = ordered(frame, family)
    colours = COLOURS.get(family)
    colour = [(colours or {}).get(c, NEUTRAL if not colours else NON_RENSEIGNE)
              for c in frame["code"]]  # fmt: skip
    horizontal = frame["libelle"].astype(str).str.len().max() > LONG_LABEL or len(frame) > 8
    labels = frame["libelle"].astype(str).tolist()
    common = {"text": frame["affiche"], "textposition": "outside", "cliponaxis": False,
              "marker": {"color": colour}, "customdata": frame["affiche"],
              "showlegend": False}  # fmt: skip
    if horizontal:
        fig = go.Figure(
            go.Bar(y=labels, x=frame["effectif"], orientation="h",
                   hovertemplate="%{y} : %{customdata} personnes<extra></extra>", **common)
        )  # fmt: skip
        fig.update_yaxes(autorange="reversed", title_text="")
        fig.update_xaxes(title_text="Personnes", tickformat=",d")
        fig.update_layout(height=max(260, 90 + 30 * len(frame)))
    else:
        fig = go.Figure(
            go.Bar(x=labels, y=frame["effectif"],
                   hovertemplate="%{x} : %{customdata} personnes<extra></extra>", **common)
        )  # fmt: skip
        fig.update_yaxes(title_text="Personnes", tickformat=",d")
    return finish(fig, title)


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
def stacked(frame: pd.DataFrame, family: str, title: str, as_share: bool) -> go.Figure:
    """Stacked bars per month (`monthly_counts`); masked cells are left out of the bars."""
    y = "part" if as_share else "effectif"
    shown = frame.dropna(subset=[y])
    colours = COLOURS.get(family, {})
    codes = list(dict.fromkeys(ordered(shown.drop_duplicates("code"), family)["code"]))
    fig = go.Figure()
    for i, code in enumerate(codes):
        rows = shown[shown["code"] == code]
        fig.add_trace(
            go.Bar(
                x=rows["mois"], y=rows[y], name=str(rows["libelle"].iloc[0]),
                marker={"color": colours.get(code, OKABE_ITO[i % len(OKABE_ITO)])},
                customdata=list(zip(rows["mois_libelle"], rows["affiche"],
                                    [hover_value(v, True) for v in rows["part"]], strict=True)),
                hovertemplate="%{fullData.name} — %{customdata[0]} : %{customdata[1]} "
                "personnes (%{customdata[2]})<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(barmode="stack")
    if as_share:
        share_axis(fig, [1.0])
        fig.update_yaxes(title_text="Part")
    else:
        fig.update_yaxes(title_text="Personnes", tickformat=",d")
    return french_month_axis(finish(fig, title), frame["mois"])


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
) -> go.Figure:
    """One line per group over months (or cohortes); with `provisional` (a boolean column)
    the values of cohortes whose window is still open are drawn apart."""
    if provisional:
        fig = cohorte_lines(frame, x, y, color, provisional, title, {x: "", y: ytitle})
    else:
        fig = go.Figure()
        colours = COLOURS.get("parcours", {})
        groups = list(dict.fromkeys(frame[color])) if color else [None]
        for i, group in enumerate(groups):
            rows = (frame[frame[color] == group] if color else frame).sort_values(x)
            tint = colours.get(group, CURVES[i % len(CURVES)])
            fig.add_trace(
                go.Scatter(
                    x=rows[x], y=rows[y], mode="lines+markers",
                    name=PARCOURS_LABELS.get(group, str(group)) if color else ytitle,
                    line={"color": tint}, marker={"color": tint},
                )
            )  # fmt: skip
        fig.update_layout(xaxis_title="", yaxis_title=ytitle)
    format_hover(fig, share)
    if share:
        share_axis(fig, frame[y])
    elif frame[y].dropna().map(lambda v: float(v).is_integer()).all():
        fig.update_yaxes(tickformat=",d")
    return french_month_axis(finish(fig, title), frame[x])


def format_hover(fig: go.Figure, share: bool, unit: str = "") -> go.Figure:
    """Hover labels in French for every line trace: « octobre 2026 : 12,3 % »."""
    for trace in fig.data:
        if trace.hoverinfo == "skip" or trace.x is None or trace.y is None:
            continue
        trace.customdata = [
            (hover_x(a), hover_value(b, share) + unit)
            for a, b in zip(trace.x, trace.y, strict=True)
        ]
        trace.hovertemplate = (
            "%{fullData.name}<br>%{customdata[0]} : %{customdata[1]}<extra></extra>"
        )
    return fig


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


@plain_labels
def contract_curve(curve: pd.DataFrame) -> go.Figure:
    """Kaplan–Meier curves of time to contract, one per orientation cohorte (`contrat_courbe`
    rows already restricted to the cohortes that may be shown), the days beyond the
    follow-up of the least followed person dashed (« provisoire »)."""
    fig = cohorte_lines(
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
    fig.add_vline(x=30, line_dash="dot", annotation_text="30 jours (délai réglementaire)")
    format_hover(fig, share=True)
    for trace in fig.data:
        if trace.customdata is not None:
            trace.customdata = [(f"{a} jours", b) for a, b in trace.customdata]
    share_axis(fig, curve["part_contractes"])
    return fig


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
) -> go.Figure:
    """The funnel of cohortes side by side: per cohorte its name, bar values (masked cells
    at 0), printed values and whether it is provisional (hollow bars, drawn apart)."""
    fig = go.Figure()
    for (name, values, text, provisional), colour in zip(cohortes, COHORTE_COLOURS, strict=False):
        fig.add_trace(
            go.Funnel(
                name=name,
                y=steps,
                x=values,
                text=text,
                textinfo="text",
                marker={
                    "color": "rgba(255,255,255,0)" if provisional else colour,
                    "line": {"color": colour, "width": 3 if provisional else 0},
                },
            )
        )
    fig.update_traces(hovertemplate="%{fullData.name} — %{y} : %{text}<extra></extra>")
    return finish(fig, title)


@plain_labels
def cohorte_curves(points: pd.DataFrame, title: str, xtitle: str) -> go.Figure:
    """Kaplan–Meier curves of the two compared cohortes (a share over days), in the
    cohortes' own colours, the provisional days dashed."""
    fig = cohorte_lines(
        points, "jour", "part", "cohorte", "provisoire", title,
        {"jour": xtitle, "part": "Part"}, family="cohorte", markers=False,
        palette=COHORTE_COLOURS,
    )  # fmt: skip
    format_hover(fig, share=True)
    for trace in fig.data:
        if trace.customdata is not None:
            trace.customdata = [(f"{a} jours", b) for a, b in trace.customdata]
    share_axis(fig, points["part"])
    return fig


TARGET_COLOUR = OKABE_ITO[5]  # the target's dashed line, apart from the trend's


@plain_labels
def trend_with_target(
    points: list[tuple[str, float | int | None]],
    title: str,
    share: bool,
    target: float | None = None,
    target_label: str = "",
) -> go.Figure:
    """A tile's 12-month (or 12-cohorte) trend, the département's target drawn as a dashed
    reference line (`target_label`: « Objectif : ≥ 80 % »); unpublished points are gaps."""
    frame = pd.DataFrame(points, columns=["mois", "valeur"])
    frame["valeur"] = pd.to_numeric(frame["valeur"], errors="coerce")
    fig = lines(frame, "mois", "valeur", None, title, "", share)
    if target is not None:
        fig.add_hline(
            y=target,
            line={"dash": "dash", "color": TARGET_COLOUR, "width": 2},
            annotation={"text": target_label, "font": {"color": TARGET_COLOUR}},
            annotation_position="top left",
        )
    if share:
        _zoomed_share_axis(fig, [*frame["valeur"], *([] if target is None else [target])])
    fig.update_layout(showlegend=False, height=240)
    return fig


def _zoomed_share_axis(fig: go.Figure, values) -> None:
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
    fig.update_yaxes(range=[low, high], tickvals=ticks,
                     ticktext=[fmt_share(t, decimals) for t in ticks])  # fmt: skip
