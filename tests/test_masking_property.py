"""The masking rule, proved over any counts and threshold (hypothesis): no shown cell is
below the threshold, and no hidden cell can be worked out from what a reader may combine
(the shown cells of a table and its total; every view of a partition a role can open)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from pipelines import masking

counts_st = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 60), min_size=1, max_size=8)
limits = st.integers(2, 20)


def _range(hidden: list[int], low: int, high: float) -> tuple[float, float]:
    """What a reader knowing the hidden cells' sum and bounds can say of one of them."""
    k, total = len(hidden), sum(hidden)
    return max(low, total - (k - 1) * high), min(high, total - (k - 1) * low)


@given(counts_st, limits)
def test_no_shown_cell_is_small_and_no_hidden_cell_follows_from_the_total(counts, limit):
    masked = masking.mask_distribution(counts, limit)
    assert set(masked) == set(counts)
    assert all(v is None or v == 0 or v >= limit for v in masked.values())
    assert all(masked[k] in (None, v) for k, v in counts.items())
    hidden = [counts[k] for k, v in masked.items() if v is None]
    if not hidden or not masking.total_shown(counts, masked, limit):
        return
    # The reader knows the hidden sum (total − shown cells), that each is ≥ 1 (zeros are
    # shown) and, trusting the labels « < seuil », that each is ≤ seuil − 1 when it can be.
    low, high = _range(hidden, 1, float("inf"))
    assert low < high
    if sum(hidden) <= len(hidden) * (limit - 1):
        low, high = _range(hidden, 1, limit - 1)
        assert low < high


@given(counts_st, limits)
def test_flows_are_masked_one_by_one(counts, limit):
    masked = masking.mask_cells(counts, limit)
    assert all((v is None) == masking.is_small(counts[k], limit) for k, v in masked.items())


@st.composite
def partitions(draw):
    """A département's communes (counts) grouped into territoires."""
    n = draw(st.integers(2, 7))
    communes = [f"c{i}" for i in range(n)]
    values = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    groups = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    territoires: dict[str, list[str]] = {}
    for commune, group in zip(communes, groups, strict=True):
        territoires.setdefault(f"t{group}", []).append(commune)
    return dict(zip(communes, values, strict=True)), territoires


def _unknown_ranges(cells, equations, counts, hidden):
    """Min and max of each hidden cell over every table a reader can open: the shown
    cells fixed, the hidden ones ≥ 1, every table adding up (linear programming)."""
    index = {c: i for i, c in enumerate(cells)}
    rows, rhs = [], []
    for total, parts in equations:
        row = np.zeros(len(cells))
        row[index[total]] = -1
        for p in parts:
            row[index[p]] += 1
        rows.append(row)
        rhs.append(0)
    bounds = [(1, None) if c in hidden else (counts[c], counts[c]) for c in cells]
    out = {}
    for cell in hidden:
        objective = np.zeros(len(cells))
        objective[index[cell]] = 1
        lo = linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds).fun
        hi = linprog(-objective, A_eq=rows, b_eq=rhs, bounds=bounds)
        out[cell] = (lo, None if hi.status == 3 else -hi.fun)
    return out


@settings(max_examples=400, deadline=None)
@given(partitions(), limits)
@example(  # a hidden territoire's least (its two hidden communes of 1) pinned it down
    ({"c0": 0, "c1": 0, "c2": 1, "c3": 1, "c4": 1, "c5": 2, "c6": 1},
     {"t0": ["c0", "c1", "c2", "c3"], "t1": ["c4", "c5"], "t2": ["c6"]}),
    2,
)  # fmt: skip
def test_no_masked_cell_follows_from_every_view_of_a_partition(partition, limit):
    counts, territoires = partition
    tables = masking.partition_tables("departement", territoires)
    cells = {**counts, **{t: sum(counts[c] for c in cs) for t, cs in territoires.items()}}
    cells["departement"] = sum(counts.values())
    hidden = masking.mask_linked(tables, cells, limit)
    assert not any(masking.is_small(v, limit) for c, v in cells.items() if c not in hidden)
    hidden = {c for c in hidden if cells[c]}  # a hidden zero total: nothing to find
    if not hidden:
        return
    ranges = _unknown_ranges(list(cells), tables, cells, hidden)
    for cell, (lo, hi) in ranges.items():
        assert hi is None or hi - lo > 0.5, (cell, cells, territoires, hidden)


def test_the_audit_case_is_closed():
    """« < 11 » for one territoire, 98 for the département: the other one is hidden too."""
    tables = masking.partition_tables("departement", {"A": ["a"], "B": ["b1", "b2"]})
    cells = {"a": 10, "b1": 40, "b2": 48, "A": 10, "B": 88, "departement": 98}
    hidden = masking.mask_linked(tables, cells, 11)
    assert {"a", "A", "B"} <= hidden
    assert "departement" not in hidden
