"""Délais et contrats: time from orientation to the contrat d'engagement (Kaplan–Meier
curve per orientation cohort), medians and 30/60-day shares over time, by parcours type."""

import pandas as pd
import streamlit as st

from dashboard import components, db, figures, filters
from dashboard.formatting import fmt_month, fmt_share, of_month
from pipelines import masking

departement, month, communes = filters.open_page("delais", "Délais et contrats")
months = filters.period(departement, month)
parcours = filters.parcours_type()
filters.period_caption(
    departement,
    months,
    "orientations, PECGM (PPAE valant contrat d'engagement), parcours",
    what="cohortes d'orientation de ",
    data_date=(db.family("contrat", departement, month, communes) or {}).get("date_donnees"),
)
if db.family("contrat", departement, month, communes) is None:
    st.info(
        "Aucune orientation chargée pour ce département : le délai jusqu'au contrat n'est pas disponible."
    )
    st.stop()

curve = figures.curve_cohorts(
    pd.DataFrame(db.family("contrat_courbe", departement, communes=communes)),
    months[-6:],
    masking.threshold(),
)
if curve.empty:
    st.info("Pas de cohorte d'orientation d'au moins 11 personnes sur la période.")
else:
    fig = figures.contract_curve(curve)
    st.plotly_chart(fig, width="stretch", key="chart_km")
    st.caption(
        "contrat_courbe : estimation de Kaplan–Meier, une courbe par mois d'orientation ; une "
        "personne sans contrat est suivie jusqu'à la date des données puis censurée ; en tirets "
        "(provisoire), les jours au-delà du suivi de la personne la moins suivie. Contrat : "
        "date de signature du contrat d'engagement (parcours) ou de notification du PPAE valant "
        "contrat d'engagement (PECGM), à la date d'orientation ou après. Cohortes de moins de 11 "
        "personnes non tracées."
    )
    components.download(curve, f"courbe_contrat_{departement}", "km")

CONTRACT_FLAGS = {  # `<share>_provisoire` of the family -> what the table names
    "contrat_30j_provisoire": "contrat en 30 j",
    "contrat_60j_provisoire": "contrat en 60 j",
    "delai_contrat_provisoire": "délai médian",
}
records = []
for m, r in db.series("contrat", departement, months, communes):
    if r is None:
        continue
    groups = {"ensemble": r, **r["par_parcours"]}
    for group, g in groups.items():
        if parcours and group not in (parcours,):
            continue
        allowed = masking.share_allowed(g["orientes"])
        records.append(
            {
                "cohorte": m,
                "groupe": components.PARCOURS_LABELS.get(group, group),
                "mediane_jours": g["delai_contrat_jours"]["mediane"] if allowed else None,
                "contrat_30j": g["contrat_30j_share"] if allowed else None,
                "contrat_60j": g["contrat_60j_share"] if allowed else None,
                "mediane_provisoire": g["delai_contrat_provisoire"],
                "contrat_30j_provisoire": g["contrat_30j_provisoire"],
                "provisoire": components.provisional_label(g, CONTRACT_FLAGS),
            }
        )
table = pd.DataFrame(
    records,
    columns=[
        "cohorte",
        "groupe",
        "mediane_jours",
        "contrat_30j",
        "contrat_60j",
        "mediane_provisoire",
        "contrat_30j_provisoire",
        "provisoire",
    ],
)
c1, c2 = st.columns(2)
with c1:
    components.lines(
        table,
        "cohorte",
        "mediane_jours",
        "groupe",
        "Délai médian jusqu'au contrat (jours)",
        "Jours",
        "mediane",
        provisional="mediane_provisoire",
    )
with c2:
    components.lines(
        table,
        "cohorte",
        "contrat_30j",
        "groupe",
        "Part avec contrat dans les 30 jours",
        "Part",
        "c30",
        share=True,
        provisional="contrat_30j_provisoire",
    )
st.caption(
    "delai_contrat_jours, contrat_30j_share, contrat_60j_share : par cohorte de mois "
    "d'orientation, sur toutes les personnes orientées du mois. Non affiché sous 11 personnes. "
    "Provisoire (tirets, points creux) : la fenêtre de 30 jours (part), de 60 jours (délai "
    "médian) après la fin du mois n'est pas écoulée à la date des données."
)
components.download(
    table.drop(columns=["mediane_provisoire", "contrat_30j_provisoire"]).assign(
        contrat_30j=table["contrat_30j"].map(fmt_share),
        contrat_60j=table["contrat_60j"].map(fmt_share),
    ),
    f"delai_contrat_{departement}",
    "contrat",
)
components.breakdown_table(
    db.family("contrat", departement, month, communes),
    "orientes",
    {
        "délai médian (jours)": lambda g: g["delai_contrat_jours"]["mediane"],
        "contrat en 30 j": lambda g: g["contrat_30j_share"],
        "contrat en 60 j": lambda g: g["contrat_60j_share"],
    },
    ("contrat en 30 j", "contrat en 60 j"),
    f"Délai jusqu'au contrat des orientés {of_month(month)}, par profil",
    "delai_contrat_jours, contrat_30j_share, contrat_60j_share par type de parcours, sexe ou "
    "tranche d'âge (âge atteint dans l'année), sur les personnes orientées dans le mois.",
    "contrat_profil",
    provisional=CONTRACT_FLAGS,
)
first = db.family("premier_rdv", departement, month, communes)
if first is not None:
    st.metric(
        f"Délai médian jusqu'au premier rendez-vous — orientés en {fmt_month(month)}",
        "n.d."
        if first["mediane"] is None or not masking.share_allowed(first["orientes"])
        else f"{first['mediane']} jours",
        help="delai_premier_rdv_jours : de l'orientation au premier rendez-vous d'accompagnement (fichiers parcours).",
    )
