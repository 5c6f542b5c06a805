"""Accompagnement: modalities over the period, axes and follow-up structures of the
month, recent contact, and the intensity of accompaniment (weekly hours per parcours
type, appointments per person), withheld under the threshold. The France Travail
section is drawn by `dashboard/france_travail.py`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db, widgets
from dashboard.figures import LineChart
from dashboard.formatting import fmt_decimal, fmt_month, fmt_share
from dashboard.masque import count_label, shown_share
from dashboard.views.elements import Breakdown, Distribution, MonthlyChart, Scope, parcours_groups

HOURS_COLUMNS = ["mois", "groupe", "heures_moyennes", "part_15h", "personnes"]


@dataclass(frozen=True)
class Intensite:
    hours: LineChart
    at_15h: LineChart
    rdv: tuple[str, str]  # (label, value) of the appointments tile
    download: pd.DataFrame
    profile: Breakdown


@dataclass(frozen=True)
class Accompagnement:
    modalites: MonthlyChart
    distributions: tuple[Distribution, Distribution]  # axe, structure de suivi
    contact: LineChart
    intensite: Intensite | None  # None: no parcours file loaded


def hours_table(series: list[tuple[str, dict | None]], parcours: str | None) -> pd.DataFrame:
    """Weekly hours per month and group (all, each parcours type): the persons masked,
    mean and share at 15 hours withheld when they are too few."""
    records = []
    for m, r in series:
        ensemble, par_parcours = (r["heures_hebdo"], r["par_parcours"]) if r else (None, {})
        for label, h in parcours_groups(ensemble, par_parcours, parcours).items():
            records.append(
                {
                    "mois": m,
                    "groupe": label,
                    "heures_moyennes": shown_share(h["moyenne"], h["personnes"]),
                    "part_15h": shown_share(h["heures_15_share"], h["personnes"]),
                    "personnes": count_label(h["personnes"]),
                }
            )
    return pd.DataFrame(records, columns=HOURS_COLUMNS)


def _intensite(departement, month, communes, months, parcours) -> Intensite | None:
    series = db.series("intensite", departement, months, communes)
    if all(r is None for _, r in series):
        return None
    hours = hours_table(series, parcours)
    current = db.family("intensite", departement, month, communes)
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
            "Part des personnes à 15 heures ou plus par semaine",
            "Part",
            share=True,
        ),
        rdv=(
            f"Rendez-vous d'accompagnement par personne — {fmt_month(month)}",
            fmt_decimal(current["rdv_par_personne"], 2),
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
        ),
    )


def accompagnement_view(scope: Scope) -> Accompagnement:
    departement, month, communes, months, parcours = scope
    stocks = db.series("stock", departement, months, communes)
    stock = db.family("stock", departement, month, communes)
    structures = {**stock["structure_suivi"]["principale"]}
    return Accompagnement(
        modalites=MonthlyChart(
            [(m, s["modalite"]) for m, s in stocks],
            widgets.short_labels("modalite"),
            "modalite",
            "Inscrits par modalité d'accompagnement",
            "modalite : modalité d'accompagnement en cours du fichier PECGM (SUI suivi, GUI "
            "guidé, REN renforcé, GLO global, APR accompagnement projet).",
            "modalites",
            f"modalites_{departement}",
        ),
        distributions=(
            Distribution(
                stock["axe"],
                "axe",
                widgets.short_labels("axe"),
                f"Axe de travail principal — {fmt_month(month)}",
                "axe : axe de travail principal du PPAE (01 à 07).",
                "axes",
            ),
            Distribution(
                structures,
                "structure",
                {k: k for k in structures},
                f"Structure principale de suivi — {fmt_month(month)}",
                "structure_suivi : structure principale de suivi du fichier PECGM.",
                "structures",
            ),
        ),
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
