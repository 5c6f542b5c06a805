"""Synthèse: the steering committee's key figures for one département and month."""

import pandas as pd
import streamlit as st

from dashboard import components, db, filters
from dashboard.formatting import fmt_int, fmt_month, fmt_share
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


def delta_points(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{100 * (now - before):+.1f} pt".replace(".", ",")


st.caption(
    f"Département {departement} · {fmt_month(month)} · source : fichier PECGM de France Travail"
)
trend = [s["stock_total"] for _, s in db.series("stock", departement, months[:12], communes)]
c1, c2, c3, c4 = st.columns(4)
stock_delta = current["stock_total"] - previous["stock_total"] if previous else None
c1.metric(
    "Bénéficiaires du RSA inscrits à France Travail",
    fmt_int(current["stock_total"]),
    delta=None if stock_delta is None else fmt_int(stock_delta),
    help="stock_total : nombre d'enregistrements du fichier PECGM du mois (une ligne par personne).",
    chart_data=trend,
    chart_type="line",
)
c2.metric(
    "Part en catégories 1 à 3",
    fmt_share(cat_1_3(current)),
    delta=delta_points(cat_1_3(current), cat_1_3(previous) if previous else None),
    help="Inscrits en catégories 1, 2 ou 3 sur le stock du mois.",
)
c3.metric(
    "Part avec contrat d'engagement notifié",
    fmt_share(current["cer_notifie_share"]),
    delta=delta_points(
        current["cer_notifie_share"], previous["cer_notifie_share"] if previous else None
    ),
    help="cer_notifie_share : date de notification du PPAE valant contrat d'engagement renseignée, sur le stock du mois.",
)
c4.metric(
    "Part contactée dans les 90 jours",
    fmt_share(current["contact_90j_share"]),
    delta=delta_points(
        current["contact_90j_share"], previous["contact_90j_share"] if previous else None
    ),
    help="contact_90j_share : dernier contact au plus 90 jours avant la date de référence du fichier, sur le stock du mois.",
)


def value_of(summary: dict | None, key: str, sub: str | None = None):
    if not summary:
        return None
    value = summary.get(key)
    return value.get(sub) if isinstance(value, dict) and sub else value


def orientations_total(summary: dict | None) -> int | None:
    o = value_of(summary, "orientations")
    return sum(o.values()) if o is not None else None


def days(value) -> str:
    return "n.d." if value is None else f"{value} j"


def delta_days(now, before) -> str | None:
    return None if now is None or before is None else f"{now - before:+d} j"


TILES = [  # label, value getter, formatter, delta, help, "lower is better"
    (
        "Décisions d'orientation du mois",
        orientations_total,
        lambda v: (
            masking.masked_label(masking.mask_distribution({"n": v})["n"])
            if v is not None
            else "n.d."
        ),
        lambda a, b: None if a is None or b is None else fmt_int(a - b),
        "orientations : décisions datées du mois (CGPEM, reprise de stock, parcours).",
        False,
    ),
    (
        "Délai médian d'orientation",
        lambda x: value_of(x, "delai_orientation_jours", "mediane"),
        days,
        delta_days,
        "delai_orientation_jours : de l'entrée au RSA à l'orientation, cohorte des entrants du mois.",
        True,
    ),
    (
        "Orientés en 30 jours",
        lambda x: value_of(x, "orientes_30j_share"),
        fmt_share,
        delta_points,
        "orientes_30j_share : entrants du mois orientés dans les 30 jours, sur tous les entrants du mois.",
        False,
    ),
    (
        "Délai médian jusqu'au contrat",
        lambda x: value_of(x, "delai_contrat_jours", "mediane"),
        days,
        delta_days,
        "delai_contrat_jours : de l'orientation au contrat d'engagement, cohorte des orientés du mois.",
        True,
    ),
    (
        "Contrat dans les 30 jours",
        lambda x: value_of(x, "contrat_30j_share"),
        fmt_share,
        delta_points,
        "contrat_30j_share : orientés du mois ayant un contrat dans les 30 jours.",
        False,
    ),
    (
        "À 15 heures ou plus par semaine",
        lambda x: value_of(x, "heures_hebdo", "heures_15_share"),
        fmt_share,
        delta_points,
        "heures_15_share : personnes en parcours actif à 15 heures de prestations ou plus par semaine.",
        False,
    ),
]
columns = st.columns(len(TILES))
for column, (label, get, fmt, delta, helptext, lower_better) in zip(columns, TILES, strict=True):
    now, before = get(current), get(previous)
    column.metric(
        label,
        fmt(now),
        delta=delta(now, before),
        delta_color="inverse" if lower_better else "normal",
        help=helptext,
    )
st.caption(
    "Délai d'orientation et orientés en 30 jours : "
    + components.population_caption(current.get("population"))
    + "."
)


def sentences() -> list[str]:
    """Three to five plain sentences on what changed since last month."""
    out = []
    if previous:
        diff = current["stock_total"] - previous["stock_total"]
        if diff:
            out.append(
                f"Le nombre de bénéficiaires du RSA inscrits à France Travail "
                f"{'augmente' if diff > 0 else 'baisse'} de {fmt_int(abs(diff))} "
                f"par rapport à {fmt_month(previous_month)}."
            )
    for label, get, _, _, _, _ in TILES[1:]:
        now, before = get(current), get(previous)
        if now is None or before is None or now == before:
            continue
        if isinstance(now, int):
            out.append(
                f"{label} : {'hausse' if now > before else 'baisse'} de {abs(now - before)} jours "
                f"({before} j en {fmt_month(previous_month)}, {now} j en {fmt_month(month)})."
            )
        elif abs(now - before) >= 0.01:
            out.append(
                f"{label} : {fmt_share(now)} en {fmt_month(month)}, "
                f"{'contre' if now != before else 'comme'} {fmt_share(before)} le mois précédent."
            )
        if len(out) >= 5:
            break
    if current["orientations"]:
        top = max(current["orientations"], key=current["orientations"].get)
        out.append(
            f"Le parcours le plus prescrit ce mois est le parcours "
            f"{components.PARCOURS_LABELS[top].lower()}."
        )
    return out[:5]


with st.container(border=True):
    st.markdown("**Ce qui change ce mois-ci**")
    for sentence in sentences() or ["Pas de mois précédent à comparer."]:
        st.markdown(f"- {sentence}")

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
                "catégories 1 à 3": shown_share(cat_1_3(stock), stock["stock_total"]),
                "décisions d'orientation": masked_count(orientations_total(orient)),
                "délai médian d'orientation (j)": (
                    value_of(delay, "delai_orientation_jours", "mediane")
                    if entrants and masking.share_allowed(entrants, limit)
                    else None
                ),
                "orientés en 30 j": shown_share(value_of(delay, "orientes_30j_share"), entrants),
                "contrat en 30 j": shown_share(value_of(contract, "contrat_30j_share"), oriented),
                "population": value_of(delay, "population"),
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
