"""The Synthèse tiles and sentences, assembled once for the page and the committee report.

Month figures (the PECGM stock, the month's decisions, the weekly hours) compare the month
with the previous one; cohorte figures come from `dashboard/headlines.py`: the latest
complete cohorte, named, never a provisional one. Pure functions over indicator results:
the page feeds them from its cache (`dashboard/db.py`), the report from the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard import headlines
from dashboard.figures import PARCOURS_LABELS
from dashboard.formatting import fmt_int, fmt_share
from dashboard.headlines import Series, Tile, delta_points
from dashboard.masque import count_label


def orientations_total(summary: dict | None) -> int | None:
    o = (summary or {}).get("orientations")
    return sum(o.values()) if o is not None else None


def hours_share(summary: dict | None) -> float | None:
    return ((summary or {}).get("heures_hebdo") or {}).get("heures_15_share")


def _count_delta(now: int | None, before: int | None, limit: int) -> str | None:
    """A month-on-month difference of counts; none when either month is masked (the
    difference would give the masked count away)."""
    if now is None or before is None or any(0 < v < limit for v in (now, before)):
        return None
    return fmt_int(now - before)


@dataclass(frozen=True)
class _Share:
    label: str
    value: Callable[[dict | None], float | None]
    help: str


STOCK_SHARES = (
    _Share(
        "Catégories 1 à 3",
        lambda s: (s or {}).get("cat_1_3_share"),
        "cat_1_3_share : part des inscrits en catégories 1, 2 ou 3 sur le stock du mois.",
    ),
    _Share(
        "Contrat d'engagement notifié",
        lambda s: (s or {}).get("cer_notifie_share"),
        "cer_notifie_share : part du stock du mois dont la date de notification du PPAE "
        "valant contrat d'engagement est renseignée.",
    ),
    _Share(
        "Contact en 90 jours",
        lambda s: (s or {}).get("contact_90j_share"),
        "contact_90j_share : part du stock du mois dont le dernier contact date d'au plus "
        "90 jours avant la date de référence du fichier.",
    ),
)


def stock_tiles(current: dict, previous: dict | None, limit: int) -> list[Tile]:
    """The four tiles of the month's PECGM stock."""
    total = current.get("stock_total")
    before = (previous or {}).get("stock_total") if previous else None
    tiles = [
        Tile(
            "Inscrits à France Travail",
            count_label(total, limit),
            _count_delta(total, before, limit),
            "stock_total : bénéficiaires du RSA inscrits à France Travail, nombre "
            "d'enregistrements du fichier PECGM du mois (une ligne par personne).",
        )
    ]
    for share in STOCK_SHARES:
        now = share.value(current)
        then = share.value(previous) if previous else None
        tiles.append(Tile(share.label, fmt_share(now), delta_points(now, then), share.help))
    return tiles


def month_tiles(current: dict, previous: dict | None, limit: int) -> list[Tile]:
    """The month's decisions and the share at 15 hours a week (month figures)."""
    decisions = orientations_total(current)
    return [
        Tile(
            "Décisions d'orientation",
            count_label(decisions, limit),
            _count_delta(decisions, orientations_total(previous), limit),
            "orientations : décisions d'orientation datées du mois (CGPEM, reprise de stock, "
            "parcours).",
        ),
        Tile(
            "15 h ou plus par semaine",
            fmt_share(hours_share(current)),
            delta_points(hours_share(current), hours_share(previous)),
            "heures_15_share : personnes en parcours actif du mois à 15 heures de prestations "
            "ou plus par semaine (objectif d'activité de la loi pour le plein emploi).",
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
) -> Headline:
    """Every Synthèse tile and sentence of a month (masked at `limit`)."""
    cohorte = headlines.cohorte_tiles(cohorte_series, month, limit)
    decisions, hours = month_tiles(current, previous, limit)
    return Headline(
        stock=stock_tiles(current, previous, limit),
        main=[decisions, *cohorte, hours],
        cohorte=cohorte,
        sentences=headlines.sentences(
            current, previous, month, previous_month, cohorte, PARCOURS_LABELS
        ),
    )


def looked_back(months: list[str], month: str) -> list[str]:
    """The cohortes scanned for the latest complete one (newest first among `months`)."""
    return sorted((m for m in months if m <= month), reverse=True)[: headlines.COHORTES_LOOKED_BACK]
