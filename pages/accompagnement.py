"""Accompagnement: modalities, axes, follow-up structures, recent contact and the
intensity of accompaniment (weekly hours, appointments)."""

import streamlit as st

from dashboard import filters, france_travail, widgets
from dashboard.views.accompagnement import accompagnement_view

scope = filters.topic("accompagnement", "Accompagnement")
filters.period_caption(scope.departement, scope.months, "fichiers PECGM, fichiers parcours")
view = accompagnement_view(scope)

widgets.monthly_chart(*view.modalites)
for column, distribution in zip(st.columns(2), view.distributions, strict=True):
    with column:
        widgets.distribution(*distribution)
widgets.lines(view.contact, "contact")
st.caption(
    "contact_90j_share : dernier contact au plus 90 jours avant la date de référence du fichier, sur le stock du mois."
)

france_travail.section(scope.departement, scope.month, scope.communes, scope.parcours)

st.subheader("Intensité de l'accompagnement")
intensite = view.intensite
if intensite is None:
    st.info("Aucun fichier parcours chargé pour ce département : l'intensité n'est pas disponible.")
    st.stop()
widgets.line_pair((intensite.hours, "heures"), (intensite.at_15h, "heures15"))
st.caption(
    "heures_hebdo : heures des prestations commençant dans le mois, divisées par les semaines "
    "du mois, par personne en parcours actif (orientée au plus tard le dernier jour du mois) ; "
    "15 heures : objectif d'activité de la loi pour le plein emploi. Non affiché sous 11 personnes."
)
label, value = intensite.rdv
st.metric(
    label,
    value,
    help="rdv_par_personne : rendez-vous datés du mois, par personne en parcours actif.",
)
widgets.download(intensite.download, f"intensite_{scope.departement}", "intensite")
widgets.breakdown_table(*intensite.profile)
