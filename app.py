"""Pilotage RSA: the Streamlit entry point. Pages live in pages/, shared code in dashboard/."""

import streamlit as st

from dashboard import auth, menu, warm
from pipelines import masking
from pipelines.settings import private_umask

private_umask()  # uploads, reports, warehouse generations written by this server: 0600 / 0700

# The icon is a file of the product (dashboard/static): a Material name would be fetched
# from a font server outside the machine on every view.
st.set_page_config(page_title="Pilotage RSA", page_icon=str(menu.ICON), layout="wide")
menu.chrome()
warm.after_load()  # after a load, or at the first run of the server: caches filled behind


user = auth.signed_in_user()  # checked against the access file at every run
masking.set_view_threshold(None if user is None else auth.mask_limit())  # never inherited
if user is None:
    # Every page is registered (hidden) so that a link to one keeps its address and filters
    # while the sign-in form is shown; none runs before the user is signed in.
    menu.open_navigation(None)
    auth.login_page()
else:
    auth.sidebar(user)
    menu.open_navigation(user).run()
