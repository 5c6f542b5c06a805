"""Orientations: decisions by parcours type and organisme over time, and the delay from
RSA entry to orientation per entry cohort, with the 30-day and six-week lines."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters
from dashboard.formatting import fmt_int, fmt_month, fmt_share, of_month
from pipelines import masking

departement, month, communes = filters.open_page("orientations", "Orientations")
months = filters.period(departement, month)
parcours = filters.parcours_type()
filters.period_caption(
    departement,
    months,
    "décisions CGPEM, reprise de stock, fichiers parcours",
    data_date=(db.family("delai_orientation", departement, month, communes) or {}).get(
        "date_donnees"
    ),
)

current = db.family("orientations", departement, month, communes)
if current is None:
    st.info(
        "Aucune décision d'orientation chargée pour ce département (CGPEM, reprise de stock ou parcours)."
    )
    st.stop()

c1, c2 = st.columns(2)
c1.metric(
    f"Décisions d'orientation en {fmt_month(month)}",
    masking.masked_label(
        masking.mask_distribution({"n": sum(current["orientations"].values())})["n"]
    ),
    help="orientations : décisions datées du mois, toutes sources ; une même décision transmise deux fois compte une fois.",
)
c2.metric(
    "Personnes orientées",
    masking.masked_label(masking.mask_distribution({"n": current["personnes_orientees"]})["n"]),
    help="personnes_orientees : personnes distinctes orientées dans le mois.",
)

rows = [
    (m, (r or {}).get("orientations", {}))
    for m, r in db.series("orientations", departement, months, communes)
]
if parcours:
    rows = [(m, {k: v for k, v in counts.items() if k == parcours}) for m, counts in rows]
components.monthly_chart(
    rows,
    components.PARCOURS_LABELS,
    "parcours",
    "Décisions d'orientation par type de parcours",
    "orientations par type de parcours ; pour le CGPEM, le type vient de la nature de "
    "l'accompagnement (01 social, 02 à 05 professionnel, 06 socio-professionnel) ; la plus "
    "petite autre case d'un mois masqué l'est aussi.",
    "orient_type",
    f"orientations_{departement}",
)

PARCOURS_TYPES = ("social", "socio_professionnel", "professionnel")


def parcours_shares(nested: dict[str, dict[str, int]]) -> dict[str, dict]:
    """{'F': {'social': 3, ...}} -> per group, its decisions and the share of each type."""
    out = {}
    for group, counts in nested.items():
        total = sum(counts.values())
        out[group] = {"n": total, **{t: counts.get(t, 0) / total for t in PARCOURS_TYPES}}
    return out


components.breakdown_table(
    {k: parcours_shares(current[k]) for k in ("par_sexe", "par_tranche_age")},
    "n",
    {components.PARCOURS_LABELS[t]: (lambda g, t=t: g[t]) for t in PARCOURS_TYPES},
    tuple(components.PARCOURS_LABELS[t] for t in PARCOURS_TYPES),
    f"Type de parcours des décisions {of_month(month)}, par profil",
    "orientations_sexe, orientations_tranche_age : décisions du mois par sexe ou tranche "
    "d'âge (âge atteint dans l'année), et la part de chaque type de parcours.",
    "orient_profil",
)

components.distribution(
    current["organisme_referent"],
    "organisme",
    {
        k: k.title() if k != "non_renseigne" else "Non renseigné"
        for k in current["organisme_referent"]
    },
    f"Décisions par organisme référent — {fmt_month(month)}",
    "organisme_referent : organisme désigné par la décision (CGPEM) ; non renseigné pour la reprise de stock et les parcours.",
    "orient_organisme",
)

st.subheader("Délai entre l'entrée au RSA et l'orientation, par cohorte d'entrée")
summary = db.summary(departement, month, communes)
population = summary["population"]
st.caption(components.population_caption(population, sentence=True))
link = summary["liaison_flux"]
if link is not None:
    st.metric(
        "Personnes orientées retrouvées dans le flux CAF/MSA",
        fmt_share(link["taux"]) if masking.share_allowed(link["personnes_orientees"]) else "n.d.",
        help="liaison_flux : personnes ayant une décision d'orientation (CGPEM, reprise de "
        "stock, parcours) retrouvées dans un flux bénéficiaires chargé (NIR, identifiant "
        "France Travail, numéro allocataire). Un taux bas signale des identifiants qui ne "
        "correspondent pas : ces orientations manquent aux parts par cohorte.",
    )
DELAY_FLAGS = {  # `<share>_provisoire` of the family -> what the table names
    "orientes_30j_provisoire": "orientés en 30 j",
    "orientes_6sem_provisoire": "orientés en 6 sem.",
    "delai_orientation_provisoire": "délais",
}
series = [(m, r) for m, r in db.series("delai_orientation", departement, months, communes) if r]
records = []
for m, r in series:
    d = r["delai_orientation_jours"]
    records.append(
        {
            "cohorte": m,
            "entrants": r["entrants"],
            "mediane_jours": d["mediane"],
            "moyenne_jours": d["moyenne"],
            "orientes_30j": r["orientes_30j_share"]
            if masking.share_allowed(r["entrants"])
            else None,
            "orientes_6sem": r["orientes_6sem_share"]
            if masking.share_allowed(r["entrants"])
            else None,
            "orientes_30j_provisoire": r["orientes_30j_provisoire"],
            "orientes_6sem_provisoire": r["orientes_6sem_provisoire"],
            "provisoire": components.provisional_label(r, DELAY_FLAGS),
            "anomalies": r["anomalies_avant_entree"],
            "population": r["population"],
        }
    )
cohorts = pd.DataFrame(records)
if cohorts.empty or cohorts["entrants"].sum() == 0:
    st.info(
        "Aucune date d'entrée au RSA dans les données chargées (flux CAF/MSA, reprise de "
        "stock ou parcours)."
    )
else:
    long = pd.concat(
        [
            cohorts[["cohorte", share, f"{share}_provisoire"]]
            .rename(columns={share: "part", f"{share}_provisoire": "provisoire"})
            .assign(seuil=label)
            for share, label in (
                ("orientes_30j", "Orientés en 30 jours"),
                ("orientes_6sem", "Orientés en 6 semaines (délai légal)"),
            )
        ]
    )
    components.lines(
        long,
        "cohorte",
        "part",
        "seuil",
        "Part de la cohorte d'entrée orientée à temps",
        "Part",
        "delai_parts",
        share=True,
        provisional="provisoire",
    )
    st.caption(
        "orientes_30j_share, orientes_6sem_share : personnes orientées dans les 30 / 42 jours "
        "suivant l'entrée, sur toutes les personnes entrées dans le mois, orientées ou non "
        "(décret 2024-1244 : six semaines) ; "
        + components.population_caption(population)
        + ". Parts non affichées sous 11 entrants. Provisoire (tirets, points "
        "creux) : la fenêtre de 30 ou 42 jours après la fin du mois n'est pas écoulée à la "
        "date des données"
        + components.data_date_note(series[-1][1]["date_donnees"] if series else None)
        + "."
    )
    shown = cohorts.drop(columns=["orientes_30j_provisoire", "orientes_6sem_provisoire"]).assign(
        entrants=cohorts["entrants"].map(
            lambda n: masking.masked_label(masking.mask_distribution({"n": n})["n"])
        ),
        orientes_30j=cohorts["orientes_30j"].map(fmt_share),
        orientes_6sem=cohorts["orientes_6sem"].map(fmt_share),
        anomalies=cohorts["anomalies"].map(fmt_int),
        mediane_jours=cohorts["mediane_jours"].map(fmt_int),
        moyenne_jours=cohorts["moyenne_jours"].map(
            lambda v: "n.d." if pd.isna(v) else f"{v:.1f}".replace(".", ",")
        ),
    )
    st.dataframe(
        shown.rename(
            columns={
                "cohorte": "Cohorte d'entrée",
                "entrants": "Entrants",
                "mediane_jours": "Délai médian (jours)",
                "moyenne_jours": "Délai moyen (jours)",
                "orientes_30j": "Orientés en 30 j",
                "orientes_6sem": "Orientés en 6 sem.",
                "provisoire": "Provisoire",
                "anomalies": "Orientation avant entrée",
                "population": "Population",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    components.download(shown, f"delai_orientation_{departement}", "delai_orientation")
    components.breakdown_table(
        db.family("delai_orientation", departement, month, communes),
        "entrants",
        {
            "délai médian (jours)": lambda g: g["delai_orientation_jours"]["mediane"],
            "orientés en 30 j": lambda g: g["orientes_30j_share"],
            "orientés en 6 sem.": lambda g: g["orientes_6sem_share"],
        },
        ("orientés en 30 j", "orientés en 6 sem."),
        f"Délai d'orientation des entrants {of_month(month)}, par profil",
        "delai_orientation_jours, orientes_30j_share, orientes_6sem_share par sexe ou tranche "
        "d'âge, sur les personnes entrées au RSA dans le mois ; "
        + components.population_caption(population)
        + ".",
        "delai_profil",
        provisional=DELAY_FLAGS,
    )
