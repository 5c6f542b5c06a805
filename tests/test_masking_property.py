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
    rows, rhs = _equations(equations, cells)
    bounds = [(1, None) if c in hidden else (counts[c], counts[c]) for c in cells]
    out = {}
    for cell in hidden:
        objective = np.zeros(len(cells))
        objective[index[cell]] = 1
        lo = linprog(objective, A_eq=rows, b_eq=rhs, bounds=bounds).fun
        hi = linprog(-objective, A_eq=rows, b_eq=rhs, bounds=bounds)
        out[cell] = (lo, None if hi.status == 3 else -hi.fun)
    return out


@settings(max_examples=200, deadline=None)
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


@st.composite
def grids(draw):
    """Distributions (one or two, over the same persons) inside a département's
    territoires: territoire -> code -> count; the second splits each row's persons
    another way (categories and modalités of the same registered persons)."""
    rows = [f"t{i}" for i in range(draw(st.integers(2, 4)))]
    codes = [f"k{i}" for i in range(draw(st.integers(2, 4)))]
    first = {
        r: dict(zip(codes, draw(st.lists(st.integers(0, 30), min_size=len(codes),
                                         max_size=len(codes))), strict=True))
        for r in rows
    }  # fmt: skip
    out = {"categorie": first}
    if draw(st.booleans()):
        second = {}
        for r, counts in first.items():
            cut = draw(st.integers(0, sum(counts.values())))
            second[r] = {"m0": cut, "m1": sum(counts.values()) - cut}
        out["modalite"] = second
    return out


@settings(max_examples=150, deadline=None)
@given(grids(), limits)
@example(  # « département − the other territoire » on one category (second audit, 5)
    {"categorie": {"t0": {"k0": 10, "k1": 40}, "t1": {"k0": 30, "k1": 20}}}, 11
)
def test_no_masked_cell_follows_from_every_view_of_distributions_by_territoire(grid, limit):
    """Each territoire's distributions, the département's, the territoires' counts and the
    département's total, all masked by one decision (`mask_grid`): no hidden cell can be
    recomputed from every view together (linear programming), none shown is small."""
    tables, cells = masking.grid_tables(grid, "departement")
    hidden = masking.mask_grid(grid, "departement", limit)
    assert not any(masking.is_small(v, limit) for c, v in cells.items() if c not in hidden)
    # Each view masks its own row with the decision and adds nothing the others show.
    for name, rows in grid.items():
        for row in (*rows, "departement"):
            counts = {code: cells[(name, row, code)] for (n, r, code) in
                      (c for c in cells if len(c) == 3) if n == name and r == row}  # fmt: skip
            linked = {code for (n, r, code) in (c for c in hidden if len(c) == 3)
                      if n == name and r == row}  # fmt: skip
            shown = masking.mask_distribution(counts, limit, linked)
            assert {k for k, v in shown.items() if v is None} == linked
    hidden = {c for c in hidden if cells[c]}
    if not hidden:
        return
    for cell, (lo, hi) in _unknown_ranges(list(cells), tables, cells, hidden).items():
        assert hi is None or hi - lo > 0.5, (cell, cells, hidden)


def test_a_territoire_category_hidden_is_hidden_in_the_other_territoire_and_its_total():
    """« < 11 » in one territoire's category and the département's count of that category
    gave it back as « département − the other territoire »: its cell goes too."""
    grid = {"categorie": {"A": {"k0": 10, "k1": 40}, "B": {"k0": 30, "k1": 20}}}
    hidden = masking.mask_grid(grid, "departement", 11)
    assert {("categorie", "A", "k0"), ("categorie", "B", "k0")} <= hidden
    assert ("categorie", "departement", "k0") not in hidden


@st.composite
def flow_grids(draw):
    """The flows of a month inside a département's territoires: single counts (the
    cessations, the inscriptions), each one a code of its own, and a distribution of the
    cessations (their motifs): territoire -> code -> count."""
    rows = [f"t{i}" for i in range(draw(st.integers(2, 4)))]
    count = st.integers(0, 30)
    cessations = {r: {"cessations": draw(count)} for r in rows}
    motifs = {}
    for r, c in cessations.items():
        cut = draw(st.integers(0, c["cessations"]))
        motifs[r] = {"m0": cut, "m1": c["cessations"] - cut}
    inscriptions = {r: {"inscriptions": draw(count)} for r in rows}
    return {"cessations": cessations, "cessations_motif": motifs, "inscriptions": inscriptions}


@settings(max_examples=120, deadline=None)
@given(flow_grids(), limits)
def test_no_masked_flow_follows_from_every_view_of_the_territoires(grid, limit):
    """A territoire's flows are parts of the département's flows of the month: with one
    decision (`mask_grid`) over single counts and a distribution of one of them, no hidden
    flow can be recomputed from every view together, none shown is small."""
    tables, cells = masking.grid_tables(grid, "departement")
    hidden = masking.mask_grid(grid, "departement", limit)
    assert not any(masking.is_small(v, limit) for c, v in cells.items() if c not in hidden)
    hidden = {c for c in hidden if cells[c]}
    if not hidden:
        return
    for cell, (lo, hi) in _unknown_ranges(list(cells), tables, cells, hidden).items():
        assert hi is None or hi - lo > 0.5, (cell, cells, hidden)


@st.composite
def small_grids(draw):
    """Distributions of a few persons (0 to 3 a cell) inside two or three territoires:
    small enough that the bound « at least 1 » pins hidden cells no equation fixes alone
    (two hidden cells of a row of 2), the LPs' own work."""
    rows = [f"t{i}" for i in range(draw(st.integers(2, 3)))]
    codes = [f"k{i}" for i in range(draw(st.integers(2, 3)))]
    cell = st.integers(0, 3)
    return {"categorie": {r: {c: draw(cell) for c in codes} for r in rows}}


@settings(max_examples=100, deadline=None)
@given(small_grids(), st.data())
def test_the_kept_highs_model_pins_what_linprog_pins(grid, data):
    """`masking.pinned` hands each component to HiGHS once and changes only the objective
    between its LPs (`masking._Program`); with `linprog` called anew for each LP (its
    fallback), the same hidden cells are pinned, for any set of hidden cells."""
    tables, cells = masking.grid_tables(grid, "departement")
    order = sorted(cells, key=repr)
    hidden = data.draw(st.sets(st.sampled_from(order), min_size=len(order) // 2))
    kept = masking.pinned(tables, cells, hidden)
    try:
        masking._Program.fast = False
        anew = masking.pinned(tables, cells, hidden)
    finally:
        masking._Program.fast = True
    assert kept == anew


def test_the_lps_pin_what_no_equation_fixes_alone() -> None:
    """The case only the LPs decide: four hidden cells of 1, two in each row and in each
    column, every equation with two unknowns; the bound « at least 1 » pins them all, on
    both paths, and HiGHS is kept (the binding is there)."""
    grid = {"categorie": {"t0": {"k0": 1, "k1": 1}, "t1": {"k0": 1, "k1": 1}}}
    tables, cells = masking.grid_tables(grid, "departement")
    hidden = {("categorie", t, k) for t in ("t0", "t1") for k in ("k0", "k1")}
    assert sorted(masking.pinned(tables, cells, hidden), key=repr) == sorted(hidden, key=repr)
    masking._Program.fast = False
    try:
        assert len(masking.pinned(tables, cells, hidden)) == len(hidden)
    finally:
        masking._Program.fast = True
    program = masking._Program(*_equations(tables, cells))
    assert program.highs is not None


def _equations(tables, cells):
    """Every table as an equation over all the cells, in their order (its total at -1,
    its parts at +1, = 0): the oracle's system, and a component-free stand-in for
    `masking._Program`."""
    from scipy import sparse

    index = {c: i for i, c in enumerate(cells)}
    rows = []
    for total, parts in tables:
        row = np.zeros(len(cells))
        row[index[total]] -= 1
        for p in parts:
            row[index[p]] += 1
        rows.append(row)
    return sparse.csr_array(np.array(rows)), np.zeros(len(rows))
