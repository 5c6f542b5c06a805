"""Orientations: decisions by parcours type and organisme over time, and the delay from
RSA entry to orientation per entry cohorte, with the 30-day and six-week lines."""

import streamlit as st

from dashboard import figure_cache, filters, widgets
from dashboard.views.orientations import orientations_view

scope = filters.topic("orientations", "Orientations")
departement, month = scope.departement, scope.month
view = figure_cache.view(orientations_view, scope, departement=scope.departement)  # once per data
filters.period_caption(
    departement,
    scope.months,
    "décisions CGPEM, reprise de stock, fichiers parcours",
    data_date=view.data_date,
)
if view.decisions is None:
    st.info(
        "Aucune décision d'orientation chargée pour ce département (CGPEM, reprise de stock ou parcours)."
    )
    st.stop()

decisions = view.decisions
c1, c2 = st.columns(2)
c1.metric(decisions.decisions_label, decisions.decisions, help=decisions.decisions_help)
c2.metric(decisions.personnes_label, decisions.personnes, help=decisions.personnes_help)
widgets.monthly_chart(*decisions.monthly)
widgets.breakdown_table(*decisions.profile)
widgets.distribution(*decisions.organismes)

st.subheader("Délai entre l'entrée au RSA et l'orientation, par cohorte d'entrée")
cohortes = view.cohortes
st.caption(cohortes.population)
if cohortes.link is not None:
    st.metric(
        "Personnes orientées retrouvées dans le flux CAF/MSA",
        cohortes.link,
        help=decisions.link_help,
    )
if cohortes.empty:
    st.info(
        "Aucune date d'entrée au RSA dans les données chargées (flux CAF/MSA, reprise de "
        "stock ou parcours)."
    )
else:
    widgets.lines(cohortes.chart, "delai_parts")
    st.caption(cohortes.chart_caption)
    st.dataframe(cohortes.table, hide_index=True, width="stretch")
    widgets.download(cohortes.download, f"delai_orientation_{departement}", "delai_orientation")
    widgets.breakdown_table(*cohortes.profile)
