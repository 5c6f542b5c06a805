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
        return None if linked is None else frozenset(linked.get(key, ()))

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
    persons = "heures_hebdo.personnes"
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
                                            hidden(f"derniere_cohorte_complete.{k}"))
            else v)
        for k, v in complete.items()
    }  # fmt: skip
    withheld = [k for k in _NOT_MASKED_IN_DETAIL if out.get(k) is not None]
    out.update(dict.fromkeys(withheld, None))
    out["seuil_masquage"] = limit
    out["non_publies"] = withheld
    return out
