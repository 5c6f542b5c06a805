"""The other families' masking grids read grouped (familles_grille.sql: one query for the
period, every territoire at once) give, through the GRIDS lambdas, exactly what each
family's own query gives per territoire and month, on the demo warehouse: every family,
month and territoire, and a month without records."""

from __future__ import annotations

import pytest

from dashboard import db
from pipelines import indicators, masking_grids, territoires

FAMILIES = sorted(masking_grids.GRIDS.keys() - {"stock"})


def _read(family: str, result: dict | None) -> dict:
    """What the masking grid reads of a family result (masking_grids.GRIDS)."""
    return {name: read(result) for name, read in masking_grids.GRIDS[family].items()}


def _next(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def test_every_family_of_the_grid_is_read_grouped() -> None:
    assert set(indicators.GRILLE_FAMILIES) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_grouped_counts_are_the_family_counts(view_reader, family) -> None:
    partition = territoires.communes_par_territoire(view_reader, "2A")
    months = indicators.months_available(view_reader, "2A")
    assert len(partition) > 1 and len(months) > 1
    after = _next(max(months))  # a month past the files: no record of most families
    grouped = indicators.familles_grille(view_reader, "2A", [*months, after], partition)[family]
    function = getattr(indicators, family)
    counted = False
    for month in [*months, after, "2099-01"]:  # 2099: outside the period, read per territoire
        whole, by_territoire = masking_grids.family_rows(
            lambda cs, month=month: function(view_reader, "2A", month, cs), partition
        )
        got_whole, got_by = grouped.get(month) or db.family_grille(family, "2A", month, partition)
        assert _read(family, got_whole) == _read(family, whole), month
        assert {t: _read(family, r) for t, r in got_by.items()} == {
            t: _read(family, r) for t, r in by_territoire.items()
        }, month
        counted |= any(any(v for v in d.values()) for d in _read(family, got_whole).values())
    assert counted, "no count on any month: the comparison would prove little"
