"""Qualité des données: the load journal, each load's quality report (with its drift and
quarantined lines), the drift over the last 12 months, and the coverage calendar
(computed by dashboard/views/qualite.py)."""

import streamlit as st

from dashboard import auth, widgets
from dashboard.views import qualite as view

user = auth.require("qualite")
st.title("Qualité des données")
auth.log_view("qualite")
journal = view.journal(user)
if journal is None:
    st.info(view.EMPTY)
    st.stop()

journal_tab, report_tab, drift_tab, calendar_tab = st.tabs(
    [
        "Journal des chargements",
        "Rapport d'un chargement",
        "Dérive sur 12 mois",
        "Calendrier de couverture",
    ]
)
with journal_tab:
    st.dataframe(journal.shown, hide_index=True, width="stretch")
    widgets.download(
        journal.table, "journal_chargements", "journal", label="Télécharger le journal (CSV)"
    )

with report_tab:
    load_id = st.selectbox("Chargement", list(journal.choices), format_func=journal.choices.get)
    report = view.load_report(load_id)
    if report is None:
        st.info(view.NO_REPORT)
    else:
        (st.success if report.loadable else st.error)(report.verdict)
        for column, (label, value) in zip(st.columns(4), report.metrics, strict=True):
            column.metric(label, value)
        for blocking, message in report.findings:
            (st.error if blocking else st.warning)(message)
        if not report.checks.empty:
            st.dataframe(report.checks, hide_index=True, width="stretch")
        a, b = st.columns(2)
        a.download_button(
            "Rapport qualité (HTML)",
            report.html(),
            file_name=f"{report.name}.html",
            mime="text/html",
            type="primary",
            on_click=auth.log_export,
            args=(f"{report.name}.html",),
        )
        a.download_button(
            view.ZIP_LABEL,
            report.zipped,
            file_name=f"{report.name}.zip",
            mime="application/zip",
            help=view.ZIP_HELP,
            on_click=auth.log_export,
            args=(f"{report.name}.zip",),
        )
        widgets.download(
            report.quarantine,
            f"quarantaine_{load_id}",
            "quarantaine",
            label=report.quarantine_label,
            where=b,
        )

with drift_tab:
    drift = view.drift(journal.rows)
    if drift.empty:
        st.info(view.NO_DRIFT)
    else:
        st.dataframe(view.drift_shown(drift), hide_index=True, width="stretch")
        st.caption(view.DRIFT_NOTE)

with calendar_tab:
    calendar = view.calendar(journal.rows)
    st.dataframe(calendar.styled(), hide_index=True, width="stretch")
    st.caption(calendar.caption)
