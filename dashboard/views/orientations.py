"""Orientations: decisions by parcours type (over the period, by profile) and organisme,
then the delay from RSA entry to orientation per entry cohorte with the 30-day and
six-week shares. The shares of each parcours type and every masking are computed here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import db, figures, headlines, widgets
from dashboard.figures import PARCOURS_LABELS, LineChart
from dashboard.formatting import (
    GENERIC_CODES,
    fmt_decimal,
    fmt_int,
    fmt_month,
    fmt_share,
    of_month,
)
from dashboard.views import partition
from dashboard.views.elements import (
    Breakdown,
    Distribution,
    MonthlyChart,
    Scope,
    cohorte_breakdown,
)
from pipelines import glossary, masking, masking_grids
from pipelines.masking import count_label, shown_share

PARCOURS_TYPES = ("social", "socio_professionnel", "professionnel")
NO_ORGANISME = "non_renseigne"  # orientations.sql: a decision naming no organisme
DELAY_FLAGS = {  # `<share>_provisoire` of the family -> what the table names
    "orientes_30j_provisoire": "orientés en 30 j",
    "orientes_6sem_provisoire": "orientés en 6 sem.",
    "delai_orientation_provisoire": "délais",
}
SHARES = figures.ORIENTED_SHARES
COLUMNS = {  # cohorte table: column -> heading
    "cohorte": "Cohorte d'entrée",
    "entrants": "Entrants",
    "mediane_jours": "Délai médian (jours)",
    "moyenne_jours": "Délai moyen (jours)",
    "orientes_30j": "Orientés en 30 j",
    "orientes_6sem": "Orientés en 6 sem.",
    "provisoire": "Provisoire",
    "anomalies": "Orientation avant entrée",
    "population": "Population",
}


@dataclass(frozen=True)
class Decisions:
    decisions: str  # the month's decisions of the parcours chosen, masked
    decisions_label: str  # says which parcours the tile counts
    decisions_help: str
    personnes: str  # distinct persons oriented in the month, masked
    personnes_label: str  # says the parcours filter does not apply to it
    personnes_help: str
    link_help: str  # the CAF/MSA link tile's definition
    monthly: MonthlyChart
    profile: Breakdown
    organismes: Distribution


@dataclass(frozen=True)
class Cohortes:
    population: str  # the sentence naming the persons counted
    link: str | None  # share of oriented persons found in the CAF/MSA flux; None: no flux
    empty: bool  # no entry date in the data
    chart: LineChart
    chart_caption: str
    table: pd.DataFrame  # printed cells, French headings
    download: pd.DataFrame  # the same cells, code headings
    profile: Breakdown


@dataclass(frozen=True)
class Orientations:
    data_date: str | None
    decisions: Decisions | None  # None: no decision loaded for the département
    cohortes: Cohortes | None


FAMILY = "orientations"  # the family the partition's decision is taken over


@dataclass(frozen=True)
class Linked:
    """A scope's row of the partition's decisions over the month's decisions
    (`partition.grid` over `orientations`), for every surface to apply as is."""

    codes: dict[str, frozenset[str] | None]  # per distribution (DECISION_GRIDS), the month's
    total: bool  # the decisions of the month withheld
    monthly: dict[str, frozenset[str]] | None = None  # the chart's months, by parcours type


NOT_LINKED = Linked({}, False)


def parcours_shares(nested: dict[str, dict[str, int]]) -> dict[str, dict]:
    """{'F': {'social': 3, ...}} -> per group, its decisions and the share of each type."""
    out = {}
    for group, counts in nested.items():
        total = sum(counts.values())
        out[group] = {"n": total, **{t: counts.get(t, 0) / total for t in PARCOURS_TYPES}}
    return out


def orientations_view(scope: Scope) -> Orientations:
    departement, month, communes, months, parcours = scope
    delay = db.family("delai_orientation", departement, month, communes)
    data_date = (delay or {}).get("date_donnees")
    current = db.family("orientations", departement, month, communes)
    if current is None:
        return Orientations(data_date, None, None)
    return Orientations(
        data_date,
        _decisions(current, departement, month, communes, months, parcours),
        _cohortes(delay, departement, month, communes, months),
    )


def charts(view: Orientations) -> list[tuple[Callable[..., go.Figure], tuple]]:
    """The figures pages/orientations.py draws from `view`, as its widgets build them (the
    server's filling builds them ahead: dashboard/warm.py)."""
    if view.decisions is None:
        return []
    shown = [view.decisions.monthly, view.decisions.organismes]
    if not view.cohortes.empty:
        shown.append(view.cohortes.chart)
    return widgets.figure_calls(*shown)


def _decisions(current, departement, month, communes, months, parcours) -> Decisions:
    series = db.series("orientations", departement, months, communes)
    limit = masking.threshold()
    linked = Linked(
        {
            name: partition.linked_month(departement, month, communes, name, limit, FAMILY)
            for name in masking_grids.DECISION_GRIDS
        },
        partition.total_withheld(departement, month, communes, limit, FAMILY),
        partition.linked_months(departement, months, communes, "orientations", limit, FAMILY),
    )
    return decisions_block(current, series, departement, month, parcours, limit, linked)


def decisions_block(
    current: dict,
    series: list[tuple[str, dict | None]],
    departement: str,
    month: str,
    parcours: str | None,
    limit: int,
    linked: Linked = NOT_LINKED,
) -> Decisions:
    """The month's decisions as every surface shows them (page, PDF, export); the tiles
    and the chart follow the parcours filter, and say so when they cannot. The filter
    applies after masking: each month is masked over every parcours type and the chart
    shows the chosen type's cells of that decision (`MonthlyChart.codes`). `linked`: the
    scope's row of the decision over the territoires, applied as is."""
    rows = [(m, dict((r or {}).get("orientations", {}))) for m, r in series]
    chosen = {k: v for k, v in current["orientations"].items() if parcours in (None, k)}
    organismes = current["organisme_referent"]
    masked_decisions = masking.mask_distribution(
        current["orientations"], limit, linked.codes.get("orientations")
    )
    decisions = (
        headlines.count_shown(sum(chosen.values()), linked.total, limit)
        if parcours is None
        else masking.masked_label(masked_decisions.get(parcours, 0), limit)
    )
    personnes = headlines.count_shown(
        current["personnes_orientees"],
        bool(linked.codes.get("personnes_orientees")),
        limit,
    )
    return Decisions(
        decisions=decisions,
        decisions_label=f"Décisions d'orientation en {fmt_month(month)}"
        + ("" if parcours is None else f" — parcours {PARCOURS_LABELS[parcours].lower()}"),
        decisions_help=glossary.caption("orientations"),
        personnes=personnes,
        personnes_label="Personnes orientées"
        + ("" if parcours is None else " — tous parcours (non filtré)"),
        personnes_help=glossary.caption("personnes_orientees"),
        link_help=glossary.caption("liaison_flux"),
        monthly=MonthlyChart(
            rows,
            widgets.PARCOURS_LABELS,
            "parcours",
            glossary.families()["orientations"]["libelle"] + ", par type de parcours",
            glossary.caption("orientations"),
            "orient_type",
            f"orientations_{departement}",
            None if parcours is None else (parcours,),
            linked.monthly,
        ),
        profile=Breakdown(
            {k: parcours_shares(current[k]) for k in ("par_sexe", "par_tranche_age")},
            "n",
            {PARCOURS_LABELS[t]: (lambda g, t=t: g[t]) for t in PARCOURS_TYPES},
            tuple(PARCOURS_LABELS[t] for t in PARCOURS_TYPES),
            f"Type de parcours des décisions {of_month(month)}, par profil",
            "Décisions du mois par sexe ou tranche d'âge (âge atteint dans l'année), et la "
            "part de chaque type de parcours.",
            "orient_profil",
            None,
            {k: linked.codes.get(k) for k in masking_grids.PROFILE_GROUPS},
        ),
        organismes=Distribution(
            organismes,
            "organisme",
            organisme_labels(organismes),
            f"Décisions par organisme référent — {fmt_month(month)}",
            organisme_note(organismes, month, limit) + glossary.caption("organisme_referent"),
            "orient_organisme",
            linked.codes.get("organisme_referent"),
        ),
    )


def organisme_labels(organismes: dict[str, int]) -> dict[str, str]:
    """Each organisme as the file or the mapping writes it (accents and case kept: « CCAS
    d'Ajaccio » is not « Ccas D'Ajaccio »); only the code for none is put in words. The
    figures draw them as plain text (dashboard/texte.py)."""
    return {k: GENERIC_CODES[k] if k == NO_ORGANISME else k for k in organismes}


def organisme_note(organismes: dict[str, int], month: str, limit: int) -> str:
    """A sentence before the breakdown when most of the month's decisions name no
    organisme (the breakdown then says little), with their share when it may be shown:
    a total at or above the threshold and an unmasked « non renseigné » cell; '' else."""
    total = sum(organismes.values())
    missing = organismes.get(NO_ORGANISME, 0)
    if not total or 2 * missing <= total:
        return ""
    shown = masking.mask_distribution(organismes, limit).get(NO_ORGANISME) is not None
    how_many = (
        fmt_share(missing / total)
        if shown and masking.share_allowed(total, limit)
        else "Plus de la moitié"
    )
    return (
        f"{how_many} des décisions {of_month(month)} n'ont pas d'organisme référent "
        "renseigné : la répartition par organisme ne porte que sur les autres. "
    )


def cohorte_records(
    series: list[tuple[str, dict]],
    limit: int | None = None,
    withheld: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """One row per entry cohorte: entrants, delays and shares withheld under the
    threshold or when the decision hides the cohorte's entrants (`withheld`:
    `masking.shown_share`), which of them are provisional."""
    records = []
    for m, r in series:
        d = r["delai_orientation_jours"]

        def shown(value, m=m, n=r["entrants"]):
            return shown_share(value, n, limit, m in withheld)

        records.append(
            {
                "cohorte": m,
                "entrants": r["entrants"],
                "mediane_jours": shown(d["mediane"]),
                "moyenne_jours": shown(d["moyenne"]),
                **{s: shown(r[f"{s}_share"]) for s in SHARES},
                **{f"{s}_provisoire": r[f"{s}_provisoire"] for s in SHARES},
                "provisoire": widgets.provisional_label(r, DELAY_FLAGS),
                "anomalies": r["anomalies_avant_entree"],
                "population": widgets.population_label(r["population"]),
            }
        )
    return pd.DataFrame(records, columns=[*COLUMNS, *(f"{s}_provisoire" for s in SHARES)])


def _shares_long(cohortes: pd.DataFrame) -> pd.DataFrame:
    """The two shares of each cohorte as rows (cohorte, part, provisoire, seuil)."""
    return pd.concat(
        [
            cohortes[["cohorte", share, f"{share}_provisoire"]]
            .rename(columns={share: "part", f"{share}_provisoire": "provisoire"})
            .assign(seuil=label)
            for share, label in SHARES.items()
        ]
    )


def _printed(
    cohortes: pd.DataFrame,
    limit: int | None = None,
    withheld: frozenset[str] = frozenset(),
    anomalies: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """The cohorte table as printed and downloaded: counts masked, French numbers; the
    entrants of a cohorte in `withheld`, its « orientation avant entrée » in `anomalies`,
    masked whatever their count (the partition's decision: a territoire's are parts of
    the département's)."""

    def column(name: str, hidden: frozenset[str]) -> pd.Series:
        printed = [
            masking.masked_label(None, limit) if m in hidden else count_label(n, limit)
            for m, n in zip(cohortes["cohorte"], cohortes[name], strict=True)
        ]
        return pd.Series(printed, index=cohortes.index, dtype=object)

    return cohortes[list(COLUMNS)].assign(
        entrants=column("entrants", withheld),
        orientes_30j=cohortes["orientes_30j"].map(fmt_share),
        orientes_6sem=cohortes["orientes_6sem"].map(fmt_share),
        anomalies=column("anomalies", anomalies),
        mediane_jours=cohortes["mediane_jours"].map(fmt_int),
        moyenne_jours=cohortes["moyenne_jours"].map(fmt_decimal),
    )


COHORTE_FAMILY = "delai_orientation"  # its entrants: a family of masking_grids.GRIDS


def _cohortes(delay, departement, month, communes, months) -> Cohortes:
    summary = db.summary(departement, month, communes)
    series = [(m, r) for m, r in db.series(COHORTE_FAMILY, departement, months, communes) if r]
    limit = masking.threshold()
    withheld = frozenset(  # the cohortes whose entrants the partition's decision hides
        m
        for m, _ in series
        if partition.total_withheld(departement, m, communes, limit, COHORTE_FAMILY)
    )
    anomalies = partition.linked_months(
        departement, [m for m, _ in series], communes, ANOMALIES, limit, COHORTE_FAMILY
    )
    profile = {
        k: partition.linked_month(departement, month, communes, k, limit, COHORTE_FAMILY)
        for k in masking_grids.PROFILE_GROUPS
    }
    linked = None if None in profile.values() else profile
    return cohortes_block(
        series, delay, summary["population"], summary["liaison_flux"], month, limit,
        withheld, linked, frozenset(m for m, c in (anomalies or {}).items() if ANOMALIES in c),
    )  # fmt: skip


ANOMALIES = "anomalies_avant_entree"  # their distribution in masking_grids.COHORTE_GRIDS


def cohortes_block(
    series: list[tuple[str, dict]],
    delay: dict | None,
    population: str,
    link: dict | None,
    month: str,
    limit: int,
    withheld: frozenset[str] = frozenset(),
    linked: dict[str, frozenset[str]] | None = None,
    anomalies: frozenset[str] = frozenset(),
) -> Cohortes:
    """The entry cohortes of the period (`series`: delai_orientation per month) as every
    surface shows them: the page, the committee PDF and the export. `withheld`: the
    cohortes whose entrants the decision over the territoires hides (their delays and
    shares too), `anomalies`: those whose « orientation avant entrée » it hides,
    `linked`: the month's profile groups it hides (the scope's row,
    `masking_grids.COHORTE_GRIDS`)."""
    cohortes = cohorte_records(series, limit, withheld)
    shown = _printed(cohortes, limit, withheld, anomalies)
    shown = shown.iloc[::-1].reset_index(drop=True)  # latest first
    return Cohortes(
        population=widgets.population_caption(population, sentence=True),
        link=None
        if link is None
        else fmt_share(shown_share(link["taux"], link["personnes_orientees"], limit)),
        empty=cohortes.empty or cohortes["entrants"].sum() == 0,
        chart=figures.oriented_in_time(_shares_long(cohortes)),
        chart_caption=glossary.caption(*(f"{s}_share" for s in SHARES))
        + " "
        + widgets.population_caption(population)
        + "."
        + masking.withheld_note("entrants", limit)
        + " Provisoire (tirets, points creux) : la fenêtre après la fin du mois n'est pas "
        "écoulée à la date des données"
        + widgets.data_date_note(series[-1][1]["date_donnees"] if series else None)
        + ".",
        table=shown.rename(columns=COLUMNS),
        download=shown,
        profile=cohorte_breakdown(
            delay,
            "entrants",
            "delai_orientation",
            {"orientés en 30 j": "orientes_30j", "orientés en 6 sem.": "orientes_6sem"},
            f"Délai d'orientation des entrants {of_month(month)}, par profil",
            glossary.caption("delai_orientation_jours", "orientes_30j_share")
            + " Par sexe ou tranche d'âge ; "
            + widgets.population_caption(population)
            + ".",
            "delai_profil",
            DELAY_FLAGS,
        )._replace(linked=linked),
    )
