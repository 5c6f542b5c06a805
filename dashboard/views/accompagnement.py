"""Accompagnement: modalities over the period, axes and follow-up structures of the
month, recent contact, and the intensity of accompaniment (weekly hours per parcours
type, appointments per person), withheld under the threshold. The France Travail
section is drawn by `dashboard/france_travail.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import db, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_decimal, fmt_month, fmt_share
from dashboard.views import partition
from dashboard.views.elements import (
    Breakdown,
    Distribution,
    MonthlyChart,
    Scope,
    parcours_groups,
    parcours_label,
)
from pipelines import glossary, masking, masking_grids
from pipelines.masking import count_label, shown_share

HOURS_COLUMNS = ["mois", "groupe", "heures_moyennes", "part_15h", "personnes"]


@dataclass(frozen=True)
class Intensite:
    hours: LineChart
    at_15h: LineChart
    caption: str  # the weekly hours' definition
    rdv: tuple[str, str]  # (label, value) of the appointments tile
    rdv_help: str
    download: pd.DataFrame
    profile: Breakdown


@dataclass(frozen=True)
class Accompagnement:
    modalites: MonthlyChart
    contact_caption: str
    distributions: tuple[Distribution, Distribution]  # axe, structure de suivi
    contact: LineChart
    intensite: Intensite | None  # None: no parcours file loaded


INTENSITY = "intensite"  # the persons in parcours: a family of masking_grids.GRIDS


def hours_table(
    series: list[tuple[str, dict | None]],
    parcours: str | None,
    limit: int | None = None,
    linked: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """Weekly hours per month and group (all, each parcours type): the persons masked,
    mean and share at 15 hours withheld when they are too few or masked. The groups are parts of
    the month's persons, and a territoire's of the département's: `linked` (per month,
    the groups the decision over the territoires hides in the scope's row, 'ensemble'
    for all of them) masks them together."""
    records = []
    for m, r in series:
        ensemble, par_parcours = (r["heures_hebdo"], r["par_parcours"]) if r else (None, {})
        for code, h in parcours_groups(ensemble, par_parcours, parcours).items():
            withheld = code in ((linked or {}).get(m) or ())
            records.append(
                {
                    "mois": m,
                    "groupe": parcours_label(code),
                    "heures_moyennes": shown_share(h["moyenne"], h["personnes"], limit, withheld),
                    "part_15h": shown_share(h["heures_15_share"], h["personnes"], limit, withheld),
                    "personnes": masking.masked_label(None, limit)
                    if withheld
                    else count_label(h["personnes"], limit),
                }
            )
    return pd.DataFrame(records, columns=HOURS_COLUMNS)


def intensity_linked(decision, months: list[str], row: str) -> dict[str, dict] | None:
    """Per month, per distribution of `masking_grids.INTENSITY_GRIDS`, what the month's
    decision (`decision(month)`, None without one) hides of `row`; 'ensemble' stands
    for the row's persons in `par_parcours`. One reading for the page and the PDF."""
    out = {}
    for m in months:
        hidden = decision(m)
        if hidden is None:
            return None
        codes = {n: masking_grids.row_hidden(hidden, n, row) for n in masking_grids.INTENSITY_GRIDS}
        if masking_grids.total_hidden(hidden, row):
            codes["par_parcours"] |= {"ensemble"}
        out[m] = codes
    return out


def _intensite(departement, month, communes, months, parcours) -> Intensite | None:
    limit = masking.threshold()
    territoires_ = db.communes_par_territoire(departement)

    def decision(m: str):
        return partition.grid(departement, m, territoires_, limit, INTENSITY)

    return intensite_block(
        db.series(INTENSITY, departement, months, communes),
        db.family(INTENSITY, departement, month, communes),
        month,
        parcours,
        limit,
        intensity_linked(decision, months, partition.own_row(communes, territoires_)),
    )


def intensite_block(
    series: list[tuple[str, dict | None]],
    current: dict | None,
    month: str,
    parcours: str | None,
    limit: int,
    linked: dict[str, dict] | None = None,
) -> Intensite | None:
    """Weekly hours of the period as every surface shows them (page, PDF, export); None
    without any parcours file. `linked`: `intensity_linked`, the decisions over the
    territoires."""
    if all(r is None for _, r in series):
        return None
    by_month = None if linked is None else {m: c["par_parcours"] for m, c in linked.items()}
    hours = hours_table(series, parcours, limit, by_month)
    return Intensite(
        hours=LineChart(
            hours,
            "mois",
            "heures_moyennes",
            "groupe",
            "Heures de prestations par semaine (moyenne)",
            "Heures",
        ),
        at_15h=LineChart(
            hours,
            "mois",
            "part_15h",
            "groupe",
            "Personnes à 15 h ou plus par semaine (part)",
            "Part",
            share=True,
        ),
        caption=glossary.caption("heures_hebdo") + masking.withheld_note("personnes", limit),
        rdv_help=glossary.caption("rdv_par_personne"),
        rdv=(
            f"Rendez-vous d'accompagnement par personne — {fmt_month(month)}",
            fmt_decimal((current or {}).get("rdv_par_personne"), 2),
        ),
        download=hours.assign(part_15h=hours["part_15h"].map(fmt_share)),
        profile=Breakdown(
            current,
            "personnes",
            {
                "heures par semaine (moyenne)": lambda g: g["moyenne"],
                "heures par semaine (médiane)": lambda g: g["mediane"],
                "15 heures ou plus": lambda g: g["heures_15_share"],
            },
            ("15 heures ou plus",),
            f"Intensité de l'accompagnement en {fmt_month(month)}, par profil",
            "heures_hebdo par type de parcours, sexe ou tranche d'âge (âge atteint dans "
            "l'année), sur les personnes en parcours actif.",
            "intensite_profil",
            linked=None
            if linked is None or month not in linked
            else {
                k: linked[month][k] - {"ensemble"}
                for k in ("par_parcours", *masking_grids.PROFILE_GROUPS)
            },
        ),
    )


def modalites_chart(
    rows: list[tuple[str, dict[str, int]]],
    departement: str,
    linked: dict[str, frozenset[str]] | None = None,
) -> MonthlyChart:
    """Registered persons per accompaniment modality and month; `linked`: the partition's
    decision per month (`partition.linked_months`)."""
    return MonthlyChart(
        rows,
        widgets.short_labels("modalite"),
        "modalite",
        "Inscrits par modalité d'accompagnement",
        glossary.caption("modalite"),
        "modalites",
        f"modalites_{departement}",
        None,
        linked,
    )


def axes_distribution(
    counts: dict[str, int], month: str, linked: frozenset[str] | None = None
) -> Distribution:
    """Registered persons of the month per main work axis of their PPAE; `linked`: the
    codes the partition's decision hides (`partition.linked_month`)."""
    return Distribution(
        counts,
        "axe",
        widgets.short_labels("axe"),
        f"Axe de travail principal — {fmt_month(month)}",
        glossary.caption("axe"),
        "axes",
        linked,
    )


def structures_distribution(
    stock: dict, month: str, linked: frozenset[str] | None = None
) -> Distribution:
    """Registered persons of the month per main follow-up structure; `linked`: as for
    the axes."""
    structures = {**stock["structure_suivi"]["principale"]}
    return Distribution(
        structures,
        "structure",
        {k: k for k in structures},
        f"Structure principale de suivi — {fmt_month(month)}",
        "Structure principale de suivi du fichier PECGM.",
        "structures",
        linked,
    )


def accompagnement_view(scope: Scope) -> Accompagnement:
    departement, month, communes, months, parcours = scope
    stocks = db.series("stock", departement, months, communes)
    stock = db.family("stock", departement, month, communes)
    limit = masking.threshold()
    return Accompagnement(
        modalites=modalites_chart(
            [(m, s["modalite"]) for m, s in stocks],
            departement,
            partition.linked_months(departement, months, communes, "modalite", limit),
        ),
        distributions=(
            axes_distribution(
                stock["axe"],
                month,
                partition.linked_month(departement, month, communes, "axe", limit),
            ),
            structures_distribution(
                stock,
                month,
                partition.linked_month(departement, month, communes, "structure", limit),
            ),
        ),
        contact_caption=glossary.caption("contact_90j_share"),
        contact=LineChart(
            pd.DataFrame([{"mois": m, "part": s["contact_90j_share"]} for m, s in stocks]),
            "mois",
            "part",
            None,
            "Part des inscrits contactés dans les 90 jours",
            "Part",
            share=True,
        ),
        intensite=_intensite(departement, month, communes, months, parcours),
    )


def charts(view: Accompagnement) -> list[tuple[Callable[..., go.Figure], tuple]]:
    """The figures pages/accompagnement.py draws from `view`, as its widgets build them (the
    server's filling builds them ahead: dashboard/warm.py)."""
    shown = [view.modalites, *view.distributions, view.contact]
    if view.intensite is not None:
        shown += [view.intensite.hours, view.intensite.at_15h]
    return widgets.figure_calls(*shown)
