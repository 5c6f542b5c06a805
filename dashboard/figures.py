"""The Plotly figures of the pages, built without Streamlit.

A page draws them with `st.plotly_chart`; the committee report (`dashboard/comite.py`)
prints the very same figures to PDF. Masking is applied before a figure is built: every
function here takes the masking threshold of the view it is built for.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from dashboard.formatting import fmt_month, fmt_month_short
from dashboard.palette import COLOURS, NEUTRAL, NON_RENSEIGNE, OKABE_ITO, PROVISOIRE
from pipelines import masking


def bar(
    frame: pd.DataFrame, x: str, y: str, family: str, title: str, labels: dict[str, str]
) -> go.Figure:
    """A bar per code: the family's fixed colour per code (the same on every page), or
    one neutral colour when the codes have none (organismes, structures...)."""
    colours = COLOURS.get(family)
    fig = px.bar(
        frame,
        x=x,
        y=y,
        color=x,
        color_discrete_map=colours or {c: NEUTRAL for c in frame[x]},
        title=title,
        labels=labels,
        text="libelle_valeur",
    )
    fig.update_layout(showlegend=False, separators=", ", margin={"t": 60, "b": 20})
    fig.update_traces(textposition="outside", cliponaxis=False)
    return fig


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
    palette: tuple[str, ...] = OKABE_ITO,
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
        name = str(group) if group is not None else labels.get(y, y)
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
        title=title, separators=", ", legend_title_text="",
        xaxis_title=labels.get(x, ""), yaxis_title=labels.get(y, ""),
    )  # fmt: skip
    return fig


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


def masked_frame(counts: dict[str, int], labels: dict[str, str], limit: int) -> pd.DataFrame:
    """A distribution with masking applied: 'effectif' for the bars (0 when masked) and
    'affiche' for what is printed ('< 11' when masked)."""
    masked = masking.mask_distribution(counts, limit)
    return pd.DataFrame(
        {
            "code": list(masked),
            # a code outside the code list (newer than it) is shown under its own code
            "libelle": [labels.get(c, c) for c in masked],
            "effectif": [v if v is not None else 0 for v in masked.values()],
            "affiche": [masking.masked_label(v, limit) for v in masked.values()],
        }
    )


def distribution(frame: pd.DataFrame, family: str, title: str) -> go.Figure:
    """A bar per code of a masked distribution (`masked_frame`), its printed value on top."""
    fig = bar(
        frame.rename(columns={"affiche": "libelle_valeur"}),
        "code",
        "effectif",
        family,
        title,
        {"code": "", "effectif": "Personnes"},
    )
    fig.update_xaxes(ticktext=frame["libelle"], tickvals=frame["code"])
    return fig


def monthly_counts(
    rows: list[tuple[str, dict[str, int]]], labels: dict[str, str], limit: int
) -> pd.DataFrame:
    """Long table (mois, code, libelle, effectif, affiche, part) of counts per month, each
    month masked as its own distribution."""
    records = []
    for month, counts in rows:
        counts = counts or {}
        total = sum(counts.values())
        for code, value in masking.mask_distribution(counts, limit).items():
            records.append(
                {
                    "mois": month,
                    "mois_libelle": fmt_month(month),
                    "code": code,
                    "libelle": labels.get(code, PARCOURS_LABELS.get(code, code)),
                    "effectif": value,
                    "affiche": masking.masked_label(value, limit),
                    "part": (value / total) if value is not None and total else None,
                }
            )
    return pd.DataFrame(
        records,
        columns=["mois", "mois_libelle", "code", "libelle", "effectif", "affiche", "part"],
    )


def stacked(frame: pd.DataFrame, family: str, title: str, as_share: bool) -> go.Figure:
    """Stacked bars per month (`monthly_counts`); masked cells are left out of the bars."""
    y = "part" if as_share else "effectif"
    fig = px.bar(
        frame.dropna(subset=[y]),
        x="mois",
        y=y,
        color="code",
        color_discrete_map=COLOURS.get(family, {}),
        title=title,
        labels={"mois": "", y: "Part" if as_share else "Personnes", "code": ""},
        hover_data={"libelle": True, "affiche": True},
    )
    fig.update_layout(separators=", ", barmode="stack", legend_title_text="")
    if as_share:
        fig.update_yaxes(tickformat=".0%")
    for trace in fig.data:
        label = frame.loc[frame["code"] == trace.name, "libelle"]
        if not label.empty:
            trace.name = label.iloc[0]
    return french_month_axis(fig, frame["mois"])


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
        if share:
            fig.update_yaxes(tickformat=".0%", range=[0, 1])
        return french_month_axis(fig, frame[x])
    fig = px.line(
        frame,
        x=x,
        y=y,
        color=color,
        markers=True,
        title=title,
        labels={x: "", y: ytitle, color or "": ""},
        color_discrete_map=COLOURS.get("parcours", {}),
    )
    fig.update_layout(separators=", ", legend_title_text="")
    if share:
        fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return french_month_axis(fig, frame[x])


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
    fig.update_layout(separators=", ")
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def curve_cohortes(curve: pd.DataFrame, cohortes: list[str], limit: int) -> pd.DataFrame:
    """The observed points of the cohortes asked for, large enough to be drawn."""
    if curve.empty:
        return curve
    kept = curve[curve["cohorte"].isin(cohortes) & curve["observe"]]
    return kept[kept["effectif"] >= limit]


COHORTE_COLOURS = (OKABE_ITO[4], OKABE_ITO[0])  # A, B: the same on every chart


def funnel(steps: list[str], cohortes: list[tuple[str, list[int], list[str], bool]], title: str):
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
    fig.update_layout(title=title, separators=", ", legend={"orientation": "h"})
    return fig


def cohorte_curves(points: pd.DataFrame, title: str, xtitle: str) -> go.Figure:
    """Kaplan–Meier curves of the two compared cohortes (a share over days), in the
    cohortes' own colours, the provisional days dashed."""
    fig = cohorte_lines(
        points, "jour", "part", "cohorte", "provisoire", title,
        {"jour": xtitle, "part": "Part"}, family="cohorte", markers=False,
        palette=COHORTE_COLOURS,
    )  # fmt: skip
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3})
    return fig
