"""Accompagnement: modalities, axes, follow-up structures, recent contact and the
intensity of accompaniment (weekly hours, appointments)."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters, france_travail
from dashboard.formatting import fmt_month, fmt_share
from pipelines import masking

departement, month, communes = filters.open_page("accompagnement", "Accompagnement")
months = filters.period(departement, month)
parcours = filters.parcours_type()
filters.period_caption(departement, months, "fichiers PECGM, fichiers parcours")
stock = db.family("stock", departement, month, communes)

components.monthly_chart(
    [(m, s["modalite"]) for m, s in db.series("stock", departement, months, communes)],
    components.short_labels("modalite"),
    "modalite",
    "Inscrits par modalité d'accompagnement",
    "modalite : modalité d'accompagnement en cours du fichier PECGM (SUI suivi, GUI guidé, "
    "REN renforcé, GLO global, APR accompagnement projet).",
    "modalites",
    f"modalites_{departement}",
)

left, right = st.columns(2)
with left:
    components.distribution(
        stock["axe"],
        "axe",
        components.short_labels("axe"),
        f"Axe de travail principal — {fmt_month(month)}",
        "axe : axe de travail principal du PPAE (01 à 07).",
        "axes",
    )
with right:
    structures = {**stock["structure_suivi"]["principale"]}
    components.distribution(
        structures,
        "structure",
        {k: k for k in structures},
        f"Structure principale de suivi — {fmt_month(month)}",
        "structure_suivi : structure principale de suivi du fichier PECGM.",
        "structures",
    )

contacts = pd.DataFrame(
    [
        {"mois": m, "part": s["contact_90j_share"]}
        for m, s in db.series("stock", departement, months, communes)
    ]
)
components.lines(
    contacts,
    "mois",
    "part",
    None,
    "Part des inscrits contactés dans les 90 jours",
    "Part",
    "contact",
    share=True,
)
st.caption(
    "contact_90j_share : dernier contact au plus 90 jours avant la date de référence du fichier, sur le stock du mois."
)

france_travail.section(departement, month, communes, parcours)

st.subheader("Intensité de l'accompagnement")
intensity = db.series("intensite", departement, months, communes)
if all(r is None for _, r in intensity):
    st.info("Aucun fichier parcours chargé pour ce département : l'intensité n'est pas disponible.")
    st.stop()
records = []
for m, r in intensity:
    groups = {"ensemble": r["heures_hebdo"], **r["par_parcours"]} if r and r["heures_hebdo"] else {}
    for group, h in groups.items():
        if parcours and group not in (parcours,):
            continue
        allowed = masking.share_allowed(h["personnes"])
        records.append(
            {
                "mois": m,
                "groupe": components.PARCOURS_LABELS.get(group, group),
                "heures_moyennes": h["moyenne"] if allowed else None,
                "part_15h": h["heures_15_share"] if allowed else None,
                "personnes": masking.masked_label(
                    masking.mask_distribution({"n": h["personnes"]})["n"]
                ),
            }
        )
hours = pd.DataFrame(
    records, columns=["mois", "groupe", "heures_moyennes", "part_15h", "personnes"]
)
c1, c2 = st.columns(2)
with c1:
    components.lines(
        hours,
        "mois",
        "heures_moyennes",
        "groupe",
        "Heures de prestations par semaine (moyenne)",
        "Heures",
        "heures",
    )
with c2:
    components.lines(
        hours,
        "mois",
        "part_15h",
        "groupe",
        "Part des personnes à 15 heures ou plus par semaine",
        "Part",
        "heures15",
        share=True,
    )
st.caption(
    "heures_hebdo : heures des prestations commençant dans le mois, divisées par les semaines "
    "du mois, par personne en parcours actif (orientée au plus tard le dernier jour du mois) ; "
    "15 heures : objectif d'activité de la loi pour le plein emploi. Non affiché sous 11 personnes."
)
current = db.family("intensite", departement, month, communes)
st.metric(
    f"Rendez-vous d'accompagnement par personne — {fmt_month(month)}",
    "n.d."
    if current["rdv_par_personne"] is None
    else f"{current['rdv_par_personne']:.2f}".replace(".", ","),
    help="rdv_par_personne : rendez-vous datés du mois, par personne en parcours actif.",
)
components.download(
    hours.assign(part_15h=hours["part_15h"].map(fmt_share)), f"intensite_{departement}", "intensite"
)
components.breakdown_table(
    current,
    "personnes",
    {
        "heures par semaine (moyenne)": lambda g: g["moyenne"],
        "heures par semaine (médiane)": lambda g: g["mediane"],
        "15 heures ou plus": lambda g: g["heures_15_share"],
    },
    ("15 heures ou plus",),
    f"Intensité de l'accompagnement en {fmt_month(month)}, par profil",
    "heures_hebdo par type de parcours, sexe ou tranche d'âge (âge atteint dans l'année), "
    "sur les personnes en parcours actif.",
    "intensite_profil",
)
