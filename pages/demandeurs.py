"""Demandeurs d'emploi: categories (1–8, F, G and any code present) over time (counts or
shares) and the flows: registrations, cessations by motif group, radiations."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters
from dashboard.formatting import fmt_month
from pipelines import masking

departement, month, communes = filters.open_page("demandeurs", "Demandeurs d'emploi")
months = filters.period(departement, month)
filters.period_caption(departement, months, "fichiers PECGM, listes LRSA DE")

categories = components.short_labels("categorie")
categories["non_renseignee"] = "Non renseignée (dispense)"
components.monthly_chart(
    [(m, s["categorie"]) for m, s in db.series("stock", departement, months, communes)],
    categories,
    "categorie",
    "Bénéficiaires du RSA inscrits, par catégorie",
    "categorie : code catégorie d'inscription du fichier PECGM du mois ; part sur le stock "
    "du mois ; la plus petite autre case d'un mois masqué l'est aussi.",
    "categories",
    f"categories_{departement}",
)

st.subheader(f"Profil des inscrits — {fmt_month(month)}")
stock = db.family("stock", departement, month, communes)
left, right = st.columns(2)
with left:
    components.distribution(
        stock["sexe"],
        "sexe",
        components.SEXE_LABELS,
        "Par sexe",
        "sexe : premier chiffre du NIR (le NIR lui-même n'est pas conservé).",
        "stock_sexe",
    )
with right:
    components.distribution(
        stock["tranche_age"],
        "tranche_age",
        components.AGE_LABELS,
        "Par tranche d'âge",
        "tranche_age : âge atteint dans l'année de la date de référence du fichier (seule "
        "l'année de naissance est conservée).",
        "stock_age",
    )
territories = db.territories(departement)
commune_territory = {c: t for t, cs in territories.items() for c in cs}
communes_frame = components.masked_frame(stock["commune"], {}).sort_values(
    "effectif", ascending=False
)
communes_frame = communes_frame.assign(
    territoire=communes_frame["code"].map(commune_territory).fillna("")
)[["code", "territoire", "affiche"]].rename(
    columns={"code": "commune (code INSEE)", "affiche": "inscrits"}
)
with st.expander(f"Inscrits par commune de résidence ({len(communes_frame)} communes)"):
    st.dataframe(communes_frame, hide_index=True, width="stretch")
    st.caption("code_commune_residence du fichier PECGM." + components.masked_note())
    components.download(communes_frame, f"communes_{departement}_{month}", "communes")

st.subheader("Flux")
flows = db.series("flux", departement, months, communes)
records = []
sources = set()
for m, f in flows:
    sources.add(f["flux_source"])
    masked = masking.mask_distribution(
        {k: f[k] for k in ("inscriptions", "cessations", "radiations") if f[k] is not None}
    )
    for code, value in masked.items():
        records.append(
            {"mois": m, "flux": code, "effectif": value, "affiche": masking.masked_label(value)}
        )
flow_frame = pd.DataFrame(records, columns=["mois", "flux", "effectif", "affiche"])
components.lines(
    flow_frame.assign(flux=flow_frame["flux"].str.capitalize()),
    "mois",
    "effectif",
    "flux",
    "Inscriptions, cessations et radiations par mois",
    "Personnes",
    "flux",
)
origin = (
    "listes LRSA DE publiées pour le mois (inscriptions et radiations de M-1, cessations de M-2)"
    if sources == {"lrsa"}
    else "listes LRSA DE quand elles sont chargées, sinon dates de cessation et de radiation des fichiers PECGM (sans inscriptions)"
)
st.caption(f"inscriptions, cessations, radiations : {origin}. Effectifs de 1 à 10 masqués.")
components.download(flow_frame.drop(columns=["effectif"]), f"flux_{departement}", "flux")

groups = {
    "reprise_emploi": "Reprise d'emploi",
    "formation": "Formation",
    "absence_controle": "Absence au contrôle",
    "sante": "Maladie, maternité",
    "autres": "Autres motifs",
}
components.distribution(
    db.family("flux", departement, month, communes)["cessations_motif"],
    "cessations_motif",
    groups,
    f"Cessations par groupe de motifs — {fmt_month(month)}",
    "cessations_motif : reprise d'emploi (motifs 11 à 16, 18, 19, 21 à 25), formation (31, 32, 34, 41, 42), absence au contrôle (90), santé (45), autres.",
    "cessations_motif",
)
