"""Pilotage RSA: the Streamlit entry point. Pages live in pages/, shared code in dashboard/."""

import streamlit as st

from dashboard import auth, navigation
from pipelines import masking
from pipelines.settings import private_umask

private_umask()  # uploads, reports, warehouse generations written by this server: 0600 / 0700

st.set_page_config(page_title="Pilotage RSA", page_icon=":material/analytics:", layout="wide")


def pages(listed, default: str | None) -> list:
    return [
        st.Page(p.file, title=p.title, icon=p.icon, url_path=p.slug, default=p.slug == default)
        for p in listed
    ]


user = auth.signed_in_user()  # checked against the access file at every run
masking.set_view_threshold(None if user is None else auth.mask_limit())  # never inherited
if user is None:
    # Every page is registered (hidden) so that a link to one keeps its address and filters
    # while the sign-in form is shown; none runs before the user is signed in.
    login = st.Page(auth.login_page, title="Connexion", icon=":material/login:", default=True)
    st.navigation([login, *pages(navigation.PAGES, default=None)], position="hidden")
    auth.login_page()
else:
    auth.sidebar(user)
    st.navigation(pages(navigation.for_role(user.role), default="synthese")).run()
