"""Pilotage RSA: the Streamlit entry point. Pages live in pages/, shared code in dashboard/."""

import streamlit as st

st.set_page_config(page_title="Pilotage RSA", page_icon=":material/analytics:", layout="wide")

PAGES = [
    st.Page(
        "pages/synthese.py",
        title="Synthèse",
        icon=":material/home:",
        default=True,
        url_path="synthese",
    ),
    st.Page(
        "pages/orientations.py",
        title="Orientations",
        icon=":material/explore:",
        url_path="orientations",
    ),
    st.Page(
        "pages/demandeurs.py",
        title="Demandeurs d'emploi",
        icon=":material/groups:",
        url_path="demandeurs",
    ),
    st.Page(
        "pages/accompagnement.py",
        title="Accompagnement",
        icon=":material/handshake:",
        url_path="accompagnement",
    ),
    st.Page(
        "pages/delais.py", title="Délais et contrats", icon=":material/timer:", url_path="delais"
    ),
    st.Page(
        "pages/cohortes.py", title="Cohortes", icon=":material/query_stats:", url_path="cohortes"
    ),
    st.Page(
        "pages/qualite.py",
        title="Qualité des données",
        icon=":material/fact_check:",
        url_path="qualite",
    ),
    st.Page(
        "pages/chargement.py",
        title="Chargement",
        icon=":material/upload_file:",
        url_path="chargement",
    ),
]

st.navigation(PAGES).run()
