"""Pilotage RSA: the Streamlit entry point. Pages live in pages/, shared code in dashboard/."""

import streamlit as st

from dashboard import auth
from pipelines import masking
from pipelines.settings import private_umask

private_umask()  # uploads, reports, warehouse generations written by this server: 0600 / 0700

st.set_page_config(page_title="Pilotage RSA", page_icon=":material/analytics:", layout="wide")

# slug: (file, title, icon)
PAGES = {
    "synthese": ("pages/synthese.py", "Synthèse", ":material/home:"),
    "orientations": ("pages/orientations.py", "Orientations", ":material/explore:"),
    "demandeurs": ("pages/demandeurs.py", "Demandeurs d'emploi", ":material/groups:"),
    "accompagnement": ("pages/accompagnement.py", "Accompagnement", ":material/handshake:"),
    "delais": ("pages/delais.py", "Délais et contrats", ":material/timer:"),
    "cohortes": ("pages/cohortes.py", "Cohortes", ":material/query_stats:"),
    "qualite": ("pages/qualite.py", "Qualité des données", ":material/fact_check:"),
    "chargement": ("pages/chargement.py", "Chargement", ":material/upload_file:"),
    "administration": (
        "pages/administration.py",
        "Administration",
        ":material/admin_panel_settings:",
    ),
}


def pages(slugs, default: str | None) -> list:
    return [
        st.Page(PAGES[s][0], title=PAGES[s][1], icon=PAGES[s][2], url_path=s, default=s == default)
        for s in slugs
    ]


user = auth.current_user()
masking.set_view_threshold(None if user is None else auth.mask_limit())  # never inherited
if user is None:
    # Every page is registered (hidden) so that a link to one keeps its address and filters
    # while the sign-in form is shown; none runs before the user is signed in.
    login = st.Page(auth.login_page, title="Connexion", icon=":material/login:", default=True)
    st.navigation([login, *pages(PAGES, default=None)], position="hidden")
    auth.login_page()
else:
    auth.sidebar(user)
    allowed = [slug for slug in PAGES if slug in auth.ROLE_PAGES[user.role]]
    st.navigation(pages(allowed, default="synthese")).run()
