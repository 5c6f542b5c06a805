"""Qualité des données: the load journal (status, counts, who, when)."""

import pandas as pd
import streamlit as st

from dashboard import auth, db

STATUS_FR = {"loaded": "chargé", "refused": "refusé", "superseded": "remplacé", "failed": "échec"}

user = auth.require("qualite")
st.title("Qualité des données")
rows = [
    r
    for r in db.recent_loads(500)
    if (r[5] and user.sees(r[5])) or (not r[5] and r[14] == user.login)
][:200]
if not rows:
    st.info("Aucun chargement enregistré pour l'instant.")
    st.stop()

frame = pd.DataFrame(
    rows,
    columns=[
        "n°",
        "source",
        "fichier",
        "sha256",
        "octets",
        "département",
        "mois",
        "encodage",
        "lus",
        "chargés",
        "rejetés",
        "statut",
        "début",
        "fin",
        "opérateur",
        "message",
    ],
)
frame["statut"] = frame["statut"].map(STATUS_FR)
st.subheader("Journal des chargements")
st.dataframe(frame.drop(columns=["sha256", "octets"]), hide_index=True, width="stretch")
st.download_button(
    "Télécharger le journal (CSV)",
    frame.to_csv(index=False, sep=";").encode("utf-8-sig"),
    file_name="journal_chargements.csv",
    mime="text/csv",
    on_click=auth.log_export,
    args=("journal_chargements.csv",),
)
