"""The committee PDF's download button on the Synthèse page.

Apart from `widgets` because it imports the PDF (`comite`), which imports the views, which
draw with `widgets`: kept there, it closed an import cycle (tests/test_layering.py).
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, db

REPORT_ROLES = ("comite", "analyste")


def report_download(departement: str, month: str) -> None:
    """The committee's monthly PDF report, built when the button is clicked (a few
    seconds), masked at the published threshold whatever the view, audited as an export.
    Offered to the committee and analyst roles."""
    user = auth.current_user()
    if user is None or user.role not in REPORT_ROLES or not user.sees(departement):
        return
    from dashboard import comite

    def pdf_bytes() -> bytes:
        return comite.generate(db.pool().cursor(), departement, month).pdf

    name = comite.file_name(departement, month)
    st.download_button(
        "Rapport du comité (PDF)",
        pdf_bytes,
        file_name=name,
        mime="application/pdf",
        key=f"rapport_{departement}_{month}",
        help="Rapport mensuel du département entier pour le comité de pilotage : chiffres "
        "clés, un chapitre par thème, définitions et qualité des sources ; petits effectifs "
        "masqués comme sur les pages du comité.",
        on_click=auth.log_export,
        args=(name,),
    )
