"""Headline figures of the committee: the Synthèse tiles and automatic sentences, built
once for the page (`dashboard/views/synthese.py`) and the committee PDF (`comite.py`).

Month figures (the PECGM stock, the month's decisions, the weekly hours) compare the month
with the previous one, each count published only when both months are and when the
partition into territoires does not hide it (`crossed_hidden`).

A cohorte figure (delay, share within a threshold) is shown for the latest cohorte whose
window has closed at the data date, never for a provisional one, and names that cohorte;
its delta compares it with the cohorte of the month before. Pure functions over indicator
results (no Streamlit), returning small dataclasses: the page draws them, the committee
report reuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.figures import PARCOURS_LABELS
from dashboard.formatting import fmt_int, fmt_month, fmt_share, of_month
from pipelines import glossary, indicators, masking
from pipelines.masking import count_label

Series = list[tuple[str, dict | None]]  # (month, indicator family result), any order


def fmt_cohorte(month: str) -> str:
    """'2026-08' -> "cohorte d'août 2026"."""
    return f"cohorte {of_month(month)}"


def fmt_days(value: int | None) -> str:
    return "n.d." if value is None else f"{value} j"


def delta_points(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{100 * (now - before):+.1f} pt".replace(".", ",")


def delta_days(now: int | None, before: int | None) -> str | None:
    return None if now is None or before is None else f"{now - before:+d} j"


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
    delta: str | None
    help: str
    lower_is_better: bool = False
    cohorte: str | None = None  # 'YYYY-MM' of the cohorte shown; None for a month figure
    previous: str | None = None  # 'YYYY-MM' the delta compares with
    raw: float | int | None = None
    raw_previous: float | int | None = None
    is_share: bool = False

    @property
    def caption(self) -> str | None:
        """What the tile names under its value: the cohorte it shows."""
        return fmt_cohorte(self.cohorte) if self.cohorte else None


def figure_value(figure: CohorteFigure, result: dict | None, limit: int) -> float | int | None:
    """The figure of a cohorte, None when its population is too small to publish it."""
    if result is None or not masking.share_allowed(result[figure.population] or 0, limit):
        return None
    return figure.value(result)


def cohorte_tile(figure: CohorteFigure, series: Series, month: str, limit: int) -> Tile:
    """A cohorte figure for the latest complete cohorte, its delta over the cohorte before."""
    chosen = indicators.latest_complete(series, figure.provisional, month)
    fmt = fmt_share if figure.is_share else fmt_days
    if chosen is None:
        return Tile(figure.label, "n.d.", None, figure.help, figure.lower_is_better)
    cohorte, result = chosen
    before = {m: r for m, r in series}.get(_previous_month(cohorte))
    if before is not None and before.get(figure.provisional) is not False:
        before = None
    now, then = figure_value(figure, result, limit), figure_value(figure, before, limit)
    delta = (delta_points if figure.is_share else delta_days)(now, then)
    return Tile(
        figure.label,
        fmt(now),
        delta,
        figure.help,
        figure.lower_is_better,
        cohorte=cohorte,
        previous=_previous_month(cohorte) if then is not None else None,
        raw=now,
        raw_previous=then,
        is_share=figure.is_share,
    )


def _previous_month(month: str) -> str:
    year, m = map(int, month.split("-"))
    return f"{year - 1}-12" if m == 1 else f"{year}-{m - 1:02d}"


def cohorte_tiles(series: dict[str, Series], month: str, limit: int | None = None) -> list[Tile]:
    """The four cohorte tiles of Synthèse, from the series of each family (`series[family]`
    holds the cohortes up to `month`, COHORTES_LOOKED_BACK of them are enough)."""
    limit = masking.threshold() if limit is None else limit
    return [cohorte_tile(f, series.get(f.family, []), month, limit) for f in COHORTE_FIGURES]


def sentences(
    stock_delta: int | None,
    current: dict,
    month: str,
    previous_month: str | None,
    tiles: list[Tile],
    parcours_labels: dict[str, str],
    limit: int = 5,
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
    return out[:limit]


def _tile_sentence(tile: Tile) -> str | None:
    """'Orientés en 30 jours : 75,9 % pour la cohorte de septembre 2026, contre 80,0 % pour
    la cohorte d'août 2026.' — None when there is nothing complete to compare."""
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
        f"{tile.label} : {'hausse' if now > then else 'baisse'} de {abs(now - then)} jours "
        f"({then} j pour la {fmt_cohorte(tile.previous)}, {now} j pour la "
        f"{fmt_cohorte(tile.cohorte)})."
    )


# The Synthèse's month tiles and the whole headline.


def orientations_total(summary: dict | None) -> int | None:
    o = (summary or {}).get("orientations")
    return sum(o.values()) if o is not None else None


def hours_share(summary: dict | None) -> float | None:
    return ((summary or {}).get("heures_hebdo") or {}).get("heures_15_share")


REST = "hors territoire"  # persons of the département in none of its territoires


def _family(key: str):
    """A distribution of a family's result (empty when the family has none)."""
    return lambda result: (result or {}).get(key) or {}


def _single(key: str):
    """A single count of a family's result as a one-code distribution (a flow, the persons
    oriented): itself a part of the département's count of the same month."""
    return lambda result: {key: (result or {}).get(key) or 0}


PROFILE_GROUPS = ("par_sexe", "par_tranche_age")  # the decisions of each group: by parcours


def _groups(result: dict | None, key: str) -> dict[str, int]:
    """The decisions of each group of a profile ({'F': {'social': 3, ...}} -> {'F': n})."""
    return {g: sum(c.values()) for g, c in ((result or {}).get(key) or {}).items()}


# What a territoire's pages show of each family, crossed with the partition: name -> the
# row a view reads. The first one counts the persons of the row (the grid's totals,
# `masking.MARGIN`): the inscrits, the month's decisions, the cessations.
STOCK_GRIDS = {
    **{n: _family(n) for n in ("categorie", "modalite", "sexe", "tranche_age", "axe")},
    "structure": lambda result: (
        ((result or {}).get("structure_suivi") or {}).get("principale") or {}
    ),
}
DECISION_GRIDS = {
    "orientations": _family("orientations"),  # by parcours type
    "organisme_referent": _family("organisme_referent"),
    "personnes_orientees": _single("personnes_orientees"),
    **{k: (lambda r, k=k: _groups(r, k)) for k in PROFILE_GROUPS},  # decisions by profile
}
FLOW_GRIDS = {
    "cessations": _single("cessations"),
    "cessations_motif": _family("cessations_motif"),
    "inscriptions": _single("inscriptions"),
    "radiations": _single("radiations"),
}
GRIDS = {"stock": STOCK_GRIDS, "orientations": DECISION_GRIDS, "flux": FLOW_GRIDS}
GRID_DISTRIBUTIONS = tuple(STOCK_GRIDS)  # of the inscrits
DEPARTEMENT = "département"  # the grid's row of column totals


def crossed_hidden(family: str, whole: dict, by_territoire: dict[str, dict], limit: int) -> set:
    """One masking decision for a month of `family` (stock, orientations, flux: GRIDS) per
    territoire (each territoire's result, the département's `whole`): its totals and its
    distributions crossed with the partition, the persons in no territoire one more row
    (`masking.mask_grid`, docs/securite.md, masquage). Every view of a territoire or of
    the département shows its row of this set."""
    grids = {}
    for name, read in GRIDS[family].items():
        rows = {t: dict(read(s)) for t, s in by_territoire.items()}
        rest = {c: v - sum(r.get(c, 0) for r in rows.values()) for c, v in read(whole).items()}
        if any(v > 0 for v in rest.values()):
            rows[REST] = {c: max(v, 0) for c, v in rest.items()}
        grids[name] = rows
    return masking.mask_grid(grids, DEPARTEMENT, limit)


def grid_hidden(whole: dict, by_territoire: dict[str, dict], limit: int) -> set:
    """The decision over the inscrits of a month (their totals and STOCK_GRIDS)."""
    return crossed_hidden("stock", whole, by_territoire, limit)


def row_hidden(hidden: set, name: str, row: str) -> frozenset[str]:
    """The codes of one territoire's (or the département's) distribution `name` that the
    grid decision hides: what its chart and table mask."""
    return frozenset(c[2] for c in hidden if len(c) == 3 and c[0] == name and c[1] == row)


def total_hidden(hidden: set, row: str) -> bool:
    """Whether the grid decision hides a territoire's (or the département's) inscrits."""
    return (masking.MARGIN, row) in hidden


def count_shown(value: int | None, withheld: bool, limit: int) -> str:
    return masking.masked_label(None, limit) if withheld else count_label(value, limit)


def _count_delta(
    now: int | None, before: int | None, limit: int, withheld: tuple[bool, bool] = (False, False)
) -> str | None:
    """A month-on-month difference of counts; none unless both months are published (the
    difference would give the masked count away)."""
    if now is None or before is None or any(withheld):
        return None
    delta = masking.mask_delta(now, before, limit)
    return None if delta is None else fmt_int(delta)


@dataclass(frozen=True)
class Withheld:
    """Counts a territoire's Synthèse may not show because the partition hides them
    (`crossed_hidden` over the inscrits, over the decisions), for the month and the month
    before."""

    stock: tuple[bool, bool] = (False, False)
    decisions: tuple[bool, bool] = (False, False)


def withheld(decision, months: tuple[str, str | None], row: str) -> Withheld:
    """What the decisions over the territoires hide of `row`'s own inscrits and decisions
    for the month and the month before (`months`, None: no month before):
    `decision(family, month)` gives the month's decision (`crossed_hidden`), None when
    nothing is masked. One reading for the page and the PDF."""
    flags = {
        family: tuple(
            month is not None and total_hidden(decision(family, month) or set(), row)
            for month in months
        )
        for family in ("stock", "orientations")
    }
    return Withheld(flags["stock"], flags["orientations"])


@dataclass(frozen=True)
class _Share:
    label: str
    key: str  # the indicator key: its value in the summary, its definition in the YAML

    def value(self, summary: dict | None) -> float | None:
        return (summary or {}).get(self.key)

    @property
    def help(self) -> str:
        return glossary.caption(self.key)


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
    tiles = [
        Tile(
            "Inscrits à France Travail",
            count_shown(total, withheld.stock[0], limit),
            _count_delta(total, before, limit, withheld.stock),
            glossary.caption("stock_total"),
        )
    ]
    for share in STOCK_SHARES:
        now = share.value(current)
        then = share.value(previous) if previous else None
        tiles.append(Tile(share.label, fmt_share(now), delta_points(now, then), share.help))
    return tiles


def month_tiles(
    current: dict, previous: dict | None, limit: int, withheld: Withheld = Withheld()
) -> list[Tile]:
    """The month's decisions and the share at 15 hours a week (month figures)."""
    decisions = orientations_total(current)
    return [
        Tile(
            "Décisions d'orientation",
            count_shown(decisions, withheld.decisions[0], limit),
            _count_delta(decisions, orientations_total(previous), limit, withheld.decisions),
            glossary.caption("orientations"),
        ),
        Tile(
            "15 h ou plus par semaine",
            fmt_share(hours_share(current)),
            delta_points(hours_share(current), hours_share(previous)),
            glossary.caption("heures_hebdo"),
        ),
    ]


@dataclass(frozen=True)
class Headline:
    stock: list[Tile]  # the stock row, with its 12-month sparkline on the page
    main: list[Tile]  # decisions, the cohorte tiles, hours: the committee's second row
    cohorte: list[Tile]  # the cohorte tiles alone (sentences, territoire comparison)
    sentences: list[str]

    @property
    def tiles(self) -> list[Tile]:
        return [*self.stock, *self.main]


def headline(
    current: dict,
    previous: dict | None,
    month: str,
    previous_month: str | None,
    cohorte_series: dict[str, Series],
    limit: int,
    withheld: Withheld = Withheld(),
) -> Headline:
    """Every Synthèse tile and sentence of a month (masked at `limit`, and the counts
    `withheld` by the partition hidden)."""
    cohorte = cohorte_tiles(cohorte_series, month, limit)
    decisions, hours = month_tiles(current, previous, limit, withheld)
    stock_delta = None
    if previous is not None and not any(withheld.stock):
        stock_delta = masking.mask_delta(current["stock_total"], previous["stock_total"], limit)
    return Headline(
        stock=stock_tiles(current, previous, limit, withheld),
        main=[decisions, *cohorte, hours],
        cohorte=cohorte,
        sentences=sentences(
            stock_delta,
            current,
            month,
            previous_month,
            cohorte,
            PARCOURS_LABELS,
        ),
    )


looked_back = indicators.looked_back  # the cohortes scanned for the latest complete one
