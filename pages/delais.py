"""Délais et contrats: time from orientation to the contrat d'engagement (Kaplan–Meier
curve per orientation cohorte), medians and 30/60-day shares over time, by parcours type."""

import streamlit as st

from dashboard import figure_cache, figures, filters, widgets
from dashboard.views.delais import delais_view

scope = filters.topic("delais", "Délais et contrats")
departement = scope.departement
view = figure_cache.view(delais_view, scope, departement=scope.departement)  # once per data
filters.period_caption(
    departement,
    scope.months,
    "orientations, PECGM (PPAE valant contrat d'engagement), parcours",
    what="cohortes d'orientation de ",
    data_date=view.data_date,
)
if view.empty:
    st.info(
        "Aucune orientation chargée pour ce département : le délai jusqu'au contrat n'est pas disponible."
    )
    st.stop()

if view.curve.empty:
    st.info(view.no_curve)
else:
    figure_cache.chart(figures.contract_curve, view.curve, key="km")
    st.caption(view.curve_caption)
    widgets.download(view.curve, f"courbe_contrat_{departement}", "km")
widgets.line_pair((view.median, "mediane"), (view.within_30, "c30"))
st.caption(view.caption)
widgets.download(view.download, f"delai_contrat_{departement}", "contrat")
widgets.breakdown_table(*view.profile)
if view.first_rdv is not None:
    label, value = view.first_rdv
    st.metric(
        label,
        value,
        help=view.first_rdv_help,
    )
