"""Synthèse: the steering committee's key figures for one département and month."""

import pandas as pd
import streamlit as st

from dashboard import charts, db, filters
from dashboard.formatting import fmt_int, fmt_month, fmt_share
from pipelines import masking
from pipelines.nomenclatures import nomenclature

st.title("Synthèse")
departement, month = filters.departement_and_month()
if not departement or not month:
    filters.no_data_message()
    st.stop()

current = db.summary(departement, month)
months = db.months(departement)
previous_month = months[months.index(month) + 1] if months.index(month) + 1 < len(months) else None
previous = db.summary(departement, previous_month) if previous_month else None
limit = masking.threshold()


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
trend = [db.summary(departement, m)["stock_total"] for m in reversed(months[:12])]
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

labels = {
    name: {r["code"]: r["libelle_court"] for r in nomenclature(name)}
    for name in ("categorie", "modalite")
}


def distribution(family: str, title: str, caption: str) -> None:
    counts = masking.mask_distribution(current[family], limit)
    frame = pd.DataFrame(
        {
            "code": list(counts),
            "libelle": [labels[family].get(c, "Non renseignée") for c in counts],
            "effectif": [v if v is not None else 0 for v in counts.values()],
            "libelle_valeur": [masking.masked_label(v, limit) for v in counts.values()],
        }
    )
    fig = charts.bar(
        frame, "code", "effectif", family, title, {"code": "", "effectif": "Personnes"}
    )
    fig.update_xaxes(ticktext=frame["libelle"], tickvals=frame["code"])
    st.plotly_chart(fig, width="stretch")
    st.caption(caption + f" Effectifs de 1 à {limit - 1} masqués (« < {limit} »).")
    export = frame[["code", "libelle", "libelle_valeur"]].rename(
        columns={"libelle_valeur": "effectif"}
    )
    st.download_button(
        "Télécharger les données (CSV)",
        export.to_csv(index=False, sep=";").encode("utf-8-sig"),
        file_name=f"{family}_{departement}_{month}.csv",
        mime="text/csv",
        key=f"dl_{family}",
    )


left, right = st.columns(2)
with left:
    distribution(
        "categorie",
        "Inscrits par catégorie de demandeur d'emploi",
        "categorie : code catégorie d'inscription du fichier PECGM ; vide = dispense de recherche.",
    )
with right:
    distribution(
        "modalite",
        "Inscrits par modalité d'accompagnement",
        "modalite : modalité d'accompagnement en cours (SUI, GUI, REN, GLO, APR).",
    )
