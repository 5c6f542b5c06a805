"""The families of counts a département's views cross with its partition into territoires,
and the one masking decision taken over each, month by month (docs/securite.md, masquage).

A family (GRIDS) is a set of distributions of the same persons (the inscrits by category,
modalité, commune...; the month's decisions by parcours, organisme...); each distribution
is read from an indicator family's result per territoire and for the département.
`crossed_hidden` crosses them with the territoires (the persons in no territoire one more
row) and hands them to `masking.mask_grid`: every surface (pages, committee PDF, exports,
`indicators --masque`) shows its row of the same set, so no view gives another's hidden
cell away. Pure functions, no Streamlit: `pipelines` owns the rule, `dashboard` reads it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping

from pipelines import masking

REST = "hors territoire"  # persons of the département in none of its territoires


def _family(key: str):
    """A distribution of a family's result (empty when the family has none)."""
    return lambda result: (result or {}).get(key) or {}


def _single(key: str):
    """A single count of a family's result as a one-code distribution (a flow, the persons
    oriented): itself a part of the département's count of the same month."""
    return lambda result: {key: (result or {}).get(key) or 0}


PROFILE_GROUPS = ("par_sexe", "par_tranche_age")  # the decisions of each group: by parcours


def _groups(result: dict | None, key: str) -> dict[str, int]:
    """The decisions of each group of a profile ({'F': {'social': 3, ...}} -> {'F': n})."""
    return {g: sum(c.values()) for g, c in ((result or {}).get(key) or {}).items()}


# What a territoire's pages show of each family, crossed with the partition: name -> the
# row a view reads. The first one counts the persons of the row (the grid's totals,
# `masking.MARGIN`): the inscrits, the month's decisions, the cessations.
STOCK_GRIDS = {
    **{n: _family(n) for n in ("categorie", "modalite", "sexe", "tranche_age", "axe")},
    "structure": lambda result: (
        ((result or {}).get("structure_suivi") or {}).get("principale") or {}
    ),
    "commune": _family("commune"),  # of residence: a territoire's are parts of its inscrits
}
DECISION_GRIDS = {
    "orientations": _family("orientations"),  # by parcours type
    "organisme_referent": _family("organisme_referent"),
    "personnes_orientees": _single("personnes_orientees"),
    **{k: (lambda r, k=k: _groups(r, k)) for k in PROFILE_GROUPS},  # decisions by profile
}
FLOW_GRIDS = {
    "cessations": _single("cessations"),
    "cessations_motif": _family("cessations_motif"),
    "inscriptions": _single("inscriptions"),
    "radiations": _single("radiations"),
}


def _populations(key: str, population: str):
    """A cohorte's persons in each group of a profile ({'F': {'entrants': 3, ...}} -> 3)."""
    return lambda r: {g: c[population] for g, c in ((r or {}).get(key) or {}).items()}


COHORTE_GRIDS = {  # the entrants of the month's orientation cohorte, and of each profile
    "entrants": _single("entrants"),
    # its entrants oriented before their entry (the cohorte table's « orientation avant
    # entrée »): a territoire's are parts of the département's of the same cohorte
    "anomalies_avant_entree": _single("anomalies_avant_entree"),
    **{k: _populations(k, "entrants") for k in PROFILE_GROUPS},
}
CONTRACT_GRIDS = {  # the persons oriented in the month (the contract cohorte), by group
    "orientes": _single("orientes"),
    **{k: _populations(k, "orientes") for k in ("par_parcours", *PROFILE_GROUPS)},
}
INTENSITY_GRIDS = {  # the persons in an active parcours of the month, by group
    "personnes": lambda r: {
        "personnes": ((r or {}).get("heures_hebdo") or {}).get("personnes") or 0
    },
    **{k: _populations(k, "personnes") for k in ("par_parcours", *PROFILE_GROUPS)},
}
GRIDS = {
    "stock": STOCK_GRIDS,
    "orientations": DECISION_GRIDS,
    "flux": FLOW_GRIDS,
    "delai_orientation": COHORTE_GRIDS,
    "contrat": CONTRACT_GRIDS,
    "intensite": INTENSITY_GRIDS,
}
GRID_DISTRIBUTIONS = tuple(STOCK_GRIDS)  # of the inscrits
DEPARTEMENT = "département"  # the grid's row of column totals


def crossed_hidden(family: str, whole: dict, by_territoire: dict[str, dict], limit: int) -> set:
    """One masking decision for a month of `family` (stock, orientations, flux: GRIDS) per
    territoire (each territoire's result, the département's `whole`): its totals and its
    distributions crossed with the partition, the persons in no territoire one more row
    (`masking.mask_grid`, docs/securite.md, masquage). Every view of a territoire or of
    the département shows its row of this set."""
    grids = {}
    for name, read in GRIDS[family].items():
        rows = {t: dict(read(s)) for t, s in by_territoire.items()}
        rest = {c: v - sum(r.get(c, 0) for r in rows.values()) for c, v in read(whole).items()}
        if any(v > 0 for v in rest.values()):
            rows[REST] = {c: max(v, 0) for c, v in rest.items()}
        grids[name] = rows
    return set(_decided(grids, limit))


def family_rows(
    read: Callable[[tuple[str, ...] | None], dict | None],
    partition: Mapping[str, tuple[str, ...]],
) -> tuple[dict, dict[str, dict]]:
    """The département's result of a family and month (`read(None)`) and each
    territoire's (`read(communes)`), as `crossed_hidden` takes them. The pages, the server's warm-up, the committee PDF and `indicators
    --masque` read the loaded months grouped (`indicators.grille`, the same counts); this
    reads a month outside them, one query per territoire."""
    return read(None) or {}, {t: read(cs or None) or {} for t, cs in partition.items()}


def month_rows(
    grid: Mapping[str, tuple[dict, dict[str, dict]]],
    month: str,
    partition: Mapping[str, tuple[str, ...]],
    read: Callable[[tuple[str, ...] | None], dict | None],
) -> tuple[dict, dict[str, dict]]:
    """A month's rows of a family as `crossed_hidden` takes them: from `grid`, the family's
    counts of every loaded month read grouped (`indicators.grille`), else (a month outside
    the loaded files) each territoire's result read by `read` (`family_rows`)."""
    rows = grid.get(month)
    return rows if rows is not None else family_rows(read, partition)


DECISIONS_KEPT = 1024  # decisions kept in memory (a set of cells each): months x families x views
_decisions: OrderedDict[str, frozenset] = OrderedDict()  # sha256 of the input -> decision
_decisions_lock = threading.Lock()  # the server's sessions and its warm-up share them


def _decided(grids: dict, limit: int) -> frozenset:
    """`masking.mask_grid` memoised by content (issue #31): the same counts and threshold
    give the same decision, so a page, the committee PDF and the server's warm-up that
    read the same month decide it once per process, whatever asked first and whatever
    cache of their own missed. Keyed on a hash of the counts themselves (rows and codes
    in order: the decision's tie-breaks read that order), so a hit can only be the
    decision of these very counts; the least recently used are forgotten."""
    canonical = repr((limit, [(n, [(r, list(c.items())) for r, c in rows.items()])
                              for n, rows in grids.items()]))  # fmt: skip
    key = hashlib.sha256(canonical.encode()).hexdigest()
    with _decisions_lock:
        if key in _decisions:
            _decisions.move_to_end(key)
            return _decisions[key]
    decision = frozenset(masking.mask_grid(grids, DEPARTEMENT, limit))
    with _decisions_lock:
        _decisions[key] = decision
        while len(_decisions) > DECISIONS_KEPT:
            _decisions.popitem(last=False)
    return decision


def forget_decisions() -> None:
    """Empty the memo of decisions (a benchmark timing the decision itself, a test)."""
    with _decisions_lock:
        _decisions.clear()


def grid_hidden(whole: dict, by_territoire: dict[str, dict], limit: int) -> set:
    """The decision over the inscrits of a month (their totals and STOCK_GRIDS)."""
    return crossed_hidden("stock", whole, by_territoire, limit)


def row_hidden(hidden: set, name: str, row: str) -> frozenset[str]:
    """The codes of one territoire's (or the département's) distribution `name` that the
    grid decision hides: what its chart and table mask."""
    return frozenset(c[2] for c in hidden if len(c) == 3 and c[0] == name and c[1] == row)


def total_hidden(hidden: set, row: str) -> bool:
    """Whether the grid decision hides a territoire's (or the département's) inscrits."""
    return (masking.MARGIN, row) in hidden


# The keys of the `indicators` contract (`indicators.summary`) a grid's cells are printed
# under, when not the grid's own name (a single count's code is its own key).
SUMMARY_KEYS = {"structure": "structure_suivi.principale", "personnes": masking.HOURS_PERSONS}
SUMMARY_TOTALS = {"stock": "stock_total"}  # a family's row total the contract prints


def decisions(read: Callable[[str, tuple[str, ...] | None], dict | None],
              partition: Mapping[str, tuple[str, ...]], limit: int,
              grouped: Mapping[str, tuple[dict, dict[str, dict]]] | None = None,
              ) -> dict[str, set]:  # fmt: skip
    """A month's decision over every family of GRIDS (`crossed_hidden`): the family's
    counts of the month read grouped when `grouped` holds them (`indicators.grille`: the
    département and every territoire at once), else each territoire's result read by
    `read(family, communes)` (None: the département's): what the operator's masked view
    (`indicators --masque`) applies, as the pages and the PDF do."""
    out = {}
    for family in GRIDS:
        rows = (grouped or {}).get(family)
        if rows is None:
            rows = family_rows(lambda cs, family=family: read(family, cs), partition)
        out[family] = crossed_hidden(family, *rows, limit)
    return out


def summary_hidden(decided: Mapping[str, set], row: str) -> dict[str, frozenset[str]]:
    """A scope's row (a territoire, or DEPARTEMENT) of every family's decision, under the
    contract's keys: key -> its hidden codes (a single count: {key}), for
    `masking.masked_summary`."""
    out: dict[str, frozenset[str]] = {}
    for family, hidden in decided.items():
        for name in GRIDS[family]:
            if name in ("par_parcours", *PROFILE_GROUPS):
                continue  # the profile tables are not in the contract
            key = SUMMARY_KEYS.get(name, name)
            codes = row_hidden(hidden, name, row)
            if key != name:  # a single count printed under another key: its code is the key
                codes = frozenset(key if code == name else code for code in codes)
            out[key] = out.get(key, frozenset()) | codes
        if family in SUMMARY_TOTALS:
            total = SUMMARY_TOTALS[family]
            out[total] = frozenset({total}) if total_hidden(hidden, row) else frozenset()
    return out
