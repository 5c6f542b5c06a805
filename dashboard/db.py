"""Warehouse access for the pages: one reader pool per process, cached queries.

Cached results are keyed by the warehouse generation (inode, mtime, size) and by every
argument, the département included, so a load shows up on the next rerun and one
département's figures are never served to another. They are kept by dashboard/memo.py,
not by Streamlit's caches: a first view makes some 500 of these calls, and Streamlit's
keys cost more than the reads they found. On a miss, what each page opens with is first
looked up among the results the writer of the generation stored (`stored_or_computed`,
pipelines/precalcul.py), and computed only when it is not there.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import streamlit as st

from dashboard import auth
from dashboard.memo import clear_all, copied, memo
from pipelines import indicators, journal, masking_grids, precalcul, warehouse
from pipelines.settings import Settings


def db_path() -> Path:
    """The warehouse file in force; read some 60 times per view, so the settings are
    parsed once per value of PILOTAGE_DB (a test or a server changes it by the variable)."""
    return _db_path(os.environ.get("PILOTAGE_DB"))


@functools.lru_cache(maxsize=8)
def _db_path(_variable: str | None) -> Path:
    return Settings.from_env().db_path


_POOLS: dict[str, warehouse.ReaderPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(path: str) -> warehouse.ReaderPool:
    """The process's reader pool of `path`. A plain dictionary, not st.cache_resource: it
    is asked some 60 times per view and Streamlit's cache hashes its arguments at every
    call; the pool itself reopens the file when a load replaces it (its generation)."""
    found = _POOLS.get(path)
    if found is None:
        with _POOLS_LOCK:
            found = _POOLS.setdefault(path, warehouse.ReaderPool(Path(path)))
    return found


def pool() -> warehouse.ReaderPool | None:
    """The reader pool, or None while no warehouse file exists yet."""
    path = db_path()
    if not path.exists():
        return None
    return _pool(str(path))


def generation() -> tuple[int, int, int] | None:
    p = pool()
    return p.generation() if p else None


@memo(64, copy=False)
def _stored(path: str, gen: tuple, read: str, departement: str) -> dict[str, str]:
    """The results of `read` the writer of this generation stored for the département
    (pipelines/precalcul.py), read once per generation: key -> JSON."""
    return precalcul.stored(_pool(path).cursor(), read, departement)


def stored_or_computed(
    path: str,
    gen: tuple,
    read: str,
    departement: str,
    key: tuple,
    compute: Callable[[], Any] | None = None,
    loaded: bool = False,
):
    """A read of pipelines/precalcul.py (`READS`): its stored result when the generation
    holds one (what each page opens with), else `compute()`, by default the writer's own
    function, given the département's loaded months from this module's memo (`loaded`:
    the period and grid reads take them). Called by the memos below on a miss only: a
    stored value is decoded once per key."""
    text = _stored(path, gen, read, departement).get(precalcul.key_text(key))
    if text is not None:
        return precalcul.decode(text)
    if compute is not None:
        return compute()
    extra = (_months(path, gen, departement),) if loaded else ()
    return precalcul.READS[read](_pool(path).cursor(), *key, *extra)


@memo(256)
def _departements(path: str, gen: tuple) -> list[str]:
    con = _pool(path).cursor()
    if warehouse.schema_version(con) == 0:
        return []
    return indicators.departements(con)


@memo(256)
def _months(path: str, gen: tuple, departement: str) -> list[str]:
    return indicators.months_available(_pool(path).cursor(), departement)


@memo(512)
def _summary(path: str, gen: tuple, departement: str, month: str, communes: tuple | None) -> dict:
    def family(name: str, m: str | None):  # each family through the cache `family()` fills
        if m is None:
            return _departement_wide(path, gen, name, departement)
        return _family(path, gen, name, departement, m, communes)

    def compute() -> dict:
        return indicators.summary(_pool(path).cursor(), departement, month, communes, family)

    return stored_or_computed(
        path, gen, "synthese", departement, (departement, month, communes), compute
    )


@memo(256)
def _departement_wide(path: str, gen: tuple, name: str, departement: str):
    """A family of the whole département, whatever the month (liaison_flux)."""
    return stored_or_computed(path, gen, "departement_entier", departement, (name, departement))


@memo(256)
def _communes_par_territoire(path: str, gen: tuple, departement: str) -> dict[str, tuple[str, ...]]:
    return indicators.communes_par_territoire(_pool(path).cursor(), departement)


def communes_par_territoire(departement: str) -> dict[str, tuple[str, ...]]:
    auth.authorise(departement)
    """The département's territoires (pipelines/territoires.py), label -> communes."""
    gen = generation()
    return _communes_par_territoire(str(db_path()), gen, departement) if gen else {}


# The period reads below are kept as shared objects (copy=False), never copied: a first
# view reads a month of them a hundred times, and a copying cache unpickled the whole
# period at each read (a fifth of the first view). Their readers take a copy of
# the month they use (`grid_rows`, `stock_grille`, `_family`'s own data cache).
@memo(64, copy=False)
def _stock_grille(
    path: str,
    gen: tuple,
    departement: str,
    partition: tuple[tuple[str, tuple[str, ...]], ...],
    before: bool,
) -> dict[str, tuple[dict, dict[str, dict]]]:
    """The grid of every loaded month at once (`before`: of the year before the first,
    `indicators.grid_months`): one query for what a page asks month by month (a year of
    the masking decision) and for the months the next page will ask."""
    key = (departement, partition, before)
    return stored_or_computed(path, gen, "grille_stock", departement, key, loaded=True)


def stock_grille(
    departement: str, month: str, partition: dict[str, tuple[str, ...]]
) -> tuple[dict, dict[str, dict]]:
    """The département's and each territoire's registered persons of `month` as the
    masking grid reads them (`indicators.stock_grille`): the département authorised, the
    whole period read once per generation and partition."""
    auth.authorise(departement)
    gen = generation()
    grid = (
        _stock_grille(str(db_path()), gen, departement, tuple(partition.items()), False)
        if gen
        else {}
    )
    rows = grid.get(month)
    return copied(rows) if rows else indicators.grille_vide(partition)  # none: no file


@memo(64, copy=False)
def _familles_grille(
    path: str,
    gen: tuple,
    departement: str,
    partition: tuple[tuple[str, tuple[str, ...]], ...],
    before: bool,
) -> dict[str, dict[str, tuple[dict, dict[str, dict]]]]:
    """The other families' grids over `indicators.grid_months` (orientations, flux, cohortes,
    parcours: `indicators.familles_grille`) at once: one query for what the decisions of
    a view asked family by family, month by month and territoire by territoire."""
    key = (departement, partition, before)
    return stored_or_computed(path, gen, "grilles_familles", departement, key, loaded=True)


def grid_rows(
    path: str, gen: tuple, name: str, departement: str, month: str, partition: dict
) -> tuple[dict, dict[str, dict]]:
    """The département's and each territoire's counts of family `name` and `month` as the
    masking grid reads them, from the period's grids read once per generation and
    partition (`_stock_grille`, `_familles_grille`; the year before the first file read
    apart, when asked); a month outside them is read territoire by territoire
    (`masking_grids.month_rows`). Not authorised: for
    `family_grille` and the server's warm-up (dashboard/warm.py), which read no user's."""
    key = tuple(partition.items())

    def period(before: bool) -> dict:
        if name == "stock":
            return _stock_grille(path, gen, departement, key, before)
        return _familles_grille(path, gen, departement, key, before).get(name, {})

    grid = period(False)
    if month not in grid and month < min(grid, default=""):  # the year before the first file
        grid = period(True)
    return copied(
        masking_grids.month_rows(
            grid, month, partition, lambda cs: _family(path, gen, name, departement, month, cs)
        )
    )


def family_grille(
    name: str, departement: str, month: str, partition: dict[str, tuple[str, ...]]
) -> tuple[dict, dict[str, dict]]:
    """`grid_rows` for the pages (`partition.grid`): the département authorised first."""
    auth.authorise(departement)
    gen = generation()
    if not gen:
        return stock_grille(departement, month, partition) if name == "stock" else (
            indicators.familles_vides(name, partition)
        )  # fmt: skip
    return grid_rows(str(db_path()), gen, name, departement, month, partition)


@memo(64)
def _journal(path: str, gen: tuple, limit: int) -> list[journal.JournalRow]:
    con = _pool(path).cursor()
    if warehouse.schema_version(con) == 0:
        return []
    return journal.recent(con, limit)


@memo(2048, copy=False)
def _span(path: str, gen: tuple, name: str, departement: str, communes: tuple | None) -> dict:
    """A period family (indicators.PERIOD_FAMILIES) for every month of the département's
    loaded span, one query: the first page after a load asks twelve months of six of them
    (the loaded months read once, by `_months`, for the seven families)."""
    key = (name, departement, communes)
    return stored_or_computed(path, gen, "periode", departement, key, loaded=True)


@memo(256)
def _outside_span(
    path: str, gen: tuple, name: str, departement: str, months: tuple, communes: tuple | None
) -> dict:
    """A period family for months outside the loaded span (the year before a département's
    first file, that its first months look back over), in one query."""
    return indicators.months_of(_pool(path).cursor(), name, departement, list(months), communes)


@memo(2048)
def _family(
    path: str, gen: tuple, name: str, departement: str, month: str | None, communes: tuple | None
):
    if month is not None and name in indicators.PERIOD_FAMILIES:
        span = _span(path, gen, name, departement, communes)
        if month in span:  # a copy: the memo hands the value it just computed to its caller
            return copied(span[month])
    return stored_or_computed(
        path, gen, "famille", departement, (name, departement, month, communes)
    )


@memo(256)
def _cohorte(
    path: str,
    gen: tuple,
    what: str,
    departement: str,
    base: str,
    debut: str,
    fin: str,
    communes: tuple | None,
    horizon: int | None,
    immatures: str,
    filters: tuple,
):
    key = (what, departement, base, debut, fin, communes, horizon, immatures, filters)
    return stored_or_computed(path, gen, "cohorte", departement, key)


def _cohorte_query(
    what: str,
    departement: str,
    base: str,
    debut: str,
    fin: str,
    communes: tuple[str, ...] | None = None,
    horizon: int | None = None,
    immatures: str = "marquer",
    **filters: str | None,
):
    """One cohorte's `what` (entonnoir | courbes), authorised and cached: the arguments of
    `cohorte` and `cohorte_curves`, written once."""
    auth.authorise(departement)
    return _cohorte_cached(
        str(db_path()), generation(), what, departement, base, debut, fin, communes,
        horizon, immatures, **filters,
    )  # fmt: skip


def _cohorte_cached(
    path: str,
    gen: tuple | None,
    what: str,
    departement: str,
    base: str,
    debut: str,
    fin: str,
    communes: tuple[str, ...] | None = None,
    horizon: int | None = None,
    immatures: str = "marquer",
    **filters: str | None,
):
    """`_cohorte` with the key as the pages give it (no département authorised: the
    server's filling after a load, dashboard/warm.py, which has no user, and
    `_cohorte_query`)."""
    return _cohorte(
        path, gen, what, departement, base, debut, fin, communes or None, horizon, immatures,
        tuple(sorted(filters.items())),
    )  # fmt: skip


def cohorte(departement: str, base: str, debut: str, fin: str, **options) -> dict:
    """Funnel of one cohorte (pipelines.indicators.cohorte), cached like the families;
    `options`: communes, horizon, immatures and the filters, as `_cohorte_query` lists them."""
    return _cohorte_query("entonnoir", departement, base, debut, fin, **options)


def cohorte_curves(departement: str, base: str, debut: str, fin: str, **options) -> list[dict]:
    """Kaplan–Meier curves of one cohorte (pipelines.indicators.cohorte_courbes), cached;
    same arguments as `cohorte`."""
    return _cohorte_query("courbes", departement, base, debut, fin, **options)


FAMILIES = indicators.FAMILIES


def family(
    name: str, departement: str, month: str | None = None, communes: tuple[str, ...] | None = None
):
    """One indicator family of pipelines/indicators.py, cached per generation, département
    and territoire (communes None: the whole département)."""
    if name not in FAMILIES:
        raise ValueError(name)
    auth.authorise(departement)
    return _family(str(db_path()), generation(), name, departement, month, communes or None)


def series(
    name: str, departement: str, months_: list[str], communes: tuple[str, ...] | None = None
) -> list[tuple[str, object]]:
    """(month, family result) for each month, oldest first. A period family
    (indicators.PERIOD_FAMILIES) comes from its loaded span, one query for all months
    (`_span`); the months of another one missing from the cache are computed two at a
    time: a monthly query is too small to keep both cores of DuckDB busy, and a page's
    first view after a load asks for twelve of them."""
    if name not in FAMILIES:
        raise ValueError(name)
    auth.authorise(departement)
    ordered = sorted(months_)
    path, gen = str(db_path()), generation()
    if name in indicators.PERIOD_FAMILIES:
        span = _span(path, gen, name, departement, communes or None)
        outside = tuple(m for m in ordered if m not in span)  # before the first file, say
        read = (
            _outside_span(path, gen, name, departement, outside, communes or None)
            if outside
            else {}
        )
        return [
            (
                m,
                read[m]
                if m in read
                else _family(path, gen, name, departement, m, communes or None),
            )
            for m in ordered
        ]

    def one(month: str):
        return _family(path, gen, name, departement, month, communes or None)

    # A pool per call, not one shared by every session: a user's series never queues
    # behind another user's.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="indicateurs") as pool:
        return list(zip(ordered, pool.map(one, ordered), strict=True))


PREFETCHED = indicators.PERIOD_FAMILIES  # what `prefetch` reads, the month's summary first


def prefetch(
    departement: str,
    communes: tuple[str, ...] | None,
    partition: dict[str, tuple[str, ...]] | None,
) -> None:
    """Start reading, two at a time in the background, what the first view of a page after
    a load reads one query after the other: each period family's loaded span for the scope
    (`_span`) and, when the view masks across the territoires of `partition`, the two
    grids. The view then finds each read done or under way (a memo computes a key once
    and makes its other callers wait), so that the queries of a first view share both
    cores. Returns at once; the page authorises the département first."""
    auth.authorise(departement)
    path, gen = str(db_path()), generation()
    if not gen:
        return
    jobs = [
        functools.partial(_span, path, gen, n, departement, communes or None) for n in PREFETCHED
    ]
    if partition:
        key = tuple(partition.items())
        jobs[5:5] = [
            functools.partial(_stock_grille, path, gen, departement, key, False),
            functools.partial(_familles_grille, path, gen, departement, key, False),
        ]  # after the summary's first families: the grids are read soon after them
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="prelecture")
    for job in jobs:
        pool.submit(job)  # an error here is raised again by the view's own read
    pool.shutdown(wait=False)


def departements() -> list[str]:
    gen = generation()
    return _departements(str(db_path()), gen) if gen else []


def months(departement: str) -> list[str]:
    auth.authorise(departement)
    gen = generation()
    return _months(str(db_path()), gen, departement) if gen else []


def summary(departement: str, month: str, communes: tuple[str, ...] | None = None) -> dict:
    auth.authorise(departement)
    return _summary(str(db_path()), generation(), departement, month, communes or None)


def recent_loads(limit: int = 50) -> list[journal.JournalRow]:
    """The latest loads the user may see: those of their départements, and the attempts
    they made themselves that name none (a file refused before its département was read)."""
    gen = generation()
    rows = _journal(str(db_path()), gen, limit) if gen else []
    user = auth.current_user()
    if user is None:
        return []
    return [r for r in rows if auth.sees_load(user, r.departement, r.operator)]


@memo(256)
def _report(path: str, gen: tuple, load_id: int) -> tuple[str | None, str | None, list[tuple]]:
    con = _pool(path).cursor()
    row = con.execute(
        "SELECT departement, report_json FROM load_journal WHERE id = ?", [load_id]
    ).fetchone()
    lines = con.execute(
        "SELECT line_no, field, check_name, reason FROM quarantine WHERE load_id = ? "
        "ORDER BY line_no, field",
        [load_id],
    ).fetchall()
    return (row[0] if row else None), (row[1] if row else None), lines


def report(load_id: int) -> tuple[dict | None, list[tuple]]:
    """A load's stored quality report and its quarantined lines (numbers, fields, reasons)."""
    import json

    departement, text, lines = _report(str(db_path()), generation(), load_id)
    if departement:
        auth.authorise(departement)
    return (json.loads(text) if text else None), lines


@memo(64)
def _drift(path: str, gen: tuple, load_ids: tuple[int, ...]) -> list[journal.DriftRow]:
    return journal.drift_rows(_pool(path).cursor(), load_ids)


def drift(loads: list[journal.JournalRow]) -> list[journal.DriftRow]:
    """The drift measures of these loads' stored reports (pipelines.journal.drift_rows),
    read in one query; each département named is authorised first, like `report`."""
    for departement in sorted({r.departement for r in loads if r.departement}):
        auth.authorise(departement)
    gen = generation()
    return _drift(str(db_path()), gen, tuple(r.id for r in loads)) if gen else []


def forget() -> None:
    """Forget every read this process keeps: the memos of the warehouse reads (this
    module's, the masking decisions') and Streamlit's data caches (what a load makes
    stale, for a test or a benchmark that plays one without changing the generation)."""
    clear_all()
    st.cache_data.clear()
