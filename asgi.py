"""The served application: the Streamlit script app.py plus the session-cookie routes of
dashboard/web.py, on one server. `python -m dashboard.serve` (what `make run` does) runs
this file with `streamlit run`, which finds `app` and serves it with uvicorn."""

import streamlit as st

from dashboard import web

app = st.App("app.py", routes=web.routes())
