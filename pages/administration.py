"""Administration (admin role): the accounts and the audit trail (read-only, exportable).
Accounts are created and changed with `python -m pipelines users …`, so that a password
never travels through a web form of this app (tables: dashboard/views/administration.py)."""

import streamlit as st

from dashboard import auth, widgets
from dashboard.views import administration as view

user = auth.require("administration")
st.title("Administration")
path = auth.db_path()
auth.log_view("administration")

st.subheader("Comptes")
st.dataframe(view.accounts(path), hide_index=True, width="stretch")
st.caption(view.ACCOUNTS_NOTE)

st.subheader("Journal d'audit")
audit = view.audit(path)
chosen = st.multiselect("Actions", audit.actions, default=audit.actions)
shown = audit.of(chosen)
st.dataframe(shown, hide_index=True, width="stretch")
widgets.download(shown, "journal_audit", "audit", label="Télécharger le journal d'audit (CSV)")
