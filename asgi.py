"""The served application: the Streamlit script app.py plus the session-cookie routes of
dashboard/web.py, on one server. `python -m dashboard.serve` (what `make run` does) runs
this file with `streamlit run`, which finds `app` and serves it with uvicorn. The HTML
page itself is made French by dashboard/page_html.py (lang, nested addresses)."""

import streamlit as st
from starlette.middleware import Middleware

from dashboard import web
from dashboard.page_html import FrenchPage

app = st.App(
    "app.py", lifespan=web.lifespan, routes=web.routes(), middleware=[Middleware(FrenchPage)]
)
