"""Caches filled at start and after a load: the first view of a page after a load (or
after the server starts) builds its view and figures from the results the load stored
(pipelines/precalcul.py; 0.15 to 0.35 s on the demo), or from its DuckDB queries when
the generation holds none (0.5 to 2.5 s), where a view already built costs under 0.1 s
(docs/performances.md). The server starts one background thread at start
(`readiness.lifespan`) and whenever the warehouse generation changes (the first script
run, or readiness probe, that sees it) that reads, for each département of the
warehouse, what every page opens with: its months, its
territoires, its masking grid and each indicator family over the default period, for
the whole département, the Synthèse of the latest month, the two default cohortes of the
Cohortes page (funnel and curves), the Bilan DREES of the default year and population,
and each topic page as it opens.

The data caches of dashboard/db.py are filled with the very keys the pages use
(warehouse path and generation, département, month, territoire): raw indicator results,
which a view masks at its own threshold when it draws them. The masking results filled
are the grid decisions across territoires at the published threshold, under that
threshold (`decisions`). The page views built, with their figures, at the published
threshold and under the keys the pages compute, are the committee's landing page, the
Synthèse of the latest month for the whole département (`synthese`, first of all, so
that a committee member arriving during the filling waits for it alone, at the server's
priority), and each topic page's default view (`topics`). Nothing per user: a page still
authorises its département before it reads any of them (`db.family`, `db.summary`,
`partition.grid`, `figure_cache.view`). The rest runs at the lowest CPU priority, behind
the users' requests. GET /_pilotage/pret says where the filling stands (`state`).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import threading
from collections.abc import Callable

from dashboard import db, figure_cache, figures, filters, headlines, serve, widgets
from dashboard.views import accompagnement as accompagnement_view
from dashboard.views import cohortes as cohortes_view
from dashboard.views import delais as delais_view
from dashboard.views import demandeurs as demandeurs_view
from dashboard.views import oarsa as oarsa_view
from dashboard.views import orientations as orientations_view
from dashboard.views import partition as partition_view
from dashboard.views import synthese as synthese_view
from pipelines import masking, masking_grids, precalcul

_LOCK = threading.Lock()
_STARTED: set[tuple[str, tuple]] = set()  # (warehouse path, generation) warmed or warming
_ENDED: set[tuple[str, tuple]] = set()  # the fillings that have ended (done, or given up)
_FAILED: set[tuple[str, tuple]] = set()  # ...of which given up on an error (in the log)
_THREADS: list[threading.Thread] = []  # the threads started (tests wait for the last one)
# Months read ahead, newest first: those a load stores (the default period, and as many
# again before it: the Synthèse's tiles also read the month a year before, and a trend).
WARM_MONTHS = precalcul.OPENED_MONTHS
LOG = logging.getLogger(__name__)
THREAD_NAME = "caches-apres-chargement"


class _NoSessionWarning(logging.Filter):
    """The thread fills process-wide caches and has, on purpose, no user session: Streamlit's
    « missing ScriptRunContext » warning at each cached call says nothing wrong there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD_NAME


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _NoSessionWarning()
)


monthly = precalcul.monthly  # whether a family is read month by month


def decisions(
    path: str, generation: tuple, departement: str, months: list[str], partition: dict
) -> None:
    """The masking grid of the default period, and its decision at the published
    threshold (the committee's views; an analyst's unmasked view takes none): the same
    cache, keys and reading as `partition.grid`, keyed by the threshold, so a decision is
    never served at another one."""
    db._stock_grille(path, generation, departement, tuple(partition.items()), False)
    limit = masking.committee_threshold()
    if limit <= 1:
        return
    for month in months[:WARM_MONTHS]:
        for family in masking_grids.GRIDS:  # read as `partition.grid` reads them

            def read(family=family, month=month) -> tuple[dict, dict]:
                return db.grid_rows(path, generation, family, departement, month, partition)

            partition_view._decision(
                generation, departement, month, tuple(partition), limit, family, read
            )


def synthese(generation: tuple, departement: str, month: str) -> None:
    """The Synthèse of `month` for the whole département as the page opens it, with its
    figures (the trends with a target, the two distributions), under the keys the page
    computes (`synthese_view.synthese_view`, `figure_cache.figure`): its data are read on
    the way, through the same cached functions."""
    view = figure_cache.prebuild_view(
        synthese_view._synthese_view, departement, month, None, departement=departement,
        generation=generation, stamp=headlines.Yardsticks.stamp(),
    )  # fmt: skip
    drawn = [
        (figures.trend_with_target, args)
        for group in view.groups
        for _, args in synthese_view.objectif_figures(group)
    ] + widgets.figure_calls(*view.distributions)  # fmt: skip
    for build, args in drawn:
        figure_cache.prebuild_figure(build, *args, departement=departement, generation=generation)


# The topic pages' views, as each page computes it (`figure_cache.view(<builder>, scope,
# ...)` in pages/): tests/test_warm_synthese.py opens each page after the filling and
# checks that it builds neither its view nor a figure.
TOPIC_VIEWS = (  # (view builder, the figures its page draws from the view)
    (orientations_view.orientations_view, orientations_view.charts),
    (demandeurs_view.demandeurs_view, demandeurs_view.charts),
    (accompagnement_view.accompagnement_view, accompagnement_view.charts),
    (delais_view.delais_view, delais_view.charts),
)


def topics(generation: tuple, departement: str, months: list[str]) -> None:
    """Each topic page's view as it opens (`filters.default_scope`: the whole département,
    the latest month, the default period, every parcours type), at the published
    threshold, under the key the page computes, and the figures it draws from it."""
    scope = filters.default_scope(departement, months)
    for build, charts in TOPIC_VIEWS:
        view = figure_cache.prebuild_view(
            build, scope, departement=departement, generation=generation
        )
        for figure, args in charts(view):
            figure_cache.prebuild_figure(
                figure, *args, departement=departement, generation=generation
            )


def cohortes(path: str, generation: tuple, departement: str, months: list[str]) -> None:
    """The two cohortes the Cohortes page opens with (`cohortes.default_months`, every
    other choice at its first option, the default horizon), funnel and curves, with the
    keys of `db.cohorte` and `db.cohorte_curves`."""
    base = next(iter(cohortes_view.BASES))
    immatures = next(iter(cohortes_view.IMMATURES))
    for chosen in cohortes_view.default_months(sorted(months)):
        if not chosen:
            continue
        choice = cohortes_view.Choice(base, chosen[0], chosen[-1])
        for what in ("entonnoir", "courbes"):
            db._cohorte_cached(
                path, generation, what, departement, **choice._asdict(), communes=None,
                horizon=cohortes_view.DEFAULT_HORIZON, immatures=immatures,
            )  # fmt: skip


def bilan(path: str, generation: tuple, departement: str) -> None:
    """The Bilan DREES the page opens with: the newest year with data, default population
    (`oarsa.annees`, `oarsa.regle_par_defaut`), the exact result (masked by each view)."""
    year = oarsa_view.offered(oarsa_view._years(path, generation, departement))[0]
    oarsa_view._compute(path, generation, departement, year, oarsa_view.regle_par_defaut())


def landing(path: str, generation: tuple) -> None:
    """Each département's Synthèse of the latest month (`synthese`): the committee's
    landing page, filled first."""
    for departement in db._departements(path, generation):
        months = db._months(path, generation, departement)  # newest first
        if months:
            synthese(generation, departement, months[0])


def background(path: str, generation: tuple) -> None:
    """Read into the caches what each département's pages open with (see the module's
    docstring): the same private cached functions, with the same arguments, as
    `db.months`, `db.communes_par_territoire`, `db.stock_grille`, `db.summary` and
    `db.series` of a view of the whole département over the default period."""
    for departement in db._departements(path, generation):
        months = db._months(path, generation, departement)  # newest first
        if not months:
            continue
        partition = db._communes_par_territoire(path, generation, departement)
        if partition:
            decisions(path, generation, departement, months, partition)
        for name in db.FAMILIES:
            if not monthly(name):  # one result for every month (contrat_courbe)
                db._family(path, generation, name, departement, None, None)
                continue
            for month in months[:WARM_MONTHS]:
                db._family(path, generation, name, departement, month, None)
        db._summary(path, generation, departement, months[0], None)
        cohortes(path, generation, departement, months)
        bilan(path, generation, departement)
        topics(generation, departement, months)


def fill(path: str, generation: tuple, between: Callable[[], None] = lambda: None) -> None:
    """The whole filling: the landing pages, `between`, then the rest."""
    landing(path, generation)
    between()
    background(path, generation)


def lower_priority() -> None:
    """Give the filling thread the lowest CPU priority, so that a user's page run always
    goes first on a busy server (this thread only; not Linux: it keeps the server's)."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _run(path: str, generation: tuple) -> None:
    """The landing pages at the server's priority: a committee member who arrives during
    them waits for this very work (the page waits on the cache key the thread is
    computing), which a starved thread would stretch by minutes on a busy machine; the
    rest at the lowest priority. `settle_heap` then runs in a thread started before the
    priority was lowered: a full collection holds the interpreter's lock, and at the
    lowest priority a busy machine would stretch that pause for every other thread."""
    filled = threading.Event()
    settler = threading.Thread(
        target=lambda: (filled.wait(), settle_heap()), name=f"{THREAD_NAME}-gc", daemon=True
    )
    settler.start()
    failed = False
    try:
        fill(path, generation, between=lower_priority)
    except Exception:  # a cache left cold is only slower; the page reports real errors
        LOG.exception("préchargement des caches interrompu")
        failed = True
    finally:
        filled.set()
        settler.join()
        with _LOCK:
            _ENDED.add((path, generation))
            if failed:
                _FAILED.add((path, generation))


def settle_heap() -> None:
    """Once the caches are filled, keep Python's cyclic garbage collector off them: what is
    alive now (modules, the caches just filled) is moved out of its reach (`gc.freeze`), so
    that a full collection scans only what was created since. Without it, each full
    collection walked every cached figure and frame: 90 to 220 ms, every 0.3 to 0.5 s
    while pages were being served, all threads stopped (docs/performances.md). What the
    previous filling froze is handed back first (`gc.unfreeze`), and what has become
    garbage since (cache entries pushed out by newer ones) is collected then: until the
    next filling such garbage, when it holds a reference cycle, stays in memory, at most
    as much as the caches' own bounds (`figure_cache.MAX_FIGURES`, `MAX_VIEWS`)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


# What `settle_heap` froze is handed back at exit, for the interpreter to free it.
atexit.register(gc.unfreeze)


def enabled() -> bool:
    """Whether this process fills the caches after each load: the server does
    (dashboard/serve.py sets the variable). Test runs of pages do not, so that what a
    page asks is what the page asks."""
    return os.environ.get(serve.PRECHARGEMENT) == "1"


def state() -> str:
    """Where the filling of the warehouse in force stands, for the readiness route
    (dashboard/readiness.py): « pret » (filled, or nothing to fill: no warehouse yet, or a
    process that does not fill), « incomplet » (ended on an error, in the log: pages are
    served, the ones it did not reach more slowly), « en_cours », or « a_venir » (a load
    committed since the last filling, which nothing has started yet)."""
    generation = db.generation() if enabled() else None
    if generation is None:
        return "pret"
    key = (str(db.db_path()), generation)
    with _LOCK:
        if key in _FAILED:
            return "incomplet"
        if key in _ENDED:
            return "pret"
        return "en_cours" if key in _STARTED else "a_venir"


def after_load() -> threading.Thread | None:
    """Start filling the caches once per warehouse generation; the thread started (tests
    wait for it), None when this generation is already filled or being filled, or no
    warehouse exists yet, or outside the server (`enabled`). Called at every script run: a
    file stat and a set lookup."""
    generation = db.generation() if enabled() else None
    if generation is None:
        return None
    key = (str(db.db_path()), generation)
    with _LOCK:
        if key in _STARTED:
            return None
        _STARTED.add(key)
    thread = threading.Thread(target=_run, args=key, name=THREAD_NAME, daemon=True)
    _THREADS.append(thread)
    thread.start()
    return thread
