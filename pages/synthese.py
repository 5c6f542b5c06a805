"""Synthèse: the steering committee's key figures for one département and month."""

import streamlit as st

from dashboard import comite_download, filters, widgets
from dashboard.views.synthese import synthese_view, territoire_table

departement, month, communes = filters.open_page("synthese", "Synthèse")
view = synthese_view(departement, month, communes)

st.caption(view.caption)
for column, tile in zip(st.columns(len(view.stock)), view.stock, strict=True):
    column.metric(
        tile.label,
        tile.value,
        delta=tile.delta,
        help=tile.help,
        **({"chart_data": view.trend, "chart_type": "line"} if tile is view.stock[0] else {}),
    )
for row in view.main:
    for column, (tile, caption) in zip(st.columns(len(row)), row, strict=True):
        column.metric(
            tile.label,
            tile.value,
            delta=tile.delta,
            delta_color="inverse" if tile.lower_is_better else "normal",
            help=tile.help,
        )
        column.caption(caption)

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
