"""Accompagnement: modalities, axes, follow-up structures, recent contact and the
intensity of accompaniment (weekly hours, appointments)."""

import streamlit as st

from dashboard import figure_cache, filters, france_travail, widgets
from dashboard.views.accompagnement import accompagnement_view

scope = filters.topic("accompagnement", "Accompagnement")
filters.period_caption(scope.departement, scope.months, "fichiers PECGM, fichiers parcours")
view = figure_cache.view(accompagnement_view, scope, departement=scope.departement)  # once per data

widgets.monthly_chart(*view.modalites)
for column, distribution in zip(st.columns(2), view.distributions, strict=True):
    with column:
        widgets.distribution(*distribution)
widgets.lines(view.contact, "contact")
st.caption(view.contact_caption)

france_travail.section(scope.departement, scope.month, scope.communes, scope.parcours)

st.subheader("Intensité de l'accompagnement")
intensite = view.intensite
if intensite is None:
    st.info("Aucun fichier parcours chargé pour ce département : l'intensité n'est pas disponible.")
    st.stop()
widgets.line_pair((intensite.hours, "heures"), (intensite.at_15h, "heures15"))
st.caption(intensite.caption)
label, value = intensite.rdv
st.metric(
    label,
    value,
    help=intensite.rdv_help,
)
widgets.download(intensite.download, f"intensite_{scope.departement}", "intensite")
widgets.breakdown_table(*intensite.profile)
