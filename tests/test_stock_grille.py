"""The masking grid read grouped (stock_grille.sql: one query for the period, every
territoire at once) decides exactly as it did from one `stock` query per territoire and
month, on the demo warehouse and at two thresholds: same counts, same hidden cells, same
cells printed by the pages."""

from __future__ import annotations

import pytest

from dashboard import db
from dashboard.views import partition as partition_view
from pipelines import indicators, masking_grids


def _per_territoire(con, departement: str, month: str, partition: dict) -> tuple[dict, dict]:
    """The old reading: the département's stock, then each territoire's, one query each."""
    return indicators.stock(con, departement, month, None), {
        t: indicators.stock(con, departement, month, cs) for t, cs in partition.items()
    }


def _grid_part(family: dict) -> dict:
    """What the masking grid reads of a stock result (masking_grids.STOCK_GRIDS)."""
    return {
        "stock_total": family["stock_total"],
        **{name: read(family) for name, read in masking_grids.STOCK_GRIDS.items()},
    }


def test_the_grouped_counts_are_the_stock_counts(view_reader) -> None:
    partition = indicators.communes_par_territoire(view_reader, "2A")
    months = indicators.months_available(view_reader, "2A")
    assert len(partition) > 1 and len(months) > 1
    grouped = indicators.stock_grille(view_reader, "2A", months, partition)
    for month in [*months, "2099-01"]:  # and a month without a file
        whole, by_territoire = _per_territoire(view_reader, "2A", month, partition)
        got_whole, got_by = grouped.get(month) or db.stock_grille("2A", month, partition)
        assert _grid_part(got_whole) == _grid_part(whole), month
        assert {t: _grid_part(f) for t, f in got_by.items()} == {
            t: _grid_part(f) for t, f in by_territoire.items()
        }, month


@pytest.mark.parametrize("limit", [11, 30])
def test_the_grouped_decision_is_the_per_territoire_decision(view_reader, limit) -> None:
    db.forget()  # decisions computed afresh, not kept from an earlier test
    partition = indicators.communes_par_territoire(view_reader, "2A")
    months = indicators.months_available(view_reader, "2A")
    hidden_somewhere = False
    for month in months:
        old = masking_grids.grid_hidden(
            *_per_territoire(view_reader, "2A", month, partition), limit
        )
        new = partition_view.grid("2A", month, partition, limit)
        assert new == old, month
        hidden_somewhere |= bool(old)
        for name in masking_grids.GRID_DISTRIBUTIONS:
            for row in (masking_grids.DEPARTEMENT, *partition):
                assert masking_grids.row_hidden(new, name, row) == masking_grids.row_hidden(
                    old, name, row
                )
    assert hidden_somewhere, "no cell hidden on any month: the comparison would prove little"
