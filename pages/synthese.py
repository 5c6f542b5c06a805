"""Synthèse: the steering committee's key figures for one département and month."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters, synthese
from dashboard.formatting import fmt_month
from pipelines import masking

departement, month, communes = filters.open_page("synthese", "Synthèse")

current = db.summary(departement, month, communes)
months = db.months(departement)
previous_month = months[months.index(month) + 1] if months.index(month) + 1 < len(months) else None
previous = db.summary(departement, previous_month, communes) if previous_month else None
limit = masking.threshold()
MAX_TERRITORIES = 30  # beyond, a table per territory no longer reads at a glance


st.caption(
    f"Département {departement} · {fmt_month(month)} · source : fichier PECGM de France Travail"
)
trend = [s["stock_total"] for _, s in db.series("stock", departement, months[:12], communes)]
tiles = synthese.tiles(current, previous, limit)
for row in (tiles[:4], tiles[4:]):
    for column, tile in zip(st.columns(len(row)), row, strict=True):
        column.metric(
            tile.label,
            tile.value,
            delta=tile.delta,
            delta_color="inverse" if tile.lower_is_better else "normal",
            help=tile.help,
            **({"chart_data": trend, "chart_type": "line"} if tile is tiles[0] else {}),
        )

with st.container(border=True):
    st.markdown("**Ce qui change ce mois-ci**")
    for sentence in synthese.sentences(current, previous, month, previous_month) or [
        "Pas de mois précédent à comparer."
    ]:
        st.markdown(f"- {sentence}")
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

    records = []
    for label, its_communes in territories.items():
        # The four families the row needs, not the whole summary (flows, intensity...).
        stock = db.family("stock", departement, month, its_communes)
        orient = db.family("orientations", departement, month, its_communes)
        delay = db.family("delai_orientation", departement, month, its_communes)
        contract = db.family("contrat", departement, month, its_communes)
        entrants = delay["entrants"] if delay else None
        oriented = contract["orientes"] if contract else None
        records.append(
            {
                "territoire": label,
                "inscrits": masked_count(stock["stock_total"]),
                "catégories 1 à 3": shown_share(synthese.cat_1_3(stock), stock["stock_total"]),
                "décisions d'orientation": masked_count(synthese.orientations_total(orient)),
                "délai médian d'orientation (j)": (
                    synthese.value_of(delay, "delai_orientation_jours", "mediane")
                    if entrants and masking.share_allowed(entrants, limit)
                    else None
                ),
                "orientés en 30 j": shown_share(
                    synthese.value_of(delay, "orientes_30j_share"), entrants
                ),
                "contrat en 30 j": shown_share(
                    synthese.value_of(contract, "contrat_30j_share"), oriented
                ),
            }
        )
    table = pd.DataFrame(records)
    shares = ("catégories 1 à 3", "orientés en 30 j", "contrat en 30 j")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="percent") for c in shares},
    )
    st.caption(
        "Mêmes définitions que les tuiles, restreintes aux personnes de chaque territoire "
        "(commune de résidence du dernier fichier PECGM, sinon du fichier parcours)."
        + components.masked_note()
        + " Parts et délais non affichés sous ce seuil."
    )
    components.download(table, f"territoires_{departement}_{month}", "territoires")
