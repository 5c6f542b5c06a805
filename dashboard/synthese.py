"""The Synthèse tiles and sentences, assembled once for the page and the committee report.

Month figures (the PECGM stock, the month's decisions, the weekly hours) compare the month
with the previous one; cohorte figures come from `dashboard/headlines.py`: the latest
complete cohorte, named, never a provisional one. Pure functions over indicator results:
the page feeds them from its cache (`dashboard/db.py`), the report from the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import headlines
from dashboard.figures import PARCOURS_LABELS
from dashboard.formatting import fmt_int, fmt_share
from dashboard.headlines import Series, Tile, delta_points
from pipelines import glossary, indicators, masking
from pipelines.masking import count_label


def orientations_total(summary: dict | None) -> int | None:
    o = (summary or {}).get("orientations")
    return sum(o.values()) if o is not None else None


def hours_share(summary: dict | None) -> float | None:
    return ((summary or {}).get("heures_hebdo") or {}).get("heures_15_share")


REST = "hors territoire"  # persons of the département in none of its territoires


def partition_hidden(
    total: int | None, by_territoire: dict[str, int | None], limit: int
) -> set[str]:
    """The territoires whose count no view may show (the département's own Synthèse, a
    territoire's, the comparison table): complementary suppression over the partition,
    the persons in no territoire counted as one more part, so that « département − the
    other territoires » never gives a hidden one away (docs/securite.md, masquage)."""
    counts = {k: v or 0 for k, v in by_territoire.items()}
    rest = (total or 0) - sum(counts.values())
    cells = {**counts, REST: max(rest, 0), "département": total or 0}
    parts = (*counts, REST) if rest > 0 else tuple(counts)
    return masking.mask_linked([("département", parts)], cells, limit)


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
    (`partition_hidden`), for the month and the month before."""

    stock: tuple[bool, bool] = (False, False)
    decisions: tuple[bool, bool] = (False, False)


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
    cohorte = headlines.cohorte_tiles(cohorte_series, month, limit)
    decisions, hours = month_tiles(current, previous, limit, withheld)
    stock_delta = None
    if previous is not None and not any(withheld.stock):
        stock_delta = masking.mask_delta(current["stock_total"], previous["stock_total"], limit)
    return Headline(
        stock=stock_tiles(current, previous, limit, withheld),
        main=[decisions, *cohorte, hours],
        cohorte=cohorte,
        sentences=headlines.sentences(
            stock_delta,
            current,
            month,
            previous_month,
            cohorte,
            PARCOURS_LABELS,
        ),
    )


looked_back = indicators.looked_back  # the cohortes scanned for the latest complete one
