"""The blocks a view hands its page, one per kind of drawing in `dashboard/widgets.py`.

Each is a NamedTuple whose fields are, in order, the arguments of the component that
draws it, so a page lays one out with `widgets.distribution(*block)`; the view has
already chosen the figures, labels, masking population and captions."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from dashboard.figures import PARCOURS_LABELS


class Scope(NamedTuple):
    """What a topic page shows, as chosen in the sidebar (dashboard/filters.py)."""

    departement: str
    month: str
    communes: tuple[str, ...] | None  # the territoire's; None: the whole département
    months: list[str]  # the period ending with `month`, oldest first
    parcours: str | None = None  # None: every parcours type


class Distribution(NamedTuple):
    """A bar per code (`widgets.distribution`), masked when drawn."""

    counts: dict[str, int]
    family: str  # colour family (dashboard/palette.py)
    labels: dict[str, str]
    title: str
    caption: str
    key: str
    # The codes a decision over linked tables hides (a territoire's row of
    # `masking.mask_grid`), applied as is; None: the distribution is masked on its own.
    linked: frozenset[str] | None = None


class MonthlyChart(NamedTuple):
    """Counts per month as stacked bars (`widgets.monthly_chart`), masked month by month.

    `rows` always hold every code of the month: the masking decision is taken on the
    whole table, and a view filtered on some codes (`codes`) shows its subset, so that it
    never prints a cell the unfiltered chart hides (docs/securite.md, masquage)."""

    rows: list[tuple[str, dict[str, int]]]
    labels: dict[str, str]
    family: str
    title: str
    caption: str
    key: str
    name: str  # file name of the download
    codes: tuple[str, ...] | None = None  # the codes shown; None: every code
    # Per month, the codes a decision over linked tables hides (`Distribution.linked`).
    linked: dict[str, frozenset[str]] | None = None


class Breakdown(NamedTuple):
    """An indicator by parcours type, sex or age band (`widgets.breakdown_table`)."""

    result: dict | None
    population: str  # the key of each group's denominator (masking)
    columns: dict[str, Callable[[dict], object]]
    shares: tuple[str, ...]
    title: str
    caption: str
    key: str
    provisional: dict[str, str] | None = None  # `<share>_provisoire` key -> label
    # Per dimension, the groups a decision over linked tables hides (`Distribution.linked`).
    linked: dict[str, frozenset[str]] | None = None


def cohorte_breakdown(
    result: dict | None,
    population: str,
    delay: str,
    shares: dict[str, str],
    title: str,
    caption: str,
    key: str,
    provisional: dict[str, str],
) -> Breakdown:
    """A cohorte indicator by profile: its median delay (`<delay>_jours`) and its shares
    (column label -> `<share>` of `<share>_share`)."""
    columns = {
        "délai médian (jours)": lambda g: g[f"{delay}_jours"]["mediane"],
        **{label: (lambda g, s=share: g[f"{s}_share"]) for label, share in shares.items()},
    }
    return Breakdown(result, population, columns, tuple(shares), title, caption, key, provisional)


def parcours_groups(
    ensemble: dict | None, par_parcours: dict[str, dict], parcours: str | None
) -> dict[str, dict]:
    """The rows of a per-parcours series by code: the whole population ('ensemble') and
    each parcours type, only the one chosen in the sidebar when there is one. By code, so
    that a row's masking reads its code; `parcours_label` names it."""
    groups = {"ensemble": ensemble, **par_parcours} if ensemble else {}
    return {group: g for group, g in groups.items() if not parcours or group == parcours}


def parcours_label(code: str) -> str:
    """A group of `parcours_groups` as a table shows it (« Ensemble », a parcours type)."""
    return PARCOURS_LABELS.get(code, code)
