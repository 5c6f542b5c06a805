"""Administration (admin role): the accounts and the audit trail (read-only, exportable).
Accounts are created and changed with `python -m pipelines users …`, so that a password
never travels through a web form of this app."""

import json

import pandas as pd
import streamlit as st

from dashboard import auth, components
from pipelines import access
from pipelines.roles import ROLE_LABELS

user = auth.require("administration")
st.title("Administration")
path = auth.db_path()
auth.log_view("administration")

st.subheader("Comptes")
users = pd.DataFrame(
    access.list_users(path),
    columns=[
        "identifiant",
        "rôle",
        "départements",
        "actif",
        "échecs",
        "verrouillé jusqu'à",
        "modifié le",
    ],
)
users["départements"] = users["départements"].map(lambda v: ", ".join(json.loads(v)))
users["rôle"] = users["rôle"].map(ROLE_LABELS)
users["actif"] = users["actif"].map({1: "oui", 0: "non"})
st.dataframe(users, hide_index=True, width="stretch")
st.caption(
    "Créer, modifier ou désactiver un compte : `python -m pipelines users add IDENTIFIANT "
    "--role ROLE --departement D`, `users disable IDENTIFIANT` (mot de passe saisi au clavier)."
)

st.subheader("Journal d'audit")
audit = pd.DataFrame(
    access.audit_rows(path, 2000),
    columns=["n°", "horodatage", "identifiant", "action", "département", "détails", "résultat"],
)
actions = sorted(audit["action"].unique())
chosen = st.multiselect("Actions", actions, default=actions)
shown = audit[audit["action"].isin(chosen)]
st.dataframe(shown, hide_index=True, width="stretch")
components.download(shown, "journal_audit", "audit", label="Télécharger le journal d'audit (CSV)")
