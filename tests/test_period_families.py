"""A period family (`indicators.PERIOD_FAMILIES`) counts every month of a period in one
query; each month of the period is exactly what the same family gives for that month
asked alone, on the demo warehouse: for the whole département and each territoire, over
its loaded months and two months without any file before them (the spine: a month
without a record keeps its totals, 0, and its shares « n.d. »)."""

from __future__ import annotations

import pytest

from pipelines import indicators, warehouse
from pipelines.mois import shift_month

# a count of each family that is not 0 in a month with records (a month's result is a
# dict, never empty: its counts are what says whether anything was counted)
COUNTED = {
    "stock": lambda r: r["stock_total"],
    "orientations": lambda r: r["personnes_orientees"],
    "flux": lambda r: r["cessations"] + r["radiations"],
    "delai_orientation": lambda r: r["entrants"],
    "contrat": lambda r: r["orientes"],
    "intensite": lambda r: r["heures_hebdo"]["personnes"],
    "part_orientes": lambda r: r["ensemble"]["personnes"],
}


def test_every_period_family_has_a_count_here() -> None:
    assert set(COUNTED) == set(indicators.PERIOD_FAMILIES)


@pytest.fixture(scope="module")
def demo(sample_db):
    con = warehouse.open_reader(sample_db)
    yield con
    con.close()


@pytest.mark.parametrize("family", indicators.PERIOD_FAMILIES)
def test_each_month_of_a_period_is_the_month_asked_alone(demo, family) -> None:
    loaded = sorted(indicators.months_available(demo, "2A"))
    before = [shift_month(loaded[0], -2), shift_month(loaded[0], -1)]  # no file, no record
    months = [*before, *loaded]
    partition = indicators.communes_par_territoire(demo, "2A")
    assert partition, "the demo has territoires: a scope would be tested alone"
    checked = [before[0], loaded[0], loaded[len(loaded) // 2], loaded[-1]]
    for communes in (None, *partition.values()):
        together = indicators.months_of(demo, family, "2A", months, communes)
        assert list(together) == months
        counts = [COUNTED[family](together[m]) for m in months if together[m]]
        assert any(counts), (family, communes, "nothing counted")
        if family == "stock":  # no file before the first one: totals of 0, no share
            assert [(together[m]["stock_total"], together[m]["cat_1_3_share"]) for m in before] == [
                (0, None),
                (0, None),
            ]
        for month in checked:
            alone = indicators.months_of(demo, family, "2A", [month], communes)
            assert together[month] == alone[month], (family, communes, month)
    # the months asked only, whatever the months between them
    sparse = indicators.months_of(demo, family, "2A", [loaded[-1], loaded[0]])
    assert list(sparse) == [loaded[0], loaded[-1]]
    assert sparse[loaded[0]] == indicators.months_of(demo, family, "2A", months)[loaded[0]]


def test_a_month_out_of_the_loaded_span_is_read_alone(demo) -> None:
    """`direct` (the command line, the committee report) serves a month of the loaded span
    from one query per family, and a month outside it from the family's own query."""
    loaded = sorted(indicators.months_available(demo, "2A"))
    read = indicators.direct(demo, "2A", None)
    outside = shift_month(loaded[0], -3)
    for family in indicators.PERIOD_FAMILIES:
        function = getattr(indicators, family)
        assert read(family, loaded[-1]) == function(demo, "2A", loaded[-1]), family
        assert read(family, outside) == function(demo, "2A", outside), family


def test_months_between_counts_every_month_across_a_year() -> None:
    assert indicators.months_between("2025-11", "2026-02") == [
        "2025-11", "2025-12", "2026-01", "2026-02"
    ]  # fmt: skip
    assert indicators.months_between("2026-03", "2026-03") == ["2026-03"]
