"""Synthèse: the steering committee's key figures for one département and month."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters, headlines, synthese
from dashboard.formatting import fmt_month, of_month
from pipelines import masking

departement, month, communes = filters.open_page("synthese", "Synthèse")

current = db.summary(departement, month, communes)
months = db.months(departement)
previous_month = months[months.index(month) + 1] if months.index(month) + 1 < len(months) else None
previous = db.summary(departement, previous_month, communes) if previous_month else None
limit = masking.threshold()
MAX_TERRITORIES = 30  # beyond, a table per territory no longer reads at a glance


data_dates = current["date_donnees"]
st.caption(
    f"Département {departement} · {fmt_month(month)} · source : fichier PECGM de France Travail"
    + components.data_date_note(data_dates)
)
trend = [s["stock_total"] for _, s in db.series("stock", departement, months[:12], communes)]
cohort_series = {
    name: db.series(name, departement, synthese.looked_back(months, month), communes)
    for name in headlines.COHORT_FAMILIES
}
head = synthese.headline(current, previous, month, previous_month, cohort_series, limit)
for column, tile in zip(st.columns(len(head.stock)), head.stock, strict=True):
    column.metric(
        tile.label,
        tile.value,
        delta=tile.delta,
        help=tile.help,
        **({"chart_data": trend, "chart_type": "line"} if tile is head.stock[0] else {}),
    )
for row in (head.main[:3], head.main[3:]):
    for column, tile in zip(st.columns(3), row, strict=True):
        column.metric(
            tile.label,
            tile.value,
            delta=tile.delta,
            delta_color="inverse" if tile.lower_is_better else "normal",
            help=tile.help,
        )
        column.caption(tile.caption or f"mois {of_month(month)}")

st.caption(
    "Délai d'orientation et orientés en 30 jours : "
    + components.population_caption(current.get("population"))
    + "."
)
with st.container(border=True):
    st.markdown("**Ce qui change ce mois-ci**")
    for sentence in head.sentences or ["Pas de mois précédent à comparer."]:
        st.markdown(f"- {sentence}")
    st.caption(
        "Délais et parts d'une cohorte : dernière cohorte complète à la date des données "
        "(une cohorte encore en cours de suivi est provisoire et n'est jamais mise en avant)."
    )
components.report_download(departement, month)

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
        for figure, tile in zip(headlines.COHORT_FIGURES, head.cohort, strict=True)
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
                "catégories 1 à 3": shown_share(synthese.cat_1_3(stock), stock["stock_total"]),
                "décisions d'orientation": masked_count(synthese.orientations_total(orient)),
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
