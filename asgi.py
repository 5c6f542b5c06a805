"""The served application: the Streamlit script app.py plus the session-cookie routes of
dashboard/web.py, on one server. `python -m dashboard.serve` (what `make run` does) runs
this file with `streamlit run`, which finds `app` and serves it with uvicorn; the caches
are filled at start and GET /_pilotage/pret says when (dashboard/readiness.py). The HTML
page itself is made French by dashboard/page_html.py (lang, nested addresses)."""

import streamlit as st
from starlette.middleware import Middleware

from dashboard import readiness, web
from dashboard.page_html import FrenchPage

app = st.App(
    "app.py",
    lifespan=readiness.lifespan,  # the caches filled at start
    routes=[*web.routes(), *readiness.routes()],
    middleware=[Middleware(FrenchPage)],
)
