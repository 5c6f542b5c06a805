"""Délais et contrats: the Kaplan–Meier curves of time to contract per orientation
cohorte, the median delay and the 30/60-day shares per cohorte and parcours type, the
profile breakdown and the delay to the first appointment; withheld under the threshold."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db, figures, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_month, fmt_share, of_month
from dashboard.masque import shown_share
from dashboard.views.elements import Breakdown, Scope, cohorte_breakdown, parcours_groups
from pipelines import masking

CURVE_COHORTES = 6  # the latest orientation cohortes drawn as curves
CONTRACT_FLAGS = {  # `<share>_provisoire` of the family -> what the table names
    "contrat_30j_provisoire": "contrat en 30 j",
    "contrat_60j_provisoire": "contrat en 60 j",
    "delai_contrat_provisoire": "délai médian",
}
COLUMNS = [
    "cohorte",
    "groupe",
    "mediane_jours",
    "contrat_30j",
    "contrat_60j",
    "mediane_provisoire",
    "contrat_30j_provisoire",
    "provisoire",
]


@dataclass(frozen=True)
class Delais:
    data_date: str | None
    empty: bool  # no orientation loaded: no delay to contract
    curve: pd.DataFrame  # Kaplan–Meier points of the cohortes that may be drawn
    median: LineChart
    within_30: LineChart
    download: pd.DataFrame  # the cohorte table, shares as printed
    profile: Breakdown
    first_rdv: tuple[str, str] | None  # (label, value) of the first-appointment tile


def cohorte_table(series: list[tuple[str, dict | None]], parcours: str | None) -> pd.DataFrame:
    """One row per cohorte and group (all, each parcours type), figures withheld when the
    group's oriented persons are too few."""
    records = []
    for m, r in series:
        if r is None:
            continue
        for label, g in parcours_groups(r, r["par_parcours"], parcours).items():
            n = g["orientes"]
            records.append(
                {
                    "cohorte": m,
                    "groupe": label,
                    "mediane_jours": shown_share(g["delai_contrat_jours"]["mediane"], n),
                    "contrat_30j": shown_share(g["contrat_30j_share"], n),
                    "contrat_60j": shown_share(g["contrat_60j_share"], n),
                    "mediane_provisoire": g["delai_contrat_provisoire"],
                    "contrat_30j_provisoire": g["contrat_30j_provisoire"],
                    "provisoire": widgets.provisional_label(g, CONTRACT_FLAGS),
                }
            )
    return pd.DataFrame(records, columns=COLUMNS)


def first_rdv(result: dict | None, month: str) -> tuple[str, str] | None:
    """The median delay to the first appointment of the month's oriented persons."""
    if result is None:
        return None
    median = shown_share(result["mediane"], result["orientes"])
    return (
        f"Délai médian jusqu'au premier rendez-vous — orientés en {fmt_month(month)}",
        "n.d." if median is None else f"{median} jours",
    )


def delais_view(scope: Scope) -> Delais:
    departement, month, communes, months, parcours = scope
    current = db.family("contrat", departement, month, communes)
    table = cohorte_table(db.series("contrat", departement, months, communes), parcours)
    curve = pd.DataFrame(db.family("contrat_courbe", departement, communes=communes))
    return Delais(
        data_date=(current or {}).get("date_donnees"),
        empty=current is None,
        curve=figures.curve_cohortes(curve, months[-CURVE_COHORTES:], masking.threshold()),
        median=LineChart(
            table,
            "cohorte",
            "mediane_jours",
            "groupe",
            "Délai médian jusqu'au contrat (jours)",
            "Jours",
            provisional="mediane_provisoire",
        ),
        within_30=LineChart(
            table,
            "cohorte",
            "contrat_30j",
            "groupe",
            "Part avec contrat dans les 30 jours",
            "Part",
            share=True,
            provisional="contrat_30j_provisoire",
        ),
        download=table.drop(columns=["mediane_provisoire", "contrat_30j_provisoire"]).assign(
            contrat_30j=table["contrat_30j"].map(fmt_share),
            contrat_60j=table["contrat_60j"].map(fmt_share),
        ),
        profile=cohorte_breakdown(
            current,
            "orientes",
            "delai_contrat",
            {"contrat en 30 j": "contrat_30j", "contrat en 60 j": "contrat_60j"},
            f"Délai jusqu'au contrat des orientés {of_month(month)}, par profil",
            "delai_contrat_jours, contrat_30j_share, contrat_60j_share par type de parcours, "
            "sexe ou tranche d'âge (âge atteint dans l'année), sur les personnes orientées "
            "dans le mois.",
            "contrat_profil",
            CONTRACT_FLAGS,
        ),
        first_rdv=first_rdv(db.family("premier_rdv", departement, month, communes), month),
    )
