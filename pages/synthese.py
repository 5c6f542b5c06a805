"""Synthèse: the steering committee's key figures for one département and month."""

import streamlit as st

from dashboard import comite_download, figure_cache, figures, filters, widgets
from dashboard.texte import for_markdown
from dashboard.views.synthese import objectif_figures, synthese_view, territoire_table

DELTA_COLOURS = {"mieux": "green", "moins-bien": "red"}
DELTA_ARROWS = {1: "up", -1: "down"}

departement, month, communes = filters.open_page("synthese", "Synthèse")
view = synthese_view(departement, month, communes)

st.caption(view.caption)
for warning in view.warnings:  # a refused objectifs or references file: the page goes on
    st.warning(for_markdown(warning))
for group in view.groups:
    st.markdown(f"**{for_markdown(group.title)}**")  # the period the tiles below cover
    for column, tile in zip(st.columns(len(group.tiles)), group.tiles, strict=True):
        trend = [v for _, v in tile.trend if v is not None]
        column.metric(
            tile.label,
            tile.value,
            # the builder's words (« −3,0 points sur la cohorte précédente », as the
            # committee report prints them); arrow and colour from its sign, not the text
            delta=tile.delta_words,
            delta_color=DELTA_COLOURS.get(tile.tone, "gray"),
            delta_arrow=DELTA_ARROWS.get(tile.direction, "off"),
            help=tile.help,
            **({"chart_data": trend, "chart_type": "line"} if len(trend) > 1 else {}),
        )
        if tile.caption:
            column.caption(tile.caption)
        if tile.context:  # a year before, the trend, the target, the national figures
            column.caption("  \n".join(for_markdown(line) for line in tile.context))
    targeted = objectif_figures(group)
    for column, (tile, args) in zip(st.columns(max(len(targeted), 2)), targeted, strict=False):
        with column:
            st.plotly_chart(
                figure_cache.figure(figures.trend_with_target, *args),
                width="stretch",
                key=f"objectif_{tile.key}",
            )

st.caption(view.population)
with st.container(border=True):
    st.markdown("**Ce qui change ce mois-ci**")
    for sentence in view.sentences:
        st.markdown(f"- {sentence}")
    st.caption(
        "Délais et parts d'une cohorte : dernière cohorte complète à la date des données "
        "(une cohorte encore en cours de suivi est provisoire et n'est jamais mise en avant)."
    )
comite_download.report_download(departement, month)

for column, distribution in zip(st.columns(2), view.distributions, strict=True):
    with column:
        widgets.distribution(*distribution)

if view.territoires and st.toggle(
    view.compare_label,
    key="comparer_territoires",
    help="Un tableau des chiffres clés par territoire (calculé à la demande).",
):
    table = territoire_table(view)
    st.subheader(table.title)
    st.dataframe(
        widgets.readable(table.frame, table.shares, table.numbers),
        hide_index=True,
        width="stretch",
    )
    st.caption(table.caption)
    widgets.download(table.frame, table.file, "territoires")
