"""Synthèse: the steering committee's key figures for one département and month."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters, headlines
from dashboard.formatting import fmt_int, fmt_month, fmt_share, of_month
from dashboard.headlines import delta_points
from pipelines import masking

departement, month, communes = filters.open_page("synthese", "Synthèse")

current = db.summary(departement, month, communes)
months = db.months(departement)
previous_month = months[months.index(month) + 1] if months.index(month) + 1 < len(months) else None
previous = db.summary(departement, previous_month, communes) if previous_month else None
limit = masking.threshold()
MAX_TERRITORIES = 30  # beyond, a table per territory no longer reads at a glance


def cat_1_3(s: dict) -> float | None:
    n = sum(v for k, v in s["categorie"].items() if k in ("1", "2", "3"))
    return n / s["stock_total"] if s["stock_total"] else None


data_dates = current["date_donnees"]
st.caption(
    f"Département {departement} · {fmt_month(month)} · source : fichier PECGM de France Travail"
    + components.data_date_note(data_dates)
)
trend = [s["stock_total"] for _, s in db.series("stock", departement, months[:12], communes)]
c1, c2, c3, c4 = st.columns(4)
stock_delta = current["stock_total"] - previous["stock_total"] if previous else None
c1.metric(
    "Inscrits à France Travail",
    fmt_int(current["stock_total"]),
    delta=None if stock_delta is None else fmt_int(stock_delta),
    help="stock_total : bénéficiaires du RSA inscrits à France Travail, nombre "
    "d'enregistrements du fichier PECGM du mois (une ligne par personne).",
    chart_data=trend,
    chart_type="line",
)
c2.metric(
    "Catégories 1 à 3",
    fmt_share(cat_1_3(current)),
    delta=delta_points(cat_1_3(current), cat_1_3(previous) if previous else None),
    help="Part des inscrits en catégories 1, 2 ou 3 sur le stock du mois.",
)
c3.metric(
    "Contrat d'engagement notifié",
    fmt_share(current["cer_notifie_share"]),
    delta=delta_points(
        current["cer_notifie_share"], previous["cer_notifie_share"] if previous else None
    ),
    help="cer_notifie_share : part du stock du mois dont la date de notification du PPAE "
    "valant contrat d'engagement est renseignée.",
)
c4.metric(
    "Contact en 90 jours",
    fmt_share(current["contact_90j_share"]),
    delta=delta_points(
        current["contact_90j_share"], previous["contact_90j_share"] if previous else None
    ),
    help="contact_90j_share : part du stock du mois dont le dernier contact date d'au plus "
    "90 jours avant la date de référence du fichier.",
)


def orientations_total(summary: dict | None) -> int | None:
    o = (summary or {}).get("orientations")
    return sum(o.values()) if o is not None else None


def hours_share(summary: dict | None) -> float | None:
    return ((summary or {}).get("heures_hebdo") or {}).get("heures_15_share")


# Cohort figures: the latest complete cohort on or before the month, named on the tile.
looked_back = [m for m in months if m <= month][: headlines.COHORTS_LOOKED_BACK]
cohort_series = {
    name: db.series(name, departement, looked_back, communes) for name in headlines.COHORT_FAMILIES
}
cohort_tiles = headlines.cohort_tiles(cohort_series, month, limit)
decisions = orientations_total(current)
month_tiles = [
    headlines.Tile(
        "Décisions d'orientation",
        "n.d."
        if decisions is None
        else masking.masked_label(masking.mask_distribution({"n": decisions})["n"]),
        None
        if decisions is None or orientations_total(previous) is None
        else fmt_int(decisions - orientations_total(previous)),
        "orientations : décisions d'orientation datées du mois (CGPEM, reprise de stock, "
        "parcours).",
    ),
    headlines.Tile(
        "15 h ou plus par semaine",
        fmt_share(hours_share(current)),
        delta_points(hours_share(current), hours_share(previous)),
        "heures_15_share : personnes en parcours actif du mois à 15 heures de prestations "
        "ou plus par semaine (objectif d'activité de la loi pour le plein emploi).",
    ),
]
tiles = [month_tiles[0], *cohort_tiles[:2], *cohort_tiles[2:], month_tiles[1]]
for row in (tiles[:3], tiles[3:]):
    for column, tile in zip(st.columns(3), row, strict=True):
        column.metric(
            tile.label,
            tile.value,
            delta=tile.delta,
            delta_color="inverse" if tile.lower_is_better else "normal",
            help=tile.help,
        )
        column.caption(tile.caption or f"mois {of_month(month)}")

with st.container(border=True):
    st.markdown("**Ce qui change ce mois-ci**")
    lines = headlines.sentences(
        current, previous, month, previous_month, cohort_tiles, components.PARCOURS_LABELS
    )
    for sentence in lines or ["Pas de mois précédent à comparer."]:
        st.markdown(f"- {sentence}")
    st.caption(
        "Délais et parts d'une cohorte : dernière cohorte complète à la date des données "
        "(une cohorte encore en cours de suivi est provisoire et n'est jamais mise en avant)."
    )

left, right = st.columns(2)
with left:
    components.distribution(
        current["categorie"],
        "categorie",
        {**components.short_labels("categorie"), "non_renseignee": "Non renseignée"},
        "Inscrits par catégorie de demandeur d'emploi",
        "categorie : code catégorie d'inscription du fichier PECGM ; vide = dispense de recherche.",
        f"categorie_{departement}_{month}",
    )
with right:
    components.distribution(
        current["modalite"],
        "modalite",
        {**components.short_labels("modalite"), "non_renseignee": "Non renseignée"},
        "Inscrits par modalité d'accompagnement",
        "modalite : modalité d'accompagnement en cours (SUI, GUI, REN, GLO, APR).",
        f"modalite_{departement}_{month}",
    )

territories = db.territories(departement)
if (
    not communes
    and 1 < len(territories) <= MAX_TERRITORIES
    and st.toggle(
        f"Comparer les {len(territories)} territoires",
        key="comparer_territoires",
        help="Un tableau des chiffres clés par territoire (calculé à la demande).",
    )
):
    st.subheader(f"Par territoire — {fmt_month(month)}")

    def masked_count(n: int | None) -> str:
        return (
            "n.d." if n is None else masking.masked_label(masking.mask_distribution({"n": n})["n"])
        )

    def shown_share(value: float | None, denominator: int | None) -> float | None:
        return value if denominator and masking.share_allowed(denominator, limit) else None

    # Cohort columns at equal follow-up: every territory at the cohort its tile shows.
    cohort_columns = [
        (figure, tile, f"{figure.label} ({headlines.fmt_cohorte(tile.cohorte)})")
        for figure, tile in zip(headlines.COHORT_FIGURES, cohort_tiles, strict=True)
        if tile.cohorte
    ]
    records = []
    for label, its_communes in territories.items():
        # The families the row needs, not the whole summary (flows, intensity...).
        stock = db.family("stock", departement, month, its_communes)
        orient = db.family("orientations", departement, month, its_communes)
        records.append(
            {
                "territoire": label,
                "inscrits": masked_count(stock["stock_total"]),
                "catégories 1 à 3": shown_share(cat_1_3(stock), stock["stock_total"]),
                "décisions d'orientation": masked_count(orientations_total(orient)),
                **{
                    name: headlines.figure_value(
                        figure,
                        db.family(figure.family, departement, tile.cohorte, its_communes),
                        limit,
                    )
                    for figure, tile, name in cohort_columns
                },
            }
        )
    table = pd.DataFrame(records)
    shares = ["catégories 1 à 3", *(n for f, _, n in cohort_columns if f.is_share)]
    st.dataframe(
        components.readable(table, shares, [n for f, _, n in cohort_columns if not f.is_share]),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        "Mêmes définitions que les tuiles, restreintes aux personnes de chaque territoire "
        "(commune de résidence du dernier fichier PECGM, sinon du fichier parcours) ; délais "
        "et parts comparés à suivi égal, pour la cohorte complète nommée en tête de colonne."
        + components.masked_note()
        + " Parts et délais non affichés sous ce seuil."
    )
    components.download(table, f"territoires_{departement}_{month}", "territoires")
