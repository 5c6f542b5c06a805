"""Bilan annuel (DREES): the six tables of the enquête OARSA for a chosen year, each column
with its definition, what is missing to fill them, and the return (xlsx, exact) for
download. Figures and labels: dashboard/views/oarsa.py."""

import streamlit as st

from dashboard import auth, filters, widgets
from dashboard.views import oarsa as view

auth.require("oarsa")
st.title("Bilan annuel (DREES)")
departement, _ = filters.departement_and_month()
if not departement:
    filters.no_data_message()
    st.stop()
left, right = st.columns(2)
annee = left.selectbox("Année (situation au 31/12)", view.annees(departement), key="oarsa_annee")
regle = right.selectbox(
    "Population",
    list(view.REGLES),
    format_func=lambda r: view.REGLES[r],
    index=list(view.REGLES).index(view.regle_par_defaut()),
    key="oarsa_regle",
)
bilan = view.bilan_view(departement, annee, regle)
st.caption(view.caption(bilan))
for text in bilan.manques:
    st.warning(text)
if bilan.result["disponible"]:
    widgets.built_on_click(
        st,
        "Télécharger le bilan (Excel, six tableaux)",
        lambda: view.export_bytes(bilan),  # built when clicked: 60 % of a view's CPU
        view.export_name(bilan.result),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="oarsa_xlsx",
    )
    widgets.distribution(*bilan.categories)
    for tableau in bilan.tableaux:
        st.subheader(tableau.titre)
        if tableau.message:
            st.info(tableau.message)
            continue
        st.dataframe(
            tableau.frame,
            hide_index=True,
            width="stretch",
            column_config={
                label: st.column_config.TextColumn(label, help=definition)
                for label, definition in tableau.definitions.items()
            },
        )
        with st.expander("Définitions des colonnes"):
            for label, definition in tableau.definitions.items():
                st.markdown(f"**{label}** — {definition}")
if not bilan.non_classes.empty:
    st.subheader("Organismes non classés")
    st.dataframe(bilan.non_classes, hide_index=True, width="stretch")
    st.caption(
        "À compléter dans le classement des organismes du département (fichier "
        "« organisme;categorie » que charge le gestionnaire de données ou l'administrateur)."
    )
st.subheader("Sources et dates des données")
st.dataframe(bilan.sources, hide_index=True, width="stretch")
