"""The masking decisions over the territoires of a département, as every topic view reads
them: a territoire's (or the département's) row of the decision that
`masking_grids.crossed_hidden` takes month by month over one family crossed with the
partition: the inscrits (`stock`), the month's decisions (`orientations`), the flows
(`flux`), the cohortes' entrants and oriented persons, the persons in parcours
(`masking_grids.GRIDS`, docs/securite.md, masquage). A view filtered on a territoire shows
its row of that decision, never its own."""

from __future__ import annotations

from collections.abc import Callable

from dashboard import auth, db
from dashboard.memo import memo
from pipelines import masking_grids


def own_row(communes: tuple[str, ...] | None, partition: dict[str, tuple[str, ...]]) -> str:
    """The territoire a scope shows (its row in the partition's tables), else the
    département's."""
    return next((t for t, cs in partition.items() if cs == communes), masking_grids.DEPARTEMENT)


@memo(512)
def _decision(
    generation: tuple | None,
    departement: str,
    month: str,
    territoires: tuple[str, ...],
    limit: int,
    family: str,
    _read: Callable,
) -> set:
    """Keyed on what decides the figures, not on the figures: the warehouse generation,
    the département (its partition is the generation's; its territoires named too), the
    month and the family. Hashing every territoire's figures at each call cost more than
    the page (a view asks for twelve months); `_read` (unhashed) reads them on a miss
    only."""
    whole, by_territoire = _read()
    return masking_grids.crossed_hidden(family, whole, by_territoire, limit)


def grid(
    departement: str,
    month: str,
    partition: dict[str, tuple[str, ...]],
    limit: int,
    family: str = "stock",
) -> set | None:
    """The month's decision over `family` (`masking_grids.crossed_hidden`); None when
    nothing is masked (an analyst's unmasked view) or there is no partition. The user
    must see the département (checked before the cache: a hit reads nothing)."""
    if limit <= 1 or not partition:
        return None
    auth.authorise(departement)

    def read() -> tuple[dict, dict]:  # the period's grid in one query (db.family_grille)
        return db.family_grille(family, departement, month, partition)

    return _decision(db.generation(), departement, month, tuple(partition), limit, family, read)


def linked_months(
    departement: str,
    months: list[str],
    communes: tuple[str, ...] | None,
    name: str,
    limit: int,
    family: str = "stock",
) -> dict[str, frozenset[str]] | None:
    """Per month, the codes of distribution `name` of `family` the decision hides in the
    scope's row (`MonthlyChart.linked`); None without a partition."""
    partition = db.communes_par_territoire(departement)
    if limit <= 1 or not partition:
        return None
    row = own_row(communes, partition)
    out = {}
    for month in months:
        decision = grid(departement, month, partition, limit, family)
        out[month] = masking_grids.row_hidden(decision or set(), name, row)
    return out


def linked_month(
    departement: str,
    month: str,
    communes: tuple[str, ...] | None,
    name: str,
    limit: int,
    family: str = "stock",
) -> frozenset[str] | None:
    """The codes of distribution `name` the month's decision hides in the scope's row
    (`Distribution.linked`); None without a partition."""
    return (linked_months(departement, [month], communes, name, limit, family) or {}).get(month)


def total_withheld(
    departement: str,
    month: str,
    communes: tuple[str, ...] | None,
    limit: int,
    family: str = "stock",
) -> bool:
    """Whether the month's decision hides the scope's total of `family` (its inscrits,
    its decisions)."""
    partition = db.communes_par_territoire(departement)
    decision = grid(departement, month, partition, limit, family)
    return masking_grids.total_hidden(decision or set(), own_row(communes, partition))
