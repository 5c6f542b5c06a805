"""Synthèse: the month's tiles (stock with its 12-month trend, decisions, the latest
complete cohortes, hours), the automatic sentences, two distributions and, on demand, the
key figures per territoire. Tiles and sentences are built by `dashboard/headlines.py` (the
committee report prints the same); this module reads the figures and masks them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db, figure_cache, headlines, widgets
from dashboard.formatting import fmt_month, of_month
from dashboard.headlines import Tile
from dashboard.views import partition as partition_view
from dashboard.views.elements import Distribution
from pipelines import glossary, masking, masking_grids
from pipelines.masking import masking_note as masked_note
from pipelines.masking import shown_share

MAX_TERRITOIRES = 30  # beyond, a table per territoire no longer reads at a glance
NO_PREVIOUS = "Pas de mois précédent à comparer."
DISTRIBUTIONS = {  # summary key -> title (the caption is the key's definition)
    "categorie": "Inscrits par catégorie de demandeur d'emploi",
    "modalite": "Inscrits par modalité d'accompagnement",
}


@dataclass(frozen=True)
class Synthese:
    departement: str
    month: str
    caption: str  # département, month, source, data date
    stock: list[Tile]  # the PECGM stock tiles
    main: list[list[tuple[Tile, str]]]  # two rows of (tile, what it names under its value)
    groups: list[headlines.Group]  # every tile, by the period it covers (what the page draws)
    population: str  # which persons the cohorte tiles count
    sentences: list[str]
    distributions: tuple[Distribution, Distribution]
    cohorte: list[Tile]  # the cohorte tiles: the territoire table compares the same cohortes
    territoires: dict[str, tuple[str, ...]]  # empty when no comparison is offered
    warnings: list[str]  # a yardstick file refused (objectifs, references), in French

    @property
    def compare_label(self) -> str:
        return f"Comparer les {len(self.territoires)} territoires"


@dataclass(frozen=True)
class TerritoireTable:
    frame: pd.DataFrame  # one row per territoire, counts already masked
    shares: list[str]  # columns printed as shares
    numbers: list[str]  # columns printed as numbers (delays)
    title: str
    caption: str
    file: str


def previous_month(months: list[str], month: str) -> str | None:
    """The month loaded before `month` (`months` newest first), None for the first one."""
    i = months.index(month) + 1
    return months[i] if i < len(months) else None


def synthese_view(departement: str, month: str, communes: tuple[str, ...] | None) -> Synthese:
    """Everything the Synthèse page draws for a département (or territoire) and month,
    built once per data, threshold and yardstick files (`figure_cache.view`): each tile's
    year-ago and 12-month context reads some 40 cached results, too many to redo at
    every view."""
    return figure_cache.view(
        _synthese_view,
        departement,
        month,
        communes,
        departement=departement,
        stamp=headlines.Yardsticks.stamp(),
    )


def _synthese_view(departement: str, month: str, communes: tuple[str, ...] | None) -> Synthese:
    limit = masking.threshold()
    partition = db.communes_par_territoire(departement)
    db.prefetch(departement, communes, partition if limit > 1 else None)
    current = db.summary(departement, month, communes)
    months = db.months(departement)
    before = previous_month(months, month)
    previous = db.summary(departement, before, communes) if before else None
    cohorte_series = {
        name: db.series(name, departement, headlines.looked_back(months, month), communes)
        for name in headlines.COHORTE_FAMILIES
    }
    own = partition_view.own_row(communes, partition)
    grid = partition_view.grid(departement, month, partition, limit)
    year = headlines.shift_month(month, -12)
    year = year if year in months else None
    withheld = headlines.withheld(
        lambda family, m: partition_view.grid(departement, m, partition, limit, family),
        (month, before, year),
        own,
    )
    history = headlines.History(tuple(months), _reader(departement, communes), not communes)
    head = headlines.headline(
        current, previous, month, before, cohorte_series, limit, withheld, history
    )
    linked = {n: None if grid is None else masking_grids.row_hidden(grid, n, own)
              for n in DISTRIBUTIONS}  # fmt: skip
    named = f"mois {of_month(month)}"
    territoires = {} if communes else partition
    return Synthese(
        departement=departement,
        month=month,
        caption=f"Département {departement} · {fmt_month(month)} · source : fichier PECGM de "
        "France Travail" + widgets.data_date_note(current["date_donnees"]),
        stock=head.stock,
        main=[[(t, t.caption or named) for t in row] for row in (head.main[:3], head.main[3:])],
        population="Délai d'orientation et orientés en 30 jours : "
        + widgets.population_caption(current.get("population"))
        + ".",
        sentences=head.sentences or [NO_PREVIOUS],
        distributions=tuple(
            distribution(current, n, departement, month, linked[n]) for n in DISTRIBUTIONS
        ),
        cohorte=head.cohorte,
        territoires=territoires if 1 < len(territoires) <= MAX_TERRITOIRES else {},
        groups=head.groups,
        warnings=head.warnings,
    )


def objectif_figures(group: headlines.Group) -> list[tuple[Tile, tuple]]:
    """The tiles of `group` drawn with their target (a trend and an objectif), each with
    the arguments of `figures.trend_with_target`: the page draws them, the server's filling
    builds them ahead (dashboard/warm.py)."""
    return [
        (t, (list(t.trend), f"{t.label} et objectif", t.is_share, t.objectif.valeur,
             t.objectif_text))
        for t in group.tiles if t.objectif and t.trend
    ]  # fmt: skip


def _reader(departement: str, communes: tuple[str, ...] | None) -> headlines.Read:
    """The builder's history read through the page's cache (`db.series`)."""

    def read(family: str, months: list[str]) -> dict[str, dict | None]:
        return dict(db.series(family, departement, months, communes))

    return read


def _territoire_decisions(
    departement: str, month: str, partition: dict[str, tuple[str, ...]]
) -> dict[str, int | None]:
    """Decisions of each territoire in a month (masked with their distributions by type
    de parcours and organisme: `partition.grid` over `orientations`)."""
    return {
        t: headlines.orientations_total(db.family("orientations", departement, month, cs))
        for t, cs in partition.items()
    }


def distribution(
    current: dict,
    name: str,
    departement: str,
    month: str,
    linked: frozenset[str] | None = None,
) -> Distribution:
    """The month's registered persons per code of `name` (every code, « non renseignée »
    included): the Synthèse chart and the committee PDF; `linked`: the codes the
    partition's decision hides (`masking_grids.row_hidden`)."""
    labels = {**widgets.short_labels(name), "non_renseignee": "Non renseignée"}
    return Distribution(
        current[name],
        name,
        labels,
        DISTRIBUTIONS[name],
        glossary.caption(name),
        f"{name}_{departement}_{month}",
        linked,
    )


def territoire_table(view: Synthese) -> TerritoireTable:
    """The key figures of each territoire, the cohorte columns at the cohorte each tile shows
    (equal follow-up), shares and delays withheld under the threshold."""
    limit = masking.threshold()
    departement, month = view.departement, view.month
    columns = [
        (figure, tile, f"{figure.label} ({headlines.fmt_cohorte(tile.cohorte)})")
        for figure, tile in zip(headlines.COHORTE_FIGURES, view.cohorte, strict=True)
        if tile.cohorte
    ]
    records = []
    decisions = _territoire_decisions(departement, month, view.territoires)
    grid = partition_view.grid(departement, month, view.territoires, limit) or set()
    hidden_stock = {t for t in view.territoires if masking_grids.total_hidden(grid, t)}
    chosen = partition_view.grid(departement, month, view.territoires, limit, "orientations")
    hidden_decisions = {
        t for t in view.territoires if masking_grids.total_hidden(chosen or set(), t)
    }
    for label, communes in view.territoires.items():
        # The families the row needs, not the whole summary (flows, intensity...).
        stock = db.family("stock", departement, month, communes)
        records.append(
            {
                "territoire": label,
                "inscrits": headlines.count_shown(
                    stock["stock_total"], label in hidden_stock, limit
                ),
                "catégories 1 à 3": shown_share(
                    stock.get("cat_1_3_share"), stock["stock_total"], limit
                ),
                "décisions d'orientation": headlines.count_shown(
                    decisions[label], label in hidden_decisions, limit
                ),
                **{
                    name: headlines.figure_value(
                        figure, db.family(figure.family, departement, tile.cohorte, communes), limit
                    )
                    for figure, tile, name in columns
                },
            }
        )
    return TerritoireTable(
        frame=pd.DataFrame(records),
        shares=["catégories 1 à 3", *(n for f, _, n in columns if f.is_share)],
        numbers=[n for f, _, n in columns if not f.is_share],
        title=f"Par territoire — {fmt_month(month)}",
        caption="Mêmes définitions que les tuiles, restreintes aux personnes de chaque "
        "territoire (commune de résidence du dernier fichier PECGM, sinon du fichier "
        "parcours) ; délais et parts comparés à suivi égal, pour la cohorte complète nommée "
        "en tête de colonne." + masked_note(limit) + " Parts et délais non affichés sous ce seuil.",
        file=f"territoires_{departement}_{month}",
    )
