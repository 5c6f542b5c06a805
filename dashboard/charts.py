"""Plotly charts with one colour per category on every page (Okabe-Ito, colour-blind safe)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
NON_RENSEIGNE = "#999999"

COLOURS: dict[str, dict[str, str]] = {
    "categorie": {
        "1": OKABE_ITO[4],
        "2": OKABE_ITO[1],
        "3": OKABE_ITO[2],
        "4": OKABE_ITO[0],
        "5": OKABE_ITO[5],
        "6": "#7FB8DA",  # 6-8 (reduced activity): lighter tints of 1-3's blues and green
        "7": "#A9D8F5",
        "8": "#66C5AB",
        "F": OKABE_ITO[6],
        "G": OKABE_ITO[3],
        "non_renseignee": NON_RENSEIGNE,
    },
    "modalite": {
        "SUI": OKABE_ITO[2],
        "GUI": OKABE_ITO[1],
        "REN": OKABE_ITO[4],
        "GLO": OKABE_ITO[5],
        "APR": OKABE_ITO[0],
        "non_renseignee": NON_RENSEIGNE,
    },
    "parcours": {
        "social": OKABE_ITO[5],
        "Social": OKABE_ITO[5],
        "socio_professionnel": OKABE_ITO[0],
        "Socio-professionnel": OKABE_ITO[0],
        "professionnel": OKABE_ITO[4],
        "Professionnel": OKABE_ITO[4],
        "ensemble": OKABE_ITO[7],
        "Ensemble": OKABE_ITO[7],
        "non_renseigne": NON_RENSEIGNE,
    },
    "sexe": {"F": OKABE_ITO[6], "M": OKABE_ITO[1], "non_renseigne": NON_RENSEIGNE},
    "tranche_age": {
        "moins_25": OKABE_ITO[0],
        "25_34": OKABE_ITO[1],
        "35_44": OKABE_ITO[2],
        "45_54": OKABE_ITO[4],
        "55_plus": OKABE_ITO[5],
        "non_renseignee": NON_RENSEIGNE,
    },
    "flux": {
        "inscriptions": OKABE_ITO[2],
        "cessations": OKABE_ITO[0],
        "radiations": OKABE_ITO[5],
    },
    "cessations_motif": {
        "reprise_emploi": OKABE_ITO[2],
        "formation": OKABE_ITO[1],
        "absence_controle": OKABE_ITO[5],
        "sante": OKABE_ITO[6],
        "autres": NON_RENSEIGNE,
    },
}


NEUTRAL = OKABE_ITO[4]  # the bars of a family without colours of its own: one colour
PROVISOIRE = "provisoire"  # the legend entry of values whose window is still open


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


def cohort_lines(
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
    """One line per group over cohorts, the provisional values drawn apart: complete
    cohorts as a solid line with filled markers, provisional ones (boolean column
    `provisional`) as a dashed segment with hollow markers, and one legend entry
    « provisoire ». Every page that plots a cohort series draws it with this; curves
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
