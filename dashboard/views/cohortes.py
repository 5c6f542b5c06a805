"""Cohortes (analysts): two cohortes defined by entry or orientation months and
attributes, compared at equal follow-up: their funnels (entry -> orientation -> first
appointment -> contract -> return to work), the shares of each step, two median delays
and the Kaplan–Meier curves, masked; the choices the page offers are named here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go

from dashboard import db, figure_cache, figures, widgets
from dashboard.formatting import fmt_month
from pipelines import glossary, indicators, masking
from pipelines.masking import count_label, masked_count, shown_share

HORIZONS = indicators.HORIZONS  # days of follow-up the page offers
DEFAULT_HORIZON = indicators.DEFAULT_HORIZON
AGE_FR = {
    "moins_25": "Moins de 25 ans",
    "25_34": "25 à 34 ans",
    "35_44": "35 à 44 ans",
    "45_54": "45 à 54 ans",
    "55_plus": "55 ans et plus",
}
# The labels of indicators.COHORTE_BASES and IMMATURES, in their order: the first is the default.
BASES = dict(zip(indicators.COHORTE_BASES, ("d'entrée au RSA", "d'orientation"), strict=True))
IMMATURES = dict(
    zip(
        indicators.IMMATURES,
        ("la marquer provisoire", "exclure ses mois trop récents"),
        strict=True,
    )
)
PARCOURS = (None, "social", "socio_professionnel", "professionnel")
AGES = (None, *indicators.AGE_BANDS)
SEXES = {None: "Tous", "F": "Femmes", "M": "Hommes"}
MODALITES = (None, "SUI", "GUI", "REN", "GLO", "APR")
STEPS = {
    "entres": "Entrées",
    "orientes": "Orientées",
    "premier_rdv": "Premier rendez-vous",
    "contrat": "Contrat d'engagement",
    "reprise_emploi": "Reprise d'emploi",
}
CURVES = {  # curve -> title, x axis
    "orientation": ("Part orientée, selon les jours depuis l'entrée", "Jours depuis l'entrée"),
    "contrat": (
        "Part avec contrat, selon les jours depuis l'orientation",
        "Jours depuis l'orientation",
    ),
}


class Choice(NamedTuple):
    """What the user picked for one cohorte (None: every value)."""

    base: str
    debut: str
    fin: str
    parcours: str | None = None
    tranche_age: str | None = None
    sexe: str | None = None
    modalite: str | None = None
    commune: str | None = None


@dataclass(frozen=True)
class Cohorte:
    name: str  # 'A' or 'B'
    label: str  # months and attributes, « (provisoire) » when it is
    definition: dict  # the arguments of db.cohorte / db.cohorte_curves
    result: dict  # pipelines.indicators.cohorte
    warning: str | None  # provisional: its last months have not had the follow-up
    info: str | None  # months left out for too short a follow-up


@dataclass(frozen=True)
class Curve:
    kind: str
    figure: go.Figure | None  # None: no cohorte large enough to draw
    message: str  # what the page says instead


@dataclass(frozen=True)
class Comparison:
    caption: str
    funnel: go.Figure
    funnel_caption: str
    table: pd.DataFrame  # printed cells
    delays: list[tuple[str, str]]  # (label, 'A / B' values) of the two delay tiles
    export: pd.DataFrame  # the table with its definition row, numbers kept
    curves: list[Curve]
    curves_caption: str


def parcours_label(value: str | None) -> str:
    return "Tous" if value is None else widgets.PARCOURS_LABELS[value]


def age_label(value: str | None) -> str:
    return "Tous" if value is None else AGE_FR[value]


def modalite_label(value: str | None) -> str:
    return "Toutes" if value is None else value


def cohorte_months(departement: str) -> list[str]:
    """The months a cohorte may span: every month loaded for the département, oldest first."""
    return sorted(db.months(departement))


default_months = indicators.default_cohorte_months  # the two cohortes the page opens with


def cohorte(
    departement: str,
    name: str,
    choice: Choice,
    communes: tuple[str, ...] | None,
    horizon: int,
    immatures: str,
) -> Cohorte:
    """One cohorte's funnel, its label and what the page must say about its follow-up."""
    definition = {**choice._asdict(), "communes": communes, "horizon": horizon,
                  "immatures": immatures}  # fmt: skip
    result = db.cohorte(departement, **definition)
    attributes = (
        widgets.PARCOURS_LABELS.get(choice.parcours) if choice.parcours else None,
        AGE_FR.get(choice.tranche_age) if choice.tranche_age else None,
        choice.sexe,
        choice.modalite,
        choice.commune,
    )
    label = f"{fmt_month(choice.debut)} – {fmt_month(choice.fin)}" + "".join(
        f" · {x}" for x in attributes if x
    )
    return Cohorte(
        name=name,
        label=label + (" (provisoire)" if result["provisoire"] else ""),
        definition=definition,
        result=result,
        warning=f"Provisoire : les personnes de {fmt_month(choice.fin)} n'ont pas toutes "
        f"{horizon} jours de suivi à la date des données ; leurs étapes sont encore incomplètes."
        if result["provisoire"]
        else None,
        info=f"{result['mois_exclus']} mois trop récent(s) pour {horizon} jours de suivi "
        "exclu(s) de la cohorte."
        if result["mois_exclus"]
        else None,
    )


def step_share(result: dict, step: str) -> float | None:
    """A step's share of the cohorte's entrants, None when the step is masked or the
    cohorte too small."""
    if masked_count(result[step]) is None:
        return None
    return shown_share(
        result[step] / result["entres"] if result["entres"] else None, result["entres"]
    )


def funnel_table(cohortes: list[Cohorte]) -> pd.DataFrame:
    """Per step, each cohorte's masked count and share of its entrants."""
    return pd.DataFrame(
        [
            {
                "étape": step,
                **{
                    column: value
                    for c in cohortes
                    for column, value in (
                        (f"cohorte {c.name}", count_label(c.result[key])),
                        (f"part {c.name}", step_share(c.result, key)),
                    )
                },
            }
            for key, step in STEPS.items()
        ]
    )


def median_delays(cohortes: list[Cohorte]) -> list[tuple[str, str]]:
    """The two median delays of the cohortes, 'n.d.' under the threshold."""
    note = "".join(f" · {c.name} provisoire" for c in cohortes if c.result["provisoire"])
    names = " / ".join(c.name for c in cohortes)
    out = []
    for label, key, population in (
        ("Délai médian d'orientation", "delai_orientation_median", "orientes"),
        ("Délai médian jusqu'au contrat", "delai_contrat_median", "contrat"),
    ):
        values = (shown_share(c.result[key], c.result[population]) for c in cohortes)
        out.append(
            (
                f"{label} ({names}){note}",
                " / ".join("n.d." if v is None else f"{v} j" for v in values),
            )
        )
    return out


def curves(departement: str, cohortes: list[Cohorte]) -> list[Curve]:
    """The Kaplan–Meier curves of the cohortes, the points of too small a cohorte dropped."""
    limit = masking.threshold()
    points = pd.DataFrame(
        [
            {**point, "cohorte": f"{c.name} : {c.label}"}
            for c in cohortes
            for point in db.cohorte_curves(departement, **c.definition)
        ],
        columns=["courbe", "jour", "part", "effectif", "observe", "provisoire", "cohorte"],
    )
    points = points[points["observe"] & (points["effectif"] >= limit)]
    out = []
    for kind, (title, xtitle) in CURVES.items():
        shown = points[points["courbe"] == kind]
        message = f"{title} : pas de cohorte d'au moins {limit} personnes" + (
            " définie par le mois d'entrée." if kind == "orientation" else "."
        )
        out.append(
            Curve(
                kind,
                None
                if shown.empty
                else figure_cache.figure(figures.cohorte_curves, shown, title, xtitle),
                message,
            )
        )
    return out


def comparison(departement: str, cohortes: list[Cohorte], horizon: int) -> Comparison:
    """What the page draws below the two cohorte forms."""
    table = funnel_table(cohortes)
    shares = [f"part {c.name}" for c in cohortes]
    export = table.assign(
        **{c: pd.to_numeric(table[c], errors="coerce").round(4) for c in shares},
        **{f"provisoire {c.name}": "oui" if c.result["provisoire"] else "non" for c in cohortes},
    )
    first = cohortes[0].result
    bars = [
        (
            f"{c.name} : {c.label}",
            [masked_count(c.result[k]) or 0 for k in STEPS],
            list(table[f"cohorte {c.name}"]),
            bool(c.result["provisoire"]),
        )
        for c in cohortes
    ]
    full = export.copy()
    full.insert(0, "définition", "")
    full.loc[0, "définition"] = (
        " | ".join(f"{c.name} : {c.label}" for c in cohortes) + f" | suivi : {horizon} jours"
    )
    full["population"] = first["population"]
    return Comparison(
        caption=f"Département {departement} · une cohorte = les personnes entrées au RSA (ou "
        "orientées) pendant les mois choisis ; toutes sources reliées par identifiants "
        "pseudonymisés"
        + widgets.data_date_note(first["date_donnees"] or cohortes[-1].result["date_donnees"]),
        funnel=figure_cache.figure(
            figures.funnel,
            list(STEPS.values()),
            bars,
            f"Parcours des deux cohortes, de l'entrée à la reprise d'emploi, en {horizon} jours",
        ),
        funnel_caption=f"Chaque étape est comptée dans les {horizon} jours suivant l'entrée "
        "(cohorte par mois d'entrée) ou l'orientation (cohorte par mois d'orientation). "
        "Entrées : personnes de la cohorte ; orientées : orientation à la date d'entrée ou "
        "après ; premier rendez-vous (fichiers parcours), contrat (contrat d'engagement ou PPAE "
        "valant contrat, après l'orientation), reprise d'emploi (cessation d'inscription pour "
        "reprise d'emploi, motifs 11 à 25, après l'orientation)."
        + masking.masking_note()
        + masking.withheld_note("personnes (parts)")
        + " "
        + widgets.population_caption(first["population"], sentence=True),
        curves_caption=glossary.caption("contrat_courbe")
        + " Courbe d'orientation : même estimation, de l'entrée à l'orientation. En tirets "
        "(provisoire), les jours au-delà du suivi de la personne la moins suivie."
        + masking.withheld_note("personnes (cohorte non tracée)"),
        table=widgets.readable(export, shares),
        delays=median_delays(cohortes),
        export=full,
        curves=curves(departement, cohortes),
    )
