"""Délais et contrats: time from orientation to the contrat d'engagement (Kaplan–Meier
curve per orientation cohorte), medians and 30/60-day shares over time, by parcours type."""

import streamlit as st

from dashboard import figures, filters, widgets
from dashboard.views.delais import delais_view

scope = filters.topic("delais", "Délais et contrats")
departement = scope.departement
view = delais_view(scope)
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
    st.info("Pas de cohorte d'orientation d'au moins 11 personnes sur la période.")
else:
    st.plotly_chart(figures.contract_curve(view.curve), width="stretch", key="chart_km")
    st.caption(
        "contrat_courbe : estimation de Kaplan–Meier, une courbe par mois d'orientation ; une "
        "personne sans contrat est suivie jusqu'à la date des données puis censurée ; en tirets "
        "(provisoire), les jours au-delà du suivi de la personne la moins suivie. Contrat : "
        "date de signature du contrat d'engagement (parcours) ou de notification du PPAE valant "
        "contrat d'engagement (PECGM), à la date d'orientation ou après. Cohortes de moins de 11 "
        "personnes non tracées."
    )
    widgets.download(view.curve, f"courbe_contrat_{departement}", "km")

widgets.line_pair((view.median, "mediane"), (view.within_30, "c30"))
st.caption(
    "delai_contrat_jours, contrat_30j_share, contrat_60j_share : par cohorte de mois "
    "d'orientation, sur toutes les personnes orientées du mois. Non affiché sous 11 personnes. "
    "Provisoire (tirets, points creux) : la fenêtre de 30 jours (part), de 60 jours (délai "
    "médian) après la fin du mois n'est pas écoulée à la date des données."
)
widgets.download(view.download, f"delai_contrat_{departement}", "contrat")
widgets.breakdown_table(*view.profile)
if view.first_rdv is not None:
    label, value = view.first_rdv
    st.metric(
        label,
        value,
        help="delai_premier_rdv_jours : de l'orientation au premier rendez-vous d'accompagnement (fichiers parcours).",
    )
