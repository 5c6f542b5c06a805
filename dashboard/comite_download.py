"""The committee PDF's download on the Synthèse page.

Apart from `widgets` because it imports the PDF (`comite`), which imports the views, which
draw with `widgets`: kept there, it closed an import cycle (tests/test_layering.py).

Building the report takes from 15 seconds to a minute (the figures, then Chromium printing
them), so it is not built behind the download button, where the click would seem to do
nothing: a first button builds it under a status that says so, then the download button
offers the file, kept in the session for this département and month.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, db
from pipelines.errors import UsageError

REPORT_ROLES = ("comite", "analyste")
PREPARE = "Préparer le rapport du comité (PDF)"
BUILDING = "Préparation du rapport du comité… (jusqu'à une minute)"
READY = "Rapport du comité prêt"
DOWNLOAD = "Télécharger le rapport du comité (PDF)"
HELP = (
    "Rapport mensuel du département entier pour le comité de pilotage : une page de "
    "synthèse, un chapitre par thème, qualité des sources et définitions ; petits effectifs "
    "masqués comme sur les pages du comité."
)
STATE_KEY = "rapport_comite"  # session: {(département, mois): PDF bytes}


def report_download(departement: str, month: str) -> None:
    """The committee's monthly PDF report, built on request under a status that says it is
    being built, masked at the published threshold whatever the view, audited as an export
    when downloaded. Offered to the committee and analyst roles."""
    user = auth.current_user()
    if user is None or user.role not in REPORT_ROLES or not user.sees(departement):
        return
    from dashboard import comite

    built: dict = st.session_state.setdefault(STATE_KEY, {})
    key = (departement, month)
    if key not in built and st.button(PREPARE, key=f"preparer_{departement}_{month}", help=HELP):
        with st.status(BUILDING, expanded=False) as status:
            try:
                built[key] = comite.generate(db.pool().cursor(), departement, month).pdf
            except UsageError as error:  # no PECGM file for the month, no Chromium
                status.update(label=str(error), state="error")
            else:
                status.update(label=READY, state="complete")
    if key in built:
        name = comite.file_name(departement, month)
        st.download_button(
            DOWNLOAD,
            built[key],
            file_name=name,
            mime="application/pdf",
            key=f"rapport_{departement}_{month}",
            help=HELP,
            on_click=auth.log_export,
            args=(name,),
        )
