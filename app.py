"""Pilotage RSA: the Streamlit entry point. Pages live in pages/, shared code in dashboard/."""

import streamlit as st

st.set_page_config(page_title="Pilotage RSA", page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/synthese.py", title="Synthèse", icon="🏠", default=True, url_path="synthese"),
    st.Page("pages/qualite.py", title="Qualité des données", icon="✅", url_path="qualite"),
]

st.navigation(PAGES).run()
