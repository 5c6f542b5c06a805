"""Délais et contrats: the Kaplan–Meier curves of time to contract per orientation
cohorte, the median delay and the 30/60-day shares per cohorte and parcours type, the
profile breakdown and the delay to the first appointment; withheld under the threshold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import db, figures, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_month, fmt_share, of_month
from dashboard.views import partition
from dashboard.views.elements import (
    Breakdown,
    Scope,
    cohorte_breakdown,
    parcours_groups,
    parcours_label,
)
from pipelines import glossary, masking, masking_grids
from pipelines.masking import shown_share

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
    curve_caption: str
    no_curve: str  # what the page says when no cohorte may be drawn
    median: LineChart
    within_30: LineChart
    download: pd.DataFrame  # the cohorte table, shares as printed
    caption: str  # the medians' and shares' definition
    profile: Breakdown
    first_rdv: tuple[str, str] | None  # (label, value) of the first-appointment tile
    first_rdv_help: str


def cohorte_table(
    series: list[tuple[str, dict | None]],
    parcours: str | None,
    limit: int | None = None,
    hidden: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """One row per cohorte and group (all, each parcours type), figures withheld when the
    group's oriented persons are too few, or masked by the decision over the territoires
    (`hidden`: `contract_hidden`)."""
    records = []
    for m, r in series:
        if r is None:
            continue
        for code, g in parcours_groups(r, r["par_parcours"], parcours).items():
            n, masked = g["orientes"], code in (hidden or {}).get(m, ())
            records.append(
                {
                    "cohorte": m,
                    "groupe": parcours_label(code),
                    "mediane_jours": shown_share(
                        g["delai_contrat_jours"]["mediane"], n, limit, masked
                    ),
                    "contrat_30j": shown_share(g["contrat_30j_share"], n, limit, masked),
                    "contrat_60j": shown_share(g["contrat_60j_share"], n, limit, masked),
                    "mediane_provisoire": g["delai_contrat_provisoire"],
                    "contrat_30j_provisoire": g["contrat_30j_provisoire"],
                    "provisoire": widgets.provisional_label(g, CONTRACT_FLAGS),
                }
            )
    return pd.DataFrame(records, columns=COLUMNS)


def first_rdv(result: dict | None, month: str, limit: int | None = None) -> tuple[str, str] | None:
    """The median delay to the first appointment of the month's oriented persons."""
    if result is None:
        return None
    median = shown_share(result["mediane"], result["orientes"], limit)
    return (
        f"Délai médian jusqu'au premier rendez-vous — orientés en {fmt_month(month)}",
        "n.d." if median is None else f"{median} jours",
    )


FAMILY = "contrat"  # the persons oriented in a month: a family of masking_grids.GRIDS


def contract_hidden(
    decision: Callable[[str], set | None], months: list[str], row: str
) -> dict[str, frozenset[str]]:
    """Per cohorte, the groups ('ensemble' for all of them, each parcours type) whose
    oriented persons the month's decision (`decision(month)`) hides in `row`: their
    delays and shares are withheld too (`masking.share_allowed`). One reading for the
    page and the PDF."""
    out = {}
    for m in months:
        hidden = decision(m) or set()
        codes = masking_grids.row_hidden(hidden, "par_parcours", row)
        out[m] = codes | ({"ensemble"} if masking_grids.total_hidden(hidden, row) else set())
    return out


def delais_view(scope: Scope) -> Delais:
    departement, month, communes, months, parcours = scope
    limit = masking.threshold()
    withheld = frozenset(  # the cohortes whose size the partition's decision hides
        m
        for m in months[-CURVE_COHORTES:]
        if partition.total_withheld(departement, m, communes, limit, FAMILY)
    )
    profile = {
        k: partition.linked_month(departement, month, communes, k, limit, FAMILY)
        for k in masking_grids.CONTRACT_GRIDS
        if k != "orientes"
    }
    territoires_ = db.communes_par_territoire(departement)
    hidden = contract_hidden(
        lambda m: partition.grid(departement, m, territoires_, limit, FAMILY),
        months,
        partition.own_row(communes, territoires_),
    )
    return delais_block(
        db.family(FAMILY, departement, month, communes),
        db.series(FAMILY, departement, months, communes),
        db.family("contrat_courbe", departement, communes=communes),
        db.family("premier_rdv", departement, month, communes),
        month,
        months,
        parcours,
        limit,
        withheld,
        None if None in profile.values() else profile,
        hidden,
    )


def charts(view: Delais) -> list[tuple[Callable[..., go.Figure], tuple]]:
    """The figures pages/delais.py draws from `view`, as it builds them (the server's
    filling builds them ahead: dashboard/warm.py)."""
    if view.empty:
        return []
    curve = [] if view.curve.empty else [(figures.contract_curve, (view.curve,))]
    return curve + widgets.figure_calls(view.median, view.within_30)


def delais_block(
    current: dict | None,
    series: list[tuple[str, dict | None]],
    curve_rows: list[dict],
    premier_rdv: dict | None,
    month: str,
    months: list[str],
    parcours: str | None,
    limit: int,
    withheld: frozenset[str] = frozenset(),
    linked: dict[str, frozenset[str]] | None = None,
    hidden: dict[str, frozenset[str]] | None = None,
) -> Delais:
    """The orientation cohortes of the period as every surface shows them (page, PDF,
    export): curves, medians and shares per cohorte and group, withheld under `limit`.
    A curve prints its cohorte's size: `withheld`, the cohortes whose size the decision
    over the territoires hides, are not drawn; `linked`, the month's groups it hides
    (the scope's row, `masking_grids.CONTRACT_GRIDS`); `hidden`, per cohorte, the
    groups whose delays and shares it withholds (`contract_hidden`)."""
    table = cohorte_table(series, parcours, limit, hidden)
    curve = pd.DataFrame(curve_rows)
    return Delais(
        data_date=(current or {}).get("date_donnees"),
        empty=current is None,
        curve=figures.curve_cohortes(
            curve, [m for m in months[-CURVE_COHORTES:] if m not in withheld], limit
        ),
        curve_caption=glossary.caption("contrat_courbe")
        + " En tirets (provisoire), les jours au-delà du suivi de la personne la moins suivie."
        + masking.withheld_note("personnes (cohorte non tracée)", limit),
        no_curve="Pas de cohorte d'orientation assez grande pour être tracée sur la période"
        + masking.withheld_note("personnes", limit)
        .replace(" Non affiché", " (non tracée")
        .rstrip(".")
        + ").",
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
        caption=glossary.caption("delai_contrat_jours", "contrat_30j_share")
        + masking.withheld_note("personnes", limit)
        + " Provisoire (tirets, points creux) : la fenêtre de 30 jours (part), de 60 jours "
        "(délai médian) après la fin du mois n'est pas écoulée à la date des données.",
        profile=cohorte_breakdown(
            current,
            "orientes",
            "delai_contrat",
            {"contrat en 30 j": "contrat_30j", "contrat en 60 j": "contrat_60j"},
            f"Délai jusqu'au contrat des orientés {of_month(month)}, par profil",
            "delai_contrat_jours, contrat_30j_share, contrat_60j_share par type de parcours, "
            "sexe ou tranche d'âge (âge atteint dans l'année).",
            "contrat_profil",
            CONTRACT_FLAGS,
        )._replace(linked=linked),
        first_rdv=first_rdv(premier_rdv, month, limit),
        first_rdv_help=glossary.caption("delai_premier_rdv_jours"),
    )
