"""Qualité des données: the load journal, each load's quality report (with its drift and
quarantined lines), the drift over the last 12 months, and the coverage calendar."""

import pandas as pd
import streamlit as st

from dashboard import auth, components, db
from dashboard.formatting import fmt_month
from pipelines import calendrier
from pipelines.retention import shift_month
from pipelines.validation import archive, html

STATUS_FR = {"loaded": "chargé", "refused": "refusé", "superseded": "remplacé", "failed": "échec"}
COLUMNS = [
    "n°", "source", "fichier", "sha256", "octets", "département", "mois", "encodage", "lus",
    "chargés", "rejetés", "statut", "début", "fin", "opérateur", "message",
]  # fmt: skip

user = auth.require("qualite")
st.title("Qualité des données")
auth.log_view("qualite")
rows = [
    r
    for r in db.recent_loads(1000)
    if (r[5] and user.sees(r[5])) or (not r[5] and r[14] == user.login)
]
if not rows:
    st.info(
        "Aucun chargement enregistré pour l'instant : déposez un fichier depuis la page « Chargement »."
    )
    st.stop()
frame = pd.DataFrame(rows, columns=COLUMNS)
frame["statut"] = frame["statut"].map(STATUS_FR)

journal_tab, report_tab, drift_tab, calendar_tab = st.tabs(
    [
        "Journal des chargements",
        "Rapport d'un chargement",
        "Dérive sur 12 mois",
        "Calendrier de couverture",
    ]
)
with journal_tab:
    st.dataframe(
        frame.drop(columns=["sha256", "octets"]).head(200), hide_index=True, width="stretch"
    )
    components.download(
        frame, "journal_chargements", "journal", label="Télécharger le journal (CSV)"
    )

with report_tab:
    choices = {int(r[0]): f"n° {r[0]} — {r[2]} ({STATUS_FR.get(r[11], r[11])})" for r in rows[:300]}
    load_id = st.selectbox("Chargement", list(choices), format_func=choices.get)
    report, quarantined = db.report(load_id)
    if report is None:
        st.info(
            "Pas de rapport conservé pour ce chargement (purgé, ou chargement antérieur aux rapports)."
        )
    else:
        (st.success if report["loadable"] else st.error)(
            "Fichier chargeable." if report["loadable"] else "Fichier refusé : rien n'a été chargé."
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Enregistrements", report["rows_read"])
        c2.metric("Lignes rejetées", report["rows_rejected"])
        c3.metric("Encodage", report["encoding"].split(",")[0])
        link = report.get("liaison") or {}
        c4.metric(
            # a CAF/MSA flux is linked with the orientation files, the others with PECGM
            "Liaison avec les orientations"
            if report["source"] == "caf"
            else "Liaison avec le PECGM",
            "n.d." if link.get("taux") is None else f"{link['taux']:.0%}".replace(".", ","),
        )
        findings = sorted(
            report["findings"], key=lambda f: (f["code"] != "derive", f["severity"] != "bloquant")
        )
        for f in findings:
            (st.error if f["severity"] == "bloquant" else st.warning)(f["message"])
        checks = pd.DataFrame(
            [
                {
                    "champ": c["champ"],
                    "attente": c["description"],
                    "gravité": "ligne rejetée" if c["severity"] == "critical" else "avertissement",
                    "résultat": "réussie" if c["success"] else "échec",
                    "lignes en écart": c["unexpected_count"],
                    "premières lignes": ", ".join(map(str, c["line_numbers"])),
                    "codes": ", ".join(c.get("unexpected_codes") or []),
                }
                for c in report["checks"]
            ]
        )
        if not checks.empty:
            st.dataframe(
                checks.sort_values("lignes en écart", ascending=False),
                hide_index=True,
                width="stretch",
            )
        a, b = st.columns(2)
        a.download_button(
            "Rapport HTML autonome",
            html.render(report).encode("utf-8"),
            file_name=f"rapport_{load_id}.html",
            mime="text/html",
            on_click=auth.log_export,
            args=(f"rapport_{load_id}.html",),
        )
        a.download_button(
            "Rapport et Data Docs Great Expectations (zip)",
            lambda r=report: archive.zipped(r),
            file_name=f"rapport_{load_id}.zip",
            mime="application/zip",
            on_click=auth.log_export,
            args=(f"rapport_{load_id}.zip",),
        )
        q = pd.DataFrame(quarantined, columns=["ligne", "champ", "contrôle", "motif"])
        components.download(
            q,
            f"quarantaine_{load_id}",
            "quarantaine",
            label=f"Lignes en quarantaine ({len(q)}) — CSV",
            where=b,
        )

with drift_tab:
    recent = []
    for r in rows:
        if r[11] not in ("loaded", "superseded") or not r[6]:
            continue
        rep, _ = db.report(int(r[0]))
        drift = (rep or {}).get("drift") or {}
        warnings = [f["message"] for f in (rep or {}).get("findings", []) if f["code"] == "derive"]
        recent.append(
            {
                "source": r[1],
                "département": r[5],
                "mois": r[6],
                "variation des lignes": drift.get("variation_lignes"),
                "personnes absentes": (drift.get("personnes_absentes") or {}).get("part"),
                "avertissements de dérive": len(warnings),
                "détail": " ; ".join(w.split("dérive — ", 1)[-1] for w in warnings[:3]),
            }
        )
    drift_frame = pd.DataFrame(recent)
    if drift_frame.empty:
        st.info("Pas encore deux fichiers successifs d'une même source à comparer.")
    else:
        last = sorted(drift_frame["mois"].unique())[-12:]
        shown = drift_frame[drift_frame["mois"].isin(last)].sort_values(["source", "mois"])
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "variation des lignes": st.column_config.NumberColumn(format="percent"),
                "personnes absentes": st.column_config.NumberColumn(format="percent"),
            },
        )
        st.caption(
            "Seuils dans pipelines/drift.yaml ; une dérive au-delà est un avertissement, jamais un blocage."
        )

with calendar_tab:
    today = calendrier.today()
    current = f"{today:%Y-%m}"
    months = [shift_month(current, -k) for k in range(12, 0, -1)]
    loaded = calendrier.loaded_map((r[1], r[5], r[6], r[12], r[11]) for r in rows)
    grid = []
    for dep in sorted({r[5] for r in rows if r[5]}):
        for source in calendrier.CALENDAR_SOURCES:
            line = {"département": dep, "source": source}
            for m in months:
                line[fmt_month(m)] = calendrier.state(
                    source, m, loaded.get((source, dep, m)), today
                )
            grid.append(line)
    st.dataframe(pd.DataFrame(grid), hide_index=True, width="stretch")
    st.caption(
        f"PECGM du mois M attendu le {calendrier.EXPECTED_DAY} du mois suivant (date de mise "
        "à disposition) : « manquant » après cette date ; CGPEM et listes LRSA DE indiqués "
        "quand chargés. Le même jour déclenche le courriel « fichier attendu manquant »."
    )
