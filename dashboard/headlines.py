"""Headline figures of the committee: the Synthèse tiles and automatic sentences, built
once for the page (`dashboard/views/synthese.py`) and the committee PDF (`comite.py`).

Month figures (the PECGM stock, the month's decisions, the weekly hours) compare the month
with the previous one, each count published only when both months are and when the
partition into territoires does not hide it (`masking_grids.crossed_hidden`).

A cohorte figure (delay, share within a threshold) is shown for the latest cohorte whose
window has closed at the data date, never for a provisional one, and names that cohorte;
its delta compares it with the cohorte of the month before. Pure functions over indicator
results (no Streamlit), returning small dataclasses: the page draws them, the committee
report reuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dashboard.figures import PARCOURS_LABELS
from dashboard.formatting import MINUS, fmt_decimal, fmt_int, fmt_month, fmt_share, of_month
from pipelines import glossary, indicators, masking, masking_grids, objectifs
from pipelines.errors import UsageError
from pipelines.masking import count_label
from pipelines.mois import shift_month  # the one month arithmetic
from pipelines.objectifs import Objectif, Reference

Series = list[tuple[str, dict | None]]  # (month, indicator family result), any order


def fmt_cohorte(month: str) -> str:
    """'2026-08' -> "cohorte d'août 2026"."""
    return f"cohorte {of_month(month)}"


def fmt_days(value: int | None) -> str:
    return "n.d." if value is None else f"{value} j"


COMPLETE_NOTE = (
    "La tuile montre la dernière cohorte complète à la date des données (sa fenêtre est "
    "close), jamais une cohorte provisoire."
)


@dataclass(frozen=True)
class CohorteFigure:
    """How one cohorte tile reads the indicator layer (`indicators.COMPLETE_FIGURES`)."""

    label: str  # short: it must fit a tile
    key: str  # the indicator key (pipelines/sql/indicators/*.yaml)
    is_share: bool
    lower_is_better: bool = False

    @property
    def family(self) -> str:
        return indicators.COMPLETE_FIGURES[self.key][0]

    @property
    def provisional(self) -> str:  # the family's `_provisoire` flag of this figure
        return indicators.COMPLETE_FIGURES[self.key][1]

    @property
    def population(self) -> str:  # the family's denominator key (masking)
        return indicators.COMPLETE_FIGURES[self.key][2]

    @property
    def help(self) -> str:  # the definition, in the tooltip
        return f"{glossary.caption(self.key)} {COMPLETE_NOTE}"

    def value(self, result: dict) -> float | int | None:
        return indicators.figure_value(self.key, result)


COHORTE_FIGURES = (
    CohorteFigure("Délai médian d'orientation", "delai_orientation_jours", False, True),
    CohorteFigure("Orientés en 30 jours", "orientes_30j_share", True),
    CohorteFigure("Délai médian jusqu'au contrat", "delai_contrat_jours", False, True),
    CohorteFigure("Contrat en 30 jours", "contrat_30j_share", True),
)
COHORTE_FAMILIES = ("delai_orientation", "contrat")
COHORTES_LOOKED_BACK = indicators.COHORTES_LOOKED_BACK


@dataclass(frozen=True)
class Tile:
    """One headline tile as drawn (value and delta already formatted)."""

    label: str
    value: str
    help: str
    lower_is_better: bool = False
    cohorte: str | None = None  # 'YYYY-MM' of the cohorte shown; None for a month figure
    previous: str | None = None  # 'YYYY-MM' the delta compares with
    raw: float | int | None = None
    raw_previous: float | int | None = None
    is_share: bool = False
    # The delta in words from raw and raw_previous (`delta_words`: « +16 sur un mois »,
    # « −2,0 points sur la cohorte précédente »), what the page and the report print.
    delta_words: str | None = None
    # Context (`Context.add`): the indicator key, the same month (or cohorte) a year
    # before, the 12-month trend, the département's target, the national figures of the
    # same definition.
    key: str | None = None
    year_ago: str | None = None  # 'YYYY-MM' of the month (cohorte) a year before, if published
    year_value: str | None = None  # its value, formatted (« 1 594 », « 45,6 % »)
    year_delta: str | None = None  # « +139 sur un an », « −3,1 points sur un an »
    trend: tuple[
        tuple[str, float | int | None], ...
    ] = ()  # 12 months, oldest first; None: not published
    trend_words: str | None = None  # « en hausse sur 12 mois »
    objectif: Objectif | None = None
    objectif_text: str | None = None  # « Objectif : ≥ 80 % »
    objectif_atteint: bool | None = None  # None: no value to compare
    references: tuple[ReferenceLine, ...] = ()
    when: str | None = None  # « à la fin de juin 2026 », « en juin 2026 », « pour la cohorte … »

    @property
    def caption(self) -> str | None:
        """What the tile names under its value: the cohorte it shows."""
        return fmt_cohorte(self.cohorte) if self.cohorte else None

    @property
    def kind(self) -> str:
        """NUMBER, SHARE or DAYS: how its value, delta and target are written."""
        if self.is_share:
            return SHARE
        return DAYS if self.cohorte or self.key in COHORTE_DAYS else NUMBER

    @property
    def direction(self) -> int | None:
        """The sign of the delta as `delta_words` says it (1, −1, 0 for « inchangé »);
        None when no delta is published."""
        if self.delta_words is None:
            return None
        step = rounded_change(self.raw, self.raw_previous, self.kind)
        return None if step is None else (step > 0) - (step < 0)

    @property
    def tone(self) -> str | None:
        """« mieux » or « moins-bien » (a rise is better unless lower is better), None when
        unchanged or unknown: the colour of the delta on the page and in the report."""
        if not self.direction:
            return None
        return "moins-bien" if (self.direction < 0) != self.lower_is_better else "mieux"

    @property
    def year_text(self) -> str | None:
        """« Un an plus tôt (juin 2025) : 1 594, +139 sur un an »."""
        if not (self.year_ago and self.year_value):
            return None
        then = fmt_cohorte(self.year_ago) if self.cohorte else fmt_month(self.year_ago)
        text = f"Un an plus tôt ({then}) : {self.year_value}"
        return f"{text}, {self.year_delta}" if self.year_delta else text

    @property
    def context(self) -> list[str]:
        """The lines printed under the tile, after its value and `delta_words` (page and
        report): a year before, the trend, the target, the national figures."""
        lines = [self.year_text, self.trend_words, self.objectif_text]
        return [line for line in lines if line] + [r.text for r in self.references]


@dataclass(frozen=True)
class ReferenceLine:
    """A national figure beside ours: `text` « France : 86 % au 31/12/2023 (DREES, OARSA
    2023) — 2A : 78,3 % au 31/12/2025 »; only for a reference whose definition is ours."""

    reference: Reference
    text: str
    ours: float | None  # our figure at the comparable date (None: not published)


def figure_value(
    figure: CohorteFigure, result: dict | None, limit: int, hidden: bool = False
) -> float | int | None:
    """The figure of a cohorte, None when its population is too small to publish it or
    the decision over the territoires hides it (`hidden`: `Withheld.population_hidden`)."""
    if result is None or not masking.share_allowed(result[figure.population] or 0, limit, hidden):
        return None
    return figure.value(result)


def cohorte_tile(
    figure: CohorteFigure, series: Series, month: str, limit: int, withheld: Withheld | None = None
) -> Tile:
    """A cohorte figure for the latest complete cohorte, its delta over the cohorte before."""
    chosen = indicators.latest_complete(series, figure.provisional, month)
    fmt = fmt_share if figure.is_share else fmt_days
    if chosen is None:
        return Tile(figure.label, "n.d.", figure.help, figure.lower_is_better)
    cohorte, result = chosen
    before = {m: r for m, r in series}.get(shift_month(cohorte, -1))
    if before is not None and before.get(figure.provisional) is not False:
        before = None
    hidden = (withheld or Withheld()).population_hidden
    now = figure_value(figure, result, limit, hidden(figure.family, cohorte))
    then = figure_value(figure, before, limit, hidden(figure.family, shift_month(cohorte, -1)))
    return Tile(
        figure.label,
        fmt(now),
        figure.help,
        figure.lower_is_better,
        delta_words=delta_words(now, then, SHARE if figure.is_share else DAYS, COHORTE_SPAN),
        cohorte=cohorte,
        previous=shift_month(cohorte, -1) if then is not None else None,
        raw=now,
        raw_previous=then,
        is_share=figure.is_share,
    )


def cohorte_tiles(
    series: dict[str, Series],
    month: str,
    limit: int | None = None,
    withheld: Withheld | None = None,
) -> list[Tile]:
    """The four cohorte tiles of Synthèse, from the series of each family (`series[family]`
    holds the cohortes up to `month`, COHORTES_LOOKED_BACK of them are enough)."""
    limit = masking.threshold() if limit is None else limit
    return [
        cohorte_tile(f, series.get(f.family, []), month, limit, withheld) for f in COHORTE_FIGURES
    ]


def sentences(
    stock_delta: int | None,
    current: dict,
    month: str,
    previous_month: str | None,
    tiles: list[Tile],
    parcours_labels: dict[str, str],
    limit: int | None = None,
) -> list[str]:
    """Plain sentences on what changed: the stock since last month (`stock_delta`, None
    unless both months are published), each cohorte tile against the cohorte before it
    (both complete, both named), the most prescribed parcours. At most `limit` of them."""
    out = []
    if stock_delta is not None and previous_month:
        diff = stock_delta
        if diff:
            out.append(
                f"Le nombre de bénéficiaires du RSA inscrits à France Travail "
                f"{'augmente' if diff > 0 else 'baisse'} de {fmt_int(abs(diff))} "
                f"par rapport à {fmt_month(previous_month)}."
            )
    for tile in tiles:
        sentence = _tile_sentence(tile)
        if sentence:
            out.append(sentence)
    if current.get("orientations"):
        top = max(current["orientations"], key=current["orientations"].get)
        out.append(
            f"Le parcours le plus prescrit en {fmt_month(month)} est le parcours "
            f"{parcours_labels[top].lower()}."
        )
    return out[: SENTENCES if limit is None else limit]


SENTENCES = 8  # the stock, four cohortes, two targets of the stock figures, the parcours


def _tile_sentence(tile: Tile) -> str | None:
    """'Orientés en 30 jours : 75,9 % pour la cohorte de septembre 2026, contre 80,0 % pour
    la cohorte d'août 2026 ; sous l'objectif de 80 %.' — the comparison only between two
    complete cohortes, the target's clause wherever the département set one; None when
    there is nothing to say."""
    clause = objectif_clause(tile.objectif, tile.raw) if tile.objectif else None
    compared = _compared(tile)
    if compared and clause:
        return f"{compared[:-1]} ; {clause}."
    if compared:
        return compared
    if clause:
        return f"{tile.label} : {tile.value} {tile.when or ''}, {clause}.".replace(" ,", ",")
    return None


def _compared(tile: Tile) -> str | None:
    now, then = tile.raw, tile.raw_previous
    if tile.cohorte is None or tile.previous is None or now is None or then is None:
        return None
    if tile.is_share:
        if abs(now - then) < 0.01:
            return None
        return (
            f"{tile.label} : {fmt_share(now)} pour la {fmt_cohorte(tile.cohorte)}, "
            f"contre {fmt_share(then)} pour la {fmt_cohorte(tile.previous)}."
        )
    if now == then:
        return None
    return (
        f"{tile.label} : {'hausse' if now > then else 'baisse'} de {abs(now - then)} "
        f"{'jour' if abs(now - then) < 2 else 'jours'} "
        f"({then} j pour la {fmt_cohorte(tile.previous)}, {now} j pour la "
        f"{fmt_cohorte(tile.cohorte)})."
    )


# The Synthèse's month tiles and the whole headline.


def orientations_total(summary: dict | None) -> int | None:
    o = (summary or {}).get("orientations")
    return sum(o.values()) if o is not None else None


def hours_share(summary: dict | None) -> float | None:
    return ((summary or {}).get("heures_hebdo") or {}).get("heures_15_share")


def count_shown(value: int | None, withheld: bool, limit: int) -> str:
    return masking.masked_label(None, limit) if withheld else count_label(value, limit)


def _count_delta(
    now: int | None, before: int | None, limit: int, withheld: tuple[bool, bool] = (False, False)
) -> str | None:
    """A month-on-month difference of counts in words; none unless both months are
    published (the difference would give the masked count away)."""
    if now is None or before is None or any(withheld):
        return None
    if masking.mask_delta(now, before, limit) is None:
        return None
    return delta_words(now, before, NUMBER, MONTH_SPAN)


@dataclass(frozen=True)
class Withheld:
    """Counts a territoire's Synthèse may not show because the partition hides them
    (`masking_grids.crossed_hidden` over the inscrits, over the decisions), for the month
    and the month before."""

    stock: tuple[bool, bool] = (False, False)
    decisions: tuple[bool, bool] = (False, False)
    year: tuple[bool, bool] = (False, False)  # (stock, decisions) of the month a year before
    # `decision(family, month)` and the row read, for the populations of any other month:
    # a share or a delay over a population the decision hides is withheld too
    # (`masking.share_allowed`), whatever month or cohorte a tile or its context shows.
    decision: Callable[[str, str], set | None] | None = field(default=None, compare=False)
    row: str | None = None

    def population_hidden(self, family: str, month: str | None) -> bool:
        """Whether the decision over `family` (`masking_grids.GRIDS`) hides the persons of
        the row in `month` (its grid total): the population of the family's shares,
        delays and means (the inscrits, the persons in parcours, a cohorte's entrants or
        its persons oriented). False for a family outside the decision."""
        if self.decision is None or month is None or family not in masking_grids.GRIDS:
            return False
        return masking_grids.total_hidden(self.decision(family, month) or set(), self.row)


def withheld(decision, months: tuple[str | None, ...], row: str) -> Withheld:
    """What the decisions over the territoires hide of `row`'s own inscrits and decisions
    for the month, the month before and (a third month, optional) the month a year before
    (`months`, None: no such month):
    `decision(family, month)` gives the month's decision (`masking_grids.crossed_hidden`),
    None when nothing is masked. One reading for the page and the PDF."""
    flags = {
        family: tuple(
            month is not None and masking_grids.total_hidden(decision(family, month) or set(), row)
            for month in months
        )
        for family in ("stock", "orientations")
    }
    stock, decisions = flags["stock"], flags["orientations"]
    year = (stock[2], decisions[2]) if len(months) > 2 else (False, False)
    return Withheld(stock[:2], decisions[:2], year, decision, row)


@dataclass(frozen=True)
class _Share:
    label: str
    key: str  # the indicator key: its value in the summary, its definition in the YAML


STOCK_SHARES = (
    _Share("Catégories 1 à 3", "cat_1_3_share"),
    _Share("Contrat d'engagement notifié", "cer_notifie_share"),
    _Share("Contact en 90 jours", "contact_90j_share"),
)


def stock_tiles(
    current: dict, previous: dict | None, limit: int, withheld: Withheld = Withheld()
) -> list[Tile]:
    """The four tiles of the month's PECGM stock."""
    total = current.get("stock_total")
    before = (previous or {}).get("stock_total") if previous else None
    delta = _count_delta(total, before, limit, withheld.stock)
    tiles = [
        Tile(
            "Inscrits à France Travail",
            count_shown(total, withheld.stock[0], limit),
            glossary.caption("stock_total"),
            delta_words=delta,
            raw=None if withheld.stock[0] else masking.masked_count(total, limit),
            raw_previous=before if delta is not None else None,  # published only with it
            key="stock_total",
        )
    ]
    for share in STOCK_SHARES:  # a share of inscrits the partition hides is withheld too
        figure = MONTH_FIGURES[share.key]
        now, then = (None if hidden else figure.shown(month, limit)
                     for hidden, month in zip(withheld.stock, (current, previous), strict=True))  # fmt: skip
        tiles.append(share_tile(share.label, share.key, now, then))
    return tiles


def share_tile(label: str, key: str, now: float | None, then: float | None) -> Tile:
    """A month's share tile (already withheld by `MonthFigure.shown` where its
    denominator is under the threshold): its value, its definition, its change."""
    return Tile(
        label,
        fmt_share(now),
        glossary.caption(key),
        delta_words=delta_words(now, then, SHARE, MONTH_SPAN),
        raw=now,
        raw_previous=then,
        is_share=True,
        key=key,
    )


def month_tiles(
    current: dict, previous: dict | None, limit: int, withheld: Withheld = Withheld()
) -> list[Tile]:
    """The month's decisions and the share at 15 hours a week (month figures)."""
    decisions, before = orientations_total(current), orientations_total(previous)
    delta = _count_delta(decisions, before, limit, withheld.decisions)
    hours = MONTH_FIGURES["heures_hebdo"]
    now, then = (
        hours.shown(summary, limit, withheld.population_hidden(hours.family, m))
        for summary, m in (
            (current, current.get("month")),
            (previous, (previous or {}).get("month")),
        )
    )
    return [
        Tile(
            "Décisions d'orientation",
            count_shown(decisions, withheld.decisions[0], limit),
            glossary.caption("orientations"),
            delta_words=delta,
            raw=None if withheld.decisions[0] else masking.masked_count(decisions, limit),
            raw_previous=before if delta is not None else None,  # published only with it
            key="orientations",
        ),
        share_tile("15 h ou plus par semaine", "heures_hebdo", now, then),
    ]


def oriented_tile(current: dict, previous: dict | None, limit: int) -> Tile:
    """The share of the persons in the RSA at the end of the month who are oriented (the
    DREES definition): the tile the national OARSA figures stand beside."""
    figure = MONTH_FIGURES["part_orientes"]
    return share_tile(
        "Part orientée (DREES)",
        "part_orientes",
        figure.shown(current, limit),
        figure.shown(previous, limit),
    )


@dataclass(frozen=True)
class Group:
    """Tiles that cover the same period, under a heading that says which."""

    title: str  # « À la fin de juin 2026 », « Cohorte d'entrée d'avril 2026 (…) »
    tiles: list[Tile]


@dataclass(frozen=True)
class Headline:
    stock: list[Tile]  # the stock row, with its 12-month sparkline on the page
    main: list[Tile]  # decisions, the cohorte tiles, hours: the committee's second row
    cohorte: list[Tile]  # the cohorte tiles alone (sentences, territoire comparison)
    sentences: list[str]
    groups: list[Group] = field(default_factory=list)  # every tile, by the period it covers
    warnings: list[str] = field(default_factory=list)  # a yardstick file refused (French)

    @property
    def tiles(self) -> list[Tile]:
        if self.groups:
            return [t for g in self.groups for t in g.tiles]
        return [*self.stock, *self.main]


def headline(
    current: dict,
    previous: dict | None,
    month: str,
    previous_month: str | None,
    cohorte_series: dict[str, Series],
    limit: int,
    withheld: Withheld = Withheld(),
    history: History | None = None,
) -> Headline:
    """Every Synthèse tile and sentence of a month (masked at `limit`, and the counts
    `withheld` by the partition hidden), each tile with its context: targets of the
    département (`objectifs.yaml`), national figures of the same definition and, given the
    `history` of the département, the month a year before and the 12-month trend."""
    cohorte = cohorte_tiles(cohorte_series, month, limit, withheld)
    decisions, hours = month_tiles(current, previous, limit, withheld)
    stock = stock_tiles(current, previous, limit, withheld)
    oriented = oriented_tile(current, previous, limit)
    stock_delta = None
    if previous is not None and not any(withheld.stock):
        stock_delta = masking.mask_delta(current["stock_total"], previous["stock_total"], limit)
    yardsticks = Yardsticks.of(current.get("departement"))
    known = {previous_month: previous} if previous and previous_month else {}
    context = Context(current, month, limit, withheld, history, yardsticks, known)
    stock, cohorte = [context.add(t) for t in stock], [context.add(t) for t in cohorte]
    decisions, hours, oriented = (context.add(t) for t in (decisions, hours, oriented))
    return Headline(
        stock=stock,
        main=[decisions, *cohorte, hours],
        cohorte=cohorte,
        sentences=sentences(
            stock_delta,
            current,
            month,
            previous_month,
            [*cohorte, *(t for t in (*stock, oriented) if t.objectif)],
            PARCOURS_LABELS,
        ),
        groups=groups(month, [*stock, oriented], [decisions, hours], cohorte),
        warnings=yardsticks.warnings,
    )


looked_back = indicators.looked_back  # the cohortes scanned for the latest complete one


# Context of each tile: a year before, the 12-month trend, targets, national figures.

TREND_MONTHS = indicators.TREND_MONTHS
TREND_MIN_POINTS = 6  # fewer published points say nothing of a trend
NUMBER, SHARE, DAYS = objectifs.NUMBER, objectifs.SHARE, objectifs.DAYS


@dataclass(frozen=True)
class MonthFigure:
    """How a month tile reads a summary-shaped result (the page's and the report's
    `indicators.summary`, or one family's result through `as_summary`)."""

    key: str
    family: str  # the pipelines.indicators family it comes from
    kind: str  # NUMBER (a count, masked as such) or SHARE
    value: Callable[[dict], float | int | None]
    population: Callable[[dict], int | None] | None = None  # a share's denominator
    group: Callable[[dict, str], dict | None] | None = None  # {part, personnes, population}

    def shown(self, summary: dict | None, limit: int, hidden: bool = False) -> float | int | None:
        """The figure as it may be published: a count masked, a share over too small a
        population withheld; neither when the decision over the territoires hides the
        population (`hidden`: `Withheld.population_hidden`)."""
        if not summary:
            return None
        value = self.value(summary)
        if self.kind == NUMBER:
            return None if hidden else masking.masked_count(value, limit)
        return masking.shown_share(value, self.population(summary), limit, hidden)


def _part_orientes(summary: dict, detail: str = "ensemble") -> dict | None:
    return (summary.get("part_orientes") or {}).get(detail)


def _get(*path: str) -> Callable[[dict], object]:
    def read(summary: dict):
        value = summary
        for key in path:
            value = (value or {}).get(key)
        return value

    return read


MONTH_FIGURES = {
    "stock_total": MonthFigure("stock_total", "stock", NUMBER, _get("stock_total")),
    **{
        share.key: MonthFigure(share.key, "stock", SHARE, _get(share.key), _get("stock_total"))
        for share in STOCK_SHARES
    },
    "part_orientes": MonthFigure(
        "part_orientes",
        "part_orientes",
        SHARE,
        _get("part_orientes", "ensemble", "part"),
        _get("part_orientes", "ensemble", "personnes"),
        _part_orientes,
    ),
    "orientations": MonthFigure("orientations", "orientations", NUMBER, orientations_total),
    "heures_hebdo": MonthFigure(
        "heures_hebdo", "intensite", SHARE, hours_share, _get("heures_hebdo", "personnes")
    ),
}


MONTH_FAMILIES = {f.family for f in MONTH_FIGURES.values()}  # all in `indicators.summary`


def as_summary(family: str, result: dict | None) -> dict | None:
    """A family's result in the shape of `indicators.summary` (part_orientes is nested
    under its name there)."""
    if result is None:
        return None
    return {"part_orientes": result} if family == "part_orientes" else result


Read = Callable[[str, list[str]], dict[str, dict | None]]  # (family, months) -> by month


@dataclass(frozen=True)
class History:
    """How the builder reads the months around the one shown: the page through
    `dashboard.db` (cached, authorised), the report through `pipelines.indicators`."""

    months: tuple[str, ...]  # the months loaded for the département
    read: Read
    counts: bool = True  # False: a territoire's counts of other months are not published
    # (the partition's decision is only taken for the month, the month before and a year
    # before: `Withheld`)


def warehouse_history(
    con,
    departement: str,
    communes: tuple[str, ...] | None = None,
    read: Callable[[str, str, tuple[str, ...] | None], dict | None] | None = None,
) -> History:
    """The history of a département read straight from the warehouse (the report), or
    through `read(family, month, communes)`: the report's reads, each month read once."""

    direct = indicators.direct(con, departement, communes)  # keeps each family's span

    def one(family: str, month: str, communes: tuple[str, ...] | None) -> dict | None:
        return direct(family, month)

    def months_of(family: str, months: list[str]) -> dict[str, dict | None]:
        return {m: (read or one)(family, m, communes) for m in months}

    return History(tuple(indicators.months_available(con, departement)), months_of, not communes)


@dataclass(frozen=True)
class Yardsticks:
    """The département's targets and the national references in force; a refused file
    gives none of its figures and a warning (French)."""

    objectifs: dict[str, Objectif]
    references: tuple[Reference, ...]
    warnings: list[str]

    @classmethod
    def of(cls, departement: str | None) -> Yardsticks:
        warnings: list[str] = []
        try:
            targets = objectifs.objectifs_of(departement) if departement else {}
        except UsageError as error:
            targets = {}
            warnings.append(f"Objectifs non affichés : {error}")
        try:
            refs = objectifs.references()
        except UsageError as error:
            refs = ()
            warnings.append(f"Références nationales non affichées : {error}")
        return cls(targets, refs, warnings)

    @staticmethod
    def stamp() -> tuple:
        """What changes when a yardstick file changes (the views built from it are stale)."""
        return objectifs.files_stamp()


def fmt_kind(value: float | int | None, kind: str) -> str:
    """A value as a tile prints it, by kind."""
    if kind == SHARE:
        return fmt_share(value)
    if kind == DAYS:
        return fmt_days(None if value is None else round(value))
    return fmt_int(value)


def fmt_yardstick(value: float, kind: str) -> str:
    """A target or a published figure as written (« 80 % », « 30 j », « 79 j »)."""
    if kind == SHARE:
        percent = round(100 * value, 1)
        text = f"{percent:g}".replace(".", ",")
        return f"{text}\u202f%"
    return f"{value:g} j" if kind == DAYS else fmt_int(round(value))


MONTH_SPAN = "sur un mois"  # a month figure against the month before
COHORTE_SPAN = "sur la cohorte précédente"  # a cohorte against the cohorte of the month before
YEAR_SPAN = "sur un an"
UNCHANGED = "inchangé"  # a delta that rounds to zero as printed (never « stable »: a trend)
DECIMALS = {SHARE: 1}  # points of a share to one decimal; counts and days whole


def rounded_change(now: float | int | None, then: float | int | None, kind: str) -> float | None:
    """now − then as a delta prints it (points of a share, days, a count), rounded to
    the printed precision; None when a side is missing."""
    if now is None or then is None:
        return None
    diff = 100 * (now - then) if kind == SHARE else now - then
    return round(diff, DECIMALS.get(kind, 0)) + 0.0  # + 0.0: never « −0 »


def delta_words(now: float | int | None, then: float | int | None, kind: str, span: str):
    """« +16 sur un mois », « −3,1 points sur un an », « +4 jours sur la cohorte
    précédente », « inchangé sur un mois »; None when a side is missing (the caller has
    already masked what may not be compared). Signed with « + » or the typeset « − »,
    units in words (singular below 2, as French writes it)."""
    step = rounded_change(now, then, kind)
    if step is None:
        return None
    if step == 0:
        return f"{UNCHANGED} {span}"
    sign, size = ("+" if step > 0 else MINUS), abs(step)
    if kind == SHARE:
        return f"{sign}{fmt_decimal(size)} {'point' if size < 2 else 'points'} {span}"
    if kind == DAYS:
        return f"{sign}{fmt_int(int(size))} {'jour' if size < 2 else 'jours'} {span}"
    return f"{sign}{fmt_int(int(size))} {span}"


def trend_words(points: tuple[tuple[str, float | int | None], ...], kind: str, what: str):
    """« en hausse sur 12 mois » from the least-squares slope of the published points
    (at least TREND_MIN_POINTS), « stable » within a point, two days or 2 % of a count."""
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    if len(known) < TREND_MIN_POINTS:
        return None
    n = len(known)
    mx = sum(i for i, _ in known) / n
    my = sum(v for _, v in known) / n
    slope = sum((i - mx) * (v - my) for i, v in known) / sum((i - mx) ** 2 for i, _ in known)
    change = slope * (known[-1][0] - known[0][0])
    scale = {SHARE: 0.01, DAYS: 2}.get(kind, 0.02 * abs(my))
    span = f"sur {len(points)} {what}"
    if abs(change) < scale:
        return f"stable {span}"
    return f"en {'hausse' if change > 0 else 'baisse'} {span}"


def objectif_clause(objectif: Objectif, value: float | int | None) -> str | None:
    """« sous l'objectif de 80 % », « objectif de 80 % atteint », « au-dessus de l'objectif
    de 30 j », « objectif de 30 j tenu »."""
    met = objectif.met(value)
    if met is None:
        return None
    target = fmt_yardstick(objectif.valeur, objectif.kind)
    if objectif.sens == "≥":
        return f"objectif de {target} atteint" if met else f"sous l'objectif de {target}"
    return f"objectif de {target} tenu" if met else f"au-dessus de l'objectif de {target}"


def _reference_month(reference: Reference, month: str, months: tuple[str, ...]) -> str | None:
    """The month our figure is taken at beside a published one: the same point of the year
    for a figure dated dd/mm/yyyy (the latest such month loaded up to `month`), else the
    month shown."""
    parts = reference.date.split("/")
    if len(parts) != 3:
        return month
    same = [m for m in (*months, month) if m <= month and int(m[5:]) == int(parts[1])]
    return max(same) if same else None


def _end_of(month: str) -> str:
    """'2025-12' -> '31/12/2025' (the last day of the month)."""
    import calendar

    year, m = map(int, month.split("-"))
    return f"{calendar.monthrange(year, m)[1]:02d}/{m:02d}/{year}"


@dataclass(frozen=True)
class Context:
    """Adds to each tile what the committee reads beside it (`add`)."""

    current: dict
    month: str
    limit: int
    withheld: Withheld
    history: History | None
    yardsticks: Yardsticks
    known: dict[str, dict] = field(default_factory=dict)  # other months' summaries at hand

    def read(self, family: str, months: list[str]) -> dict[str, dict | None]:
        """Month -> a summary-shaped result of `family`; the months whose summary the
        builder holds already (the month, the month before) are not read again."""
        known = {self.month: self.current, **self.known}
        if self.history is None or not months:
            return {}
        if family in MONTH_FAMILIES:
            missing = [m for m in months if m not in known]
        else:  # a cohorte family: the summary holds the month's cohorte, not the shown one
            missing, known = months, {}
        read = self.history.read(family, missing) if missing else {}
        return {m: known[m] if m in known else as_summary(family, read.get(m)) for m in months}

    def add(self, tile: Tile) -> Tile:
        if tile.key in MONTH_FIGURES:
            tile = self._month_context(tile, MONTH_FIGURES[tile.key])
        elif tile.cohorte is not None:
            tile = self._cohorte_context(tile)
        return self._yardsticks(tile)

    def _month_context(self, tile: Tile, figure: MonthFigure) -> Tile:
        stock_like = figure.family in ("stock", "part_orientes")
        when = (
            f"à la fin de {fmt_month(self.month)}" if stock_like else f"en {fmt_month(self.month)}"
        )
        tile = replace(tile, when=when)
        if self.history is None:
            return tile
        loaded = sorted(m for m in self.history.months if m <= self.month)
        trend_months = [m for m in loaded if m > shift_month(self.month, -TREND_MONTHS)]
        year = shift_month(self.month, -12)
        read = self.read(figure.family, [*trend_months, *([year] if year in loaded else [])])
        counts_ok = figure.kind != NUMBER or self.history.counts or self.limit <= 1
        hidden = self.withheld.population_hidden
        trend = tuple(
            (
                m,
                figure.shown(read.get(m), self.limit, hidden(figure.family, m))
                if counts_ok
                else None,
            )
            for m in trend_months
        )
        then = (
            figure.shown(read.get(year), self.limit, hidden(figure.family, year))
            if year in read
            else None
        )
        withheld = {"stock": self.withheld.year[0], "orientations": self.withheld.year[1]}
        if figure.kind == NUMBER and (withheld.get(figure.family) or tile.raw is None):
            then = None  # a count the partition hides, or beside a hidden one
        year_delta = delta_words(tile.raw, then, figure.kind, YEAR_SPAN)
        if figure.kind == NUMBER and then is not None:
            shown = masking.mask_delta(tile.raw, then, self.limit)
            year_delta = None if shown is None else year_delta
        return replace(
            tile,
            year_ago=year if then is not None else None,
            year_value=fmt_kind(then, figure.kind) if then is not None else None,
            year_delta=year_delta,
            trend=trend,
            trend_words=trend_words(trend, figure.kind, "mois"),
        )

    def _cohorte_context(self, tile: Tile) -> Tile:
        figure = next(f for f in COHORTE_FIGURES if f.label == tile.label)
        kind = SHARE if figure.is_share else DAYS
        tile = replace(tile, key=figure.key, when=f"pour la {tile.caption}")
        if self.history is None:
            return tile
        trend_months = [shift_month(tile.cohorte, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
        year = shift_month(tile.cohorte, -12)
        read = self.read(figure.family, [*trend_months, year])
        hidden = self.withheld.population_hidden
        values = {
            m: figure_value(figure, read.get(m), self.limit, hidden(figure.family, m)) for m in read
        }
        trend = tuple((m, values.get(m)) for m in trend_months)
        then = values.get(year)
        return replace(
            tile,
            year_ago=year if then is not None else None,
            year_value=fmt_kind(then, kind) if then is not None else None,
            year_delta=delta_words(tile.raw, then, kind, YEAR_SPAN),
            trend=trend,
            trend_words=trend_words(trend, kind, "cohortes"),
        )

    def _yardsticks(self, tile: Tile) -> Tile:
        kind = tile.kind
        target = self.yardsticks.objectifs.get(tile.key or "")
        if target is not None and target.kind != kind:
            target = None  # a target in another unit than the tile's figure (hours)
        if target is not None:
            tile = replace(
                tile,
                objectif=target,
                objectif_text=f"Objectif : {target.sens} {fmt_yardstick(target.valeur, kind)}",
                objectif_atteint=target.met(tile.raw),
            )
        lines = [
            line
            for r in self.yardsticks.references
            if r.indicateur == tile.key and r.kind == kind
            for line in [self._reference_line(tile, r)]
            if line is not None
        ]
        return replace(tile, references=tuple(lines))

    def _reference_line(self, tile: Tile, reference: Reference) -> ReferenceLine | None:
        """Our figure of the reference's definition at the comparable date, beside it; None
        when we have none (or not of the same population: the definitions then differ)."""
        figure = MONTH_FIGURES.get(tile.key or "")
        if figure is None or figure.group is None:
            return None  # only the month figures with groups have references today
        at = _reference_month(reference, self.month, self.history.months if self.history else ())
        if at is None:
            return None
        summary = self.current if at == self.month else self.read(figure.family, [at]).get(at)
        group = figure.group(summary or {}, reference.detail or "ensemble")
        if not group or (reference.population and group.get("population") != reference.population):
            return None
        ours = masking.shown_share(group.get("part"), group.get("personnes"), self.limit)
        if ours is None:
            return None
        departement = self.current.get("departement") or "département"
        what = "" if (reference.detail or "ensemble") == "ensemble" else f"{reference.libelle} — "
        date = f"au {_end_of(at)}" if len(reference.date.split("/")) == 3 else f"en {fmt_month(at)}"
        text = (
            f"{what}France : {fmt_yardstick(reference.valeur, reference.kind)} au "
            f"{reference.date} ({reference.cite}) ; {departement} : {fmt_share(ours)} {date}"
        )
        return ReferenceLine(reference, text, ours)


COHORTE_DAYS = {f.key for f in COHORTE_FIGURES if not f.is_share}

FAMILY_POPULATION = {  # the persons a cohorte family follows, as a group heading names them
    "delai_orientation": "Entrants au RSA",
    "contrat": "Personnes orientées",
}


def groups(month: str, stock: list[Tile], flows: list[Tile], cohorte: list[Tile]) -> list[Group]:
    """The tiles by the period they cover: the stock at the end of the month, the month's
    decisions, then each cohorte shown (the persons it follows and its maturity)."""
    out = [
        Group(f"À la fin de {fmt_month(month)} : personnes suivies à cette date", stock),
        Group(f"Au cours de {fmt_month(month)} : décisions et prestations du mois", flows),
    ]
    by_cohorte: dict[tuple[str, str | None], list[Tile]] = {}
    for figure, tile in zip(COHORTE_FIGURES, cohorte, strict=True):
        by_cohorte.setdefault((figure.family, tile.cohorte), []).append(tile)
    for (family, chosen), tiles in by_cohorte.items():
        who = FAMILY_POPULATION[family]
        if chosen is None:
            out.append(Group(f"{who} : aucune cohorte complète à la date des données", tiles))
        else:
            out.append(
                Group(
                    f"{who} de la {fmt_cohorte(chosen)} (complète : suivi clos à la date "
                    "des données)",
                    tiles,
                )
            )
    return out
