"""Demandeurs d'emploi: categories (1–8, F, G and any code present) over time (counts or
shares) and the flows: registrations, cessations by motif group, radiations."""

import streamlit as st

from dashboard import figure_cache, filters, widgets
from dashboard.formatting import fmt_month
from dashboard.views.demandeurs import demandeurs_view

scope = filters.topic("demandeurs", "Demandeurs d'emploi", parcours=False)
departement, month = scope.departement, scope.month
filters.period_caption(departement, scope.months, "fichiers PECGM, listes LRSA DE")
view = figure_cache.view(demandeurs_view, scope, departement=scope.departement)  # once per data

widgets.monthly_chart(*view.categories)

st.subheader(f"Profil des inscrits — {fmt_month(month)}")
for column, distribution in zip(st.columns(2), view.profile, strict=True):
    with column:
        widgets.distribution(*distribution)
with st.expander(f"Inscrits par commune de résidence ({len(view.communes)} communes)"):
    st.dataframe(view.communes, hide_index=True, width="stretch")
    st.caption("code_commune_residence du fichier PECGM." + widgets.masked_note())
    widgets.download(view.communes, f"communes_{departement}_{month}", "communes")

st.subheader("Flux")
widgets.lines(view.flows.chart, "flux")
st.caption(view.flows.caption)
widgets.download(view.flows.download, f"flux_{departement}", "flux")
widgets.distribution(*view.flows.motifs)
