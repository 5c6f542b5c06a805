"""The masking decision as `pipelines/masking.py` took it before it was made fast (issue
#31): `mask_linked`, `_least`, `mask_grid`, `_neighbour` and `pinned`, copied as they were,
kept as the reference the fast implementation must equal cell for cell
(`tests/test_masking_reference.py`, `benchmarks/bench_masking_grid.py`). Not used by the
product; do not optimise it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pipelines.masking import Grid, Table, grid_tables, is_small, recoverable


def mask_linked(
    tables: Iterable[Table], counts: Mapping[str, int], limit: int, hidden: Iterable[str] = ()
) -> set[str]:
    """The hidden cells of tables a user can combine (a département and its territoires,
    each territoire and its communes): one set for every view, so that no view shows a
    cell another hides. Each table's cells add up to its total; a total is a cell too
    (the département's, or a territoire's in the table above it).

    Until nothing changes: in each table, when a single unknown remains (a hidden part
    with its total shown, or a hidden total with all its parts shown), or the hidden
    parts of a shown total all sit at the least a reader knows they hold (1 for a cell,
    the sum of its hidden parts' least for a hidden total: `_least`), the smallest shown
    part is hidden too (the total when no part is left). `hidden`: cells already hidden
    by a decision this one completes."""
    tables = list(tables)
    hidden = {k for k, v in counts.items() if is_small(v, limit)} | set(hidden)
    changed = True
    while changed:
        changed = False
        for total, parts in tables:
            unknown = [c for c in (total, *parts) if c in hidden]
            hidden_parts = [c for c in parts if c in hidden]
            at_least = sum(_least(c, tables, counts, hidden) for c in hidden_parts)
            sum_known = total not in hidden and len(hidden_parts) > 1
            leaks = len(unknown) == 1 or (
                sum_known
                and (
                    sum(counts[c] for c in hidden_parts) == at_least
                    or recoverable([counts[c] for c in hidden_parts], limit)
                )
            )
            if not leaks:
                continue
            shown = sorted((counts[c], c) for c in parts if c not in hidden and counts[c])
            if shown:
                hidden.add(shown[0][1])
            elif total not in hidden:
                hidden.add(total)
            else:
                continue
            changed = True
    return hidden


def _least(cell: str, tables: list[Table], counts: Mapping[str, int], hidden: set[str]) -> int:
    """The least a reader knows a hidden cell holds: 1 (zeros are shown), or for the total
    of a table, its shown parts plus the least of its hidden ones."""
    best = 1
    for total, parts in tables:
        if total == cell:
            best = max(
                best,
                sum(_least(p, tables, counts, hidden) if p in hidden else counts[p] for p in parts),
            )
    return best


def mask_grid(grids: Mapping[str, Grid], total: str, limit: int) -> set:
    """One masking decision for distributions inside the territoires of a département
    (categories, modalités...) and the territoires' own totals: no view (a territoire's
    distribution, the département's, a territoire's count) shows a cell that « the
    département − the other territoires », on a code or on the totals, gives away.

    `mask_linked` over every row and column of `grid_tables`, then an exact audit
    (`pinned`: rows and columns combined can pin a cell that no single one does); each
    pinned cell makes the smallest shown cell of one of its tables hidden, and
    `mask_linked` completes again (the smallest shown cell of the grid when all around
    are hidden). It terminates: each round hides one more cell of a finite table, and
    once every non-zero cell is hidden nothing can be pinned (any solution scaled up is
    one too). The rows of every grid count the same persons."""
    tables, counts = grid_tables(grids, total)
    hidden = mask_linked(tables, counts, limit)
    while pins := pinned(tables, counts, hidden):
        more = _neighbour(pins, tables, counts, hidden)
        if more is None:
            shown = sorted((v, c) for c, v in counts.items() if c not in hidden and v)
            if not shown:
                break
            more = shown[0][1]
        hidden = mask_linked(tables, counts, limit, hidden | {more})
    return hidden


def _neighbour(pins: list, tables: list[Table], counts: Mapping, hidden: set):
    """The smallest shown non-zero cell sharing a table with a pinned one (a part before
    a total), None when there is none."""
    for cell in pins:
        around = [(t, ps) for t, ps in tables if cell == t or cell in ps]
        parts = sorted((counts[p], p) for _, ps in around for p in ps
                       if p not in hidden and counts[p])  # fmt: skip
        totals = sorted((counts[t], t) for t, _ in around if t not in hidden and counts[t])
        if parts or totals:
            return (parts or totals)[0][1]
    return None


def pinned(tables: list[Table], counts: Mapping, hidden: set) -> list:
    """The hidden non-zero cells a reader can work out from every table together: the
    shown cells fixed, the hidden ones at least 1 (0 for a hidden zero), every table
    adding up; a cell is pinned when its least and greatest values are less than 1 apart
    (linear programming, as `tests/test_masking_property.py` checks)."""
    import numpy as np
    from scipy.optimize import linprog

    unknown = sorted((c for c in hidden if counts[c]), key=repr)
    if not unknown:
        return []
    index = {c: i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in tables:
        row, known = np.zeros(len(unknown)), 0.0
        for cell, sign in ((total, -1), *((p, 1) for p in parts)):
            if cell in index:
                row[index[cell]] += sign
            elif cell not in hidden:
                known += sign * counts[cell]
        if row.any():
            rows.append(row)
            rhs.append(-known)
    out = []
    for cell in unknown:
        objective = np.zeros(len(unknown))
        objective[index[cell]] = 1
        low = linprog(objective, A_eq=rows or None, b_eq=rhs or None, bounds=(1, None))
        high = linprog(-objective, A_eq=rows or None, b_eq=rhs or None, bounds=(1, None))
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 1 - 1e-6:
            out.append(cell)
    return out
