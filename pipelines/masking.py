"""Statistical masking of small counts (the rule: docs/securite.md#13-masquage-des-petits-effectifs).

The one home of the rule for every surface (pages, committee PDF, exports, the masked
`indicators --json`): counts from 1 to threshold - 1 are hidden (primary suppression).
A figure published with a total it is part of (the bars of a distribution, the
territoires of a département, the communes of a territoire) gets complementary
suppression: other cells are hidden until no hidden one can be worked out from the shown
cells and the total (`mask_distribution`, `mask_linked` when tables share cells, `mask_grid`
for distributions crossed with the territoires). Flows (inscriptions, cessations,
radiations) are not parts of any total of their own view: each is masked on its own
(`mask_cells`), the same on every surface; a territoire's flows, parts of the
département's, also follow the decision crossed with the territoires.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar

DEFAULT_THRESHOLD = 11
# Set per dashboard run (dashboard/auth.py): 1 for an analyst who asked for unmasked figures.
_view_threshold: ContextVar[int | None] = ContextVar("seuil_de_la_vue", default=None)


def threshold() -> int:
    """The masking threshold in force: the view's when set, else PILOTAGE_SEUIL_MASQUAGE."""
    view = _view_threshold.get()
    if view is not None:
        return view
    return committee_threshold()


def committee_threshold() -> int:
    """The published threshold, whatever the view (what captions announce)."""
    return int(os.environ.get("PILOTAGE_SEUIL_MASQUAGE", DEFAULT_THRESHOLD))


def set_view_threshold(limit: int | None) -> None:
    _view_threshold.set(limit)


def is_small(value: int | None, limit: int) -> bool:
    """A count that may not be published (primary suppression): 1 to limit - 1."""
    return value is not None and 0 < value < limit


def mask_cells(counts: Mapping[str, int | None], limit: int | None = None) -> dict:
    """Counts that are not parts of a published total (flows): each one masked alone."""
    limit = threshold() if limit is None else limit
    return {k: (None if is_small(v, limit) else v) for k, v in counts.items()}


def recoverable(hidden: Iterable[int], limit: int) -> bool:
    """Whether a reader knowing the sum of these hidden cells can work one of them out.

    A hidden cell is at least 1 (zeros are shown) and, as its label says, at most
    limit - 1 when every hidden cell is: a single hidden cell, cells that are all 1, or
    cells that are all limit - 1, are each determined by their sum."""
    values = list(hidden)
    k, total = len(values), sum(values)
    if k == 0:
        return False
    return k == 1 or total == k or total == k * (limit - 1)


def mask_distribution(
    counts: dict[str, int], limit: int | None = None, linked: Iterable[str] | None = None
) -> dict[str, int | None]:
    """Counts of one distribution whose total is published; None marks a masked cell.

    Primary suppression, then the smallest other non-zero cells until the hidden ones
    cannot be worked out from the total (`recoverable`). When the distribution is one
    row of tables a reader can combine, `linked` is the decision taken over all of them
    (`mask_grid`, which already completes every row and column): it is applied as is."""
    limit = threshold() if limit is None else limit
    primary = {k for k, v in counts.items() if is_small(v, limit)}
    hidden = _complete(primary, counts, limit) if linked is None else primary | set(linked)
    return {k: (None if k in hidden else v) for k, v in counts.items()}


def _complete(hidden: set[str], counts: Mapping[str, int], limit: int) -> set[str]:
    """`hidden` grown by the smallest shown non-zero cells until it leaks nothing."""
    hidden = set(hidden)
    while hidden and recoverable((counts[k] for k in hidden), limit):
        shown = sorted((v, k) for k, v in counts.items() if k not in hidden and v)
        if not shown:
            break  # every non-zero cell is hidden: the caller masks the total (total_shown)
        hidden.add(shown[0][1])
    return hidden


def total_shown(counts: Mapping[str, int], masked: Mapping[str, int | None], limit: int) -> bool:
    """Whether the total of a masked distribution may be printed next to it: not when it
    is small itself, nor when it would give its hidden cells away (`mask_distribution`
    leaves them recoverable only when no shown cell was left to hide)."""
    hidden = [counts[k] for k, v in masked.items() if v is None]
    return not is_small(sum(v for v in counts.values() if v), limit) and not recoverable(
        hidden, limit
    )


Table = tuple[str, tuple[str, ...]]  # (the total's cell, the cells that add up to it)


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
    below = _by_total(tables)
    least: dict = {}  # `_least` of the cells, for the hidden set as it stands
    changed = True
    while changed:
        changed = False
        for total, parts in tables:
            unknown = [c for c in (total, *parts) if c in hidden]
            hidden_parts = [c for c in parts if c in hidden]
            at_least = sum(_least(c, below, counts, hidden, least) for c in hidden_parts)
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
            least.clear()  # a reader's least depends on what is hidden
            changed = True
    return hidden


def _by_total(tables: list[Table]) -> dict:
    """Each total's parts, table by table (a cell can total several tables: a row of
    each distribution of a grid)."""
    below: dict = {}
    for total, parts in tables:
        below.setdefault(total, []).append(parts)
    return below


def _least(cell, below: Mapping, counts: Mapping[str, int], hidden: set, memo: dict) -> int:
    """The least a reader knows a hidden cell holds: 1 (zeros are shown), or for the total
    of a table, its shown parts plus the least of its hidden ones. `below`: `_by_total`;
    `memo`: the values already worked out for this `hidden` (a table of many communes
    walked once, not once per cell)."""
    if cell not in memo:
        best = 1
        for parts in below.get(cell, ()):
            best = max(
                best,
                sum(
                    _least(p, below, counts, hidden, memo) if p in hidden else counts[p]
                    for p in parts
                ),
            )
        memo[cell] = best
    return memo[cell]


def partition_tables(total: str, territoires: Mapping[str, Iterable[str]]) -> list[Table]:
    """The tables a user can combine over a département split into territoires (without
    a territoires file, each commune is one): the territoires against the département,
    the communes of each territoire against it, and every commune against the département."""
    groups = {t: tuple(cs) for t, cs in territoires.items()}
    communes = tuple(c for cs in groups.values() for c in cs)
    tables: list[Table] = [(total, tuple(groups))]
    tables += [(t, cs) for t, cs in groups.items() if cs != (t,)]
    if communes != tuple(groups):
        tables.append((total, communes))
    return tables


MARGIN = "ensemble"  # a grid's column of row totals (the persons of each row)
Grid = Mapping[str, Mapping[str, int]]  # row (territoire) -> code -> count


def grid_tables(grids: Mapping[str, Grid], total: str) -> tuple[list[Table], dict]:
    """The tables of distributions crossed with a partition, as a reader can combine
    them: for each distribution (`grids`: name -> territoire -> code -> count), each
    territoire's row against its total and each code's column against the `total` row
    (the département); the row totals are one column every distribution shares (the same
    persons: `(MARGIN, row)`), itself adding up to the département's total.
    Cells are `(name, row, code)`, `(name, total, code)`, `(MARGIN, row)`, `(MARGIN, total)`."""
    rows = list(dict.fromkeys(r for grid in grids.values() for r in grid))
    first = next(iter(grids.values()), {})
    persons = {r: sum(first.get(r, {}).values()) for r in rows}
    counts: dict = {(MARGIN, r): n for r, n in persons.items()}
    counts[(MARGIN, total)] = sum(persons.values())
    tables: list = [((MARGIN, total), tuple((MARGIN, r) for r in rows))]
    for name, grid in grids.items():
        codes = list(dict.fromkeys(c for row in grid.values() for c in row))
        for r in rows:
            counts.update({(name, r, c): grid.get(r, {}).get(c, 0) for c in codes})
        for c in codes:
            counts[(name, total, c)] = sum(counts[(name, r, c)] for r in rows)
            tables.append(((name, total, c), tuple((name, r, c) for r in rows)))
        for r in (*rows, total):
            parts = tuple((name, r, c) for c in codes)
            own = sum(counts[p] for p in parts)
            # a distribution that does not count the same persons has totals of its own
            row_total = (MARGIN, r) if own == counts[(MARGIN, r)] else (name, r, MARGIN)
            counts.setdefault(row_total, own)
            tables.append((row_total, parts))
    return tables, counts


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
    memo: dict = {}  # component -> its pinned cells: a round audits only what it changed
    while pins := pinned(tables, counts, hidden, memo):
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


def pinned(tables: list[Table], counts: Mapping, hidden: set, memo: dict | None = None) -> list:
    """The hidden non-zero cells a reader can work out from every table together: the
    shown cells fixed, the hidden ones at least 1 (0 for a hidden zero), every table
    adding up; a cell is pinned when its least and greatest values are less than 1 apart
    (linear programming, as `tests/test_masking_property.py` checks), in the order of
    their `repr`.

    Exact, and fast (issue #31): the unknowns split into independent components (tables
    sharing hidden cells, `_components`), each audited alone (`_pinned_in`); `memo`
    (component -> its pinned cells) lets `mask_grid` audit again only the components a
    round changed: a component's equations are those of the tables its cells are in,
    the rest of each table being shown cells (or hidden zeros), so its cells decide it."""
    unknown = sorted((c for c in hidden if counts[c]), key=repr)
    if not unknown:
        return []
    memo = {} if memo is None else memo
    pins: set = set()
    for cells, rows in _components(tables, counts, hidden, unknown):
        key = frozenset(cells)
        if key not in memo:
            memo[key] = _pinned_in(cells, rows, counts)
        pins |= memo[key]
    return [c for c in unknown if c in pins]


_SPAN = 1 - 1e-6  # a cell whose values span less than this is pinned (LP tolerance)


def _components(tables: list[Table], counts: Mapping, hidden: set, unknown: list):
    """The unknowns in groups no table links (union-find), each with its equations:
    (cells, [({cell: coefficient}, right-hand side)]), a table's total at -1, its parts
    at +1, its shown cells moved to the right."""
    index = {c: i for i, c in enumerate(unknown)}
    parent = list(range(len(unknown)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    equations = []
    for total, parts in tables:
        row: dict = {}
        known = 0
        for cell, sign in ((total, -1), *((p, 1) for p in parts)):
            if cell in index:
                row[cell] = row.get(cell, 0) + sign
            elif cell not in hidden:
                known += sign * counts[cell]
        row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        first, *others = (index[c] for c in row)
        for other in others:
            parent[root(other)] = root(first)
        equations.append((row, -known))
    groups: dict[int, list] = {}
    for cell in unknown:
        groups.setdefault(root(index[cell]), []).append(cell)
    rows_of: dict[int, list] = {}
    for row, rhs in equations:
        rows_of.setdefault(root(index[next(iter(row))]), []).append((row, rhs))
    return [(cells, rows_of.get(r, [])) for r, cells in groups.items()]


def _pinned_in(cells: list, rows: list, counts: Mapping) -> frozenset:
    """The pinned cells of one component. Cells the equations fix one after the other (a
    table with a single unknown left: `_peeled`) are pinned without an LP; for the
    others, the solutions found (the true counts, then every LP's optimum) certify a cell
    free when its values among them span 1 or more. Sweeps first (`_sweeps`: a few LPs
    moving every cell not yet certified at once), then a cell still not certified gets its
    own least and greatest values (`_lp_span`), whose optima join the solutions found.
    Exact: a cell is pinned only by its own LPs or its equations, and certified free
    only by solutions that exist."""
    import numpy as np
    from scipy import sparse

    if not rows:  # a hidden cell in no equation: anything from 1 up
        return frozenset()
    index = {c: i for i, c in enumerate(cells)}
    entries = [(k, index[c], v) for k, (row, _) in enumerate(rows) for c, v in row.items()]
    k, i, v = zip(*entries, strict=True)
    a = sparse.csr_array((v, (k, i)), shape=(len(rows), len(cells)), dtype=float)
    b = np.array([rhs for _, rhs in rows], dtype=float)
    out = _peeled(rows)
    truth = np.array([counts[c] for c in cells], dtype=float)
    low, high = truth.copy(), truth.copy()
    fixed = np.array([c in out for c in cells])
    program = _Program(a, b)
    _sweeps(program, fixed, low, high)
    for i, cell in enumerate(cells):
        if fixed[i] or high[i] - low[i] >= _SPAN:
            continue
        span = _lp_span(program, i, low, high)
        if span is not None and span < _SPAN:
            out.add(cell)
    return frozenset(out)


class _Program:
    """One component's equations (`a x = b`, every unknown at least 1), solved for one
    objective after another.

    Why not `scipy.optimize.linprog` each time: a component's LPs differ by their
    objective alone, and `linprog` checks its inputs, converts the matrix and sets up
    HiGHS anew for each (about 1.7 ms, for a solve of a tenth of that). Here the model is
    handed to HiGHS once, through the binding `linprog` itself calls
    (`scipy.optimize._highspy`), and each new objective starts from the last optimum's
    basis: 4 to 8 times faster decisions (docs/performances.md). Same solver, same
    tolerances, the same optimal values; where several solutions are optimal, another
    one may come back, which changes which LPs `_sweeps` still needs, never what is
    pinned (`_pinned_in` is exact). Where a scipy release no longer offers that binding,
    `linprog` is used (or with `fast` set to False): slower, the same decisions
    (`tests/test_masking_property.py` compares both)."""

    fast = True

    def __init__(self, a, b) -> None:
        import numpy as np

        self.a, self.b = a, b
        self.highs = _highs_model(a, b) if _Program.fast else None
        self.columns = np.arange(a.shape[1], dtype=np.int32)

    def solve(self, objective):
        """The optimum of `objective`, None when the LP has none (unbounded)."""
        import numpy as np

        if self.highs is None:
            from scipy.optimize import linprog

            result = linprog(objective, A_eq=self.a, b_eq=self.b, bounds=(1, None), method="highs")
            return result.x if result.status == 0 else None
        highs, core = self.highs
        highs.changeColsCost(len(self.columns), self.columns, np.asarray(objective, dtype=float))
        highs.run()
        if highs.getModelStatus() != core.HighsModelStatus.kOptimal:
            return None
        return np.array(highs.getSolution().col_value)


def _highs_model(a, b):
    """(HiGHS holding the component's LP, the binding's module), or None when this scipy
    does not offer the binding `_Program` uses (it then calls `linprog`)."""
    import numpy as np

    try:
        from scipy.optimize._highspy import _core as core

        highs = core._Highs()
        highs.setOptionValue("output_flag", False)  # the binding writes to stdout otherwise
        highs.setOptionValue("presolve", "off")  # a few rows: presolving costs a new start
        rows, columns = a.shape
        lp = core.HighsLp()
        lp.num_col_, lp.num_row_ = columns, rows
        lp.col_cost_ = np.zeros(columns)
        lp.col_lower_ = np.ones(columns)
        lp.col_upper_ = np.full(columns, core.kHighsInf)
        lp.row_lower_ = lp.row_upper_ = b
        matrix = a.tocsc()
        lp.a_matrix_.format_ = core.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = columns, rows
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        if highs.passModel(lp) != core.HighsStatus.kOk:
            return None
    except (ImportError, AttributeError, TypeError):
        return None
    return highs, core


def _sweeps(program: _Program, fixed, low, high, rounds: int = 40) -> None:
    """Solutions that move many cells at once: the least, then the greatest, sum of the
    cells not yet certified free, then sums with random signs (seeded: the same
    solutions each time), as long as a round (two LPs) certifies more cells than their
    own LPs would cost."""
    import numpy as np

    rng = np.random.default_rng(0)
    open_ = ~fixed & (high - low < _SPAN)
    for round_ in range(rounds):
        before = int(open_.sum())
        if not before:
            return
        signs = np.ones(len(open_)) if round_ == 0 else rng.choice([-1.0, 1.0], len(open_))
        for sign in (1.0, -1.0):
            _solve(program, sign * signs * open_, low, high)
        open_ &= high - low < _SPAN
        if int(open_.sum()) > before - 2:
            return


def _solve(program: _Program, objective, low, high):
    """One LP over the component; its optimum, a solution, widens `low` / `high`, the
    values seen of every unknown. None when it has none."""
    import numpy as np

    x = program.solve(objective)
    if x is None:
        return None
    np.minimum(low, x, out=low)
    np.maximum(high, x, out=high)
    return x


def _peeled(rows: list) -> set:
    """The unknowns the equations fix one by one: one alone in an equation, then one
    alone among those not yet fixed, and so on (pinned whatever the bounds)."""
    fixed: set = set()
    pending = [set(row) for row, _ in rows]
    progress = True
    while progress:
        progress = False
        for left in pending:
            left -= fixed
            if len(left) == 1:
                fixed |= left
                progress = True
    return fixed


def _lp_span(program: _Program, i: int, low, high) -> float | None:
    """The least and greatest values of unknown `i`, as `high - low` (None when unbounded,
    or when the solver fails: not pinned), each optimum joining the solutions seen."""
    import numpy as np

    objective = np.zeros(program.a.shape[1])
    objective[i] = 1
    ends = []
    for sign in (1, -1):
        x = _solve(program, sign * objective, low, high)
        if x is None:
            return None
        if high[i] - low[i] >= _SPAN:  # the least found is 1 or more below a solution seen
            return high[i] - low[i]
        ends.append(x[i])
    return ends[1] - ends[0]


def masked_label(value: int | None, limit: int | None = None) -> str:
    """What a committee view prints for a masked cell."""
    limit = threshold() if limit is None else limit
    return f"< {limit}" if value is None else f"{value:,}".replace(",", "\u202f")


def share_allowed(denominator: int, limit: int | None = None, hidden: bool = False) -> bool:
    """Shares (delays, means) whose denominator is below the threshold are not shown, nor
    those over a population the masking decision hides (`hidden`: its count is printed
    « < seuil » on that surface, so a figure over it is withheld the same way)."""
    limit = threshold() if limit is None else limit
    return not hidden and denominator >= limit


NOT_AVAILABLE = "n.d."  # what a view prints for a value it cannot give (none, or withheld)


def count_label(value: int | None, limit: int | None = None) -> str:
    """A single count as printed: '1 234', '< seuil' when masked, 'n.d.' when unknown."""
    if value is None:
        return NOT_AVAILABLE
    return masked_label(masked_count(value, limit), limit)


def shown_share(
    value: float | None, denominator: int | None, limit: int | None = None, hidden: bool = False
):
    """A share (or any figure over a population: median, mean), None when its
    denominator is too small to publish it or the decision hides it (`share_allowed`)."""
    if not denominator or not share_allowed(denominator, limit, hidden):
        return None
    return value


def masked_count(value: int | None, limit: int | None = None) -> int | None:
    """A single count as it may be published: None when it is below the threshold."""
    if value is None:
        return None
    return None if is_small(value, threshold() if limit is None else limit) else value


def mask_delta(now: int | None, before: int | None, limit: int | None = None) -> int | None:
    """A month-on-month difference of counts, published only when both months are (the
    difference of a shown and a hidden month would give the hidden one away)."""
    limit = threshold() if limit is None else limit
    if now is None or before is None or is_small(now, limit) or is_small(before, limit):
        return None
    return now - before


def masking_note(limit: int | None = None) -> str:
    """What a caption says about masking, at the threshold in force."""
    limit = threshold() if limit is None else limit
    if limit <= 1:
        return " Chiffres non masqués (vue d'analyste, tracée) : ne pas diffuser."
    return f" Effectifs de 1 à {limit - 1} masqués (« < {limit} »)."


def withheld_note(population: str, limit: int | None = None) -> str:
    """' Non affiché sous 11 personnes.': a share or delay over too small a population."""
    limit = threshold() if limit is None else limit
    return "" if limit <= 1 else f" Non affiché sous {limit} {population}."


# The masked view of the `indicators` contract (`indicators --masque`): the same rule as
# the committee's pages and PDF. Keys not listed are kept (dates, flags, sources).
_DISTRIBUTIONS = ("categorie", "modalite", "axe", "sexe", "tranche_age", "commune",
                  "orientations", "organisme_referent", "cessations_motif")  # fmt: skip
_COUNTS = ("stock_total", "personnes_orientees", "anomalies_avant_entree", "entrants",
           "orientes", "rdv_par_personne")  # fmt: skip
_FLOWS = ("inscriptions", "cessations", "radiations")
_SHARES = {  # a share or a delay -> the count it is computed over
    "cer_notifie_share": "stock_total",
    "contact_90j_share": "stock_total",
    "cat_1_3_share": "stock_total",
    "orientes_30j_share": "entrants",
    "orientes_6sem_share": "entrants",
    "delai_orientation_jours": "entrants",
    "contrat_30j_share": "orientes",
    "contrat_60j_share": "orientes",
    "delai_contrat_jours": "orientes",
}


_NOT_MASKED_IN_DETAIL = ("part_orientes", "statut_de", "categorie_api", "contraintes",
                         "inscrits_orientes_ft", "liaison_flux")  # fmt: skip


HOURS_PERSONS = "heures_hebdo.personnes"  # the contract's key of the persons in parcours


def complete_key(key: str) -> str:
    """The contract's key of a figure of the latest complete cohorte
    (`indicators.summary`'s « derniere_cohorte_complete »), as a decision names it."""
    return f"derniere_cohorte_complete.{key}"


def masked_summary(
    result: dict, limit: int | None = None, linked: Mapping[str, Iterable[str]] | None = None
) -> dict:
    """`indicators.summary` as a committee may read it: distributions with complementary
    suppression, flows and single counts masked alone, shares and delays withheld (null)
    over a population under the threshold; the first appointment and the hours withheld
    when their population is small; the families without a masking of their own (France
    Travail, DREES shares, CAF/MSA link) are null and named in `non_publies`.

    `linked`: the scope's row of the decision crossed with the territoires
    (`masking_grids.summary_hidden`: key -> hidden codes, a single count's code its key),
    applied as is, as the pages and the PDF apply it; a share or delay over a population
    that decision hides is withheld too (`share_allowed`)."""
    limit = threshold() if limit is None else limit
    out = dict(result)

    def row(key: str) -> frozenset[str] | None:
        """The decision's codes of `key`; None for a key outside it (masked on its own,
        with complementary suppression: never taken as a decision with nothing hidden)."""
        return None if linked is None or key not in linked else frozenset(linked[key])

    def hidden(key: str) -> bool:
        return key in (row(key) or ())

    for key in _DISTRIBUTIONS:
        if out.get(key) is not None:
            out[key] = mask_distribution(out[key], limit, row(key))
    if out.get("structure_suivi"):
        out["structure_suivi"] = {
            k: mask_distribution(v, limit, row(f"structure_suivi.{k}"))
            for k, v in out["structure_suivi"].items()
        }
    out.update(mask_cells({k: out.get(k) for k in _FLOWS if k in out}, limit))
    for key, population in _SHARES.items():
        allowed = share_allowed(result.get(population) or 0, limit, hidden(population))
        if out.get(key) is not None and not allowed:
            out[key] = None
    for key in (*_COUNTS, *_FLOWS):
        if key != "rdv_par_personne" and out.get(key) is not None:
            out[key] = None if hidden(key) else masked_count(out[key], limit)
    hours = out.get("heures_hebdo")
    persons = HOURS_PERSONS
    if hours and not share_allowed(hours.get("personnes") or 0, limit, hidden(persons)):
        out["heures_hebdo"] = {**hours, "personnes": None if hidden(persons) else masked_count(
                                   hours["personnes"], limit),
                               "moyenne": None, "mediane": None, "heures_15_share": None}  # fmt: skip
        out["rdv_par_personne"] = None
    first = out.get("delai_premier_rdv_jours")
    if first and not share_allowed(first.get("orientes") or 0, limit):
        out["delai_premier_rdv_jours"] = None
    complete = out.get("derniere_cohorte_complete") or {}
    out["derniere_cohorte_complete"] = {  # its cohorte's decision: `complete` below
        k: (None if v and not share_allowed(v.get("entrants", v.get("orientes")) or 0, limit,
                                            hidden(complete_key(k)))
            else v)
        for k, v in complete.items()
    }  # fmt: skip
    withheld = [k for k in _NOT_MASKED_IN_DETAIL if out.get(k) is not None]
    out.update(dict.fromkeys(withheld, None))
    out["seuil_masquage"] = limit
    out["non_publies"] = withheld
    return out
