"""After a load commits, the server fills the data caches of dashboard/db.py before a
user asks for a page (dashboard/warm.py): the first view of a page after a load is then a
view whose queries are all cached. Only département-keyed raw results are filled; a page
still authorises its département before it reads them."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from dashboard import db, filters, serve, warm
from pipelines import indicators, masking_grids
from pipelines.access import User
from tests.conftest import (
    forget_cached_views,
    hide_stored_results,
    run_and_wait_for_filling,
    run_app,
)


def _sign_in_form() -> None:
    assert not run_app(None).exception


def _default_reads(departement: str) -> None:
    """What the pages read first for the whole département: months, territoires, the
    grid, every family over the default period, the Synthèse of the latest month."""
    months = db.months(departement)
    period = sorted(months[: int(filters.DEFAULT_PERIOD)])
    partition = db.communes_par_territoire(departement)
    for month in period:
        db.stock_grille(departement, month, partition)
    for name in db.FAMILIES:
        if warm.monthly(name):
            db.series(name, departement, period)
        else:
            db.family(name, departement)
    db.summary(departement, months[0])


def test_the_filling_is_off_outside_the_server(sample_db, monkeypatch) -> None:
    """A page run in a test asks what the page asks (tests/test_round_trips.py)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    monkeypatch.setattr(warm, "_STARTED", set())
    monkeypatch.delenv(serve.PRECHARGEMENT, raising=False)
    at = run_app(None)  # every run of app.py asks warm.after_load, the sign-in form's too
    assert not at.exception
    assert not warm._STARTED


COMPUTED = ("cohorte", "cohorte_courbes", "compute")  # indicators', and oarsa.compute


class Filling(NamedTuple):
    """What the filling asked and computed, what was asked since (a test clears it), and
    the warehouse filled (each test points PILOTAGE_DB at it again: `isolated_env` gives
    every test a private, empty one)."""

    filled: Counter
    asked: Counter
    db: Path


@pytest.fixture(scope="module")
def filled_demo(sample_db) -> Filling:
    """One filling of the demo warehouse from cold caches, started as the server starts
    it (the sign-in form's run), shared by the tests that open a page after it (a filling
    costs a quarter of a minute): what it asked and computed, counted, the counter kept
    counting (indicator queries, masking decisions, cohortes and bilans DREES). The tests
    that use it form the module's xdist group (tests/conftest.py): one worker runs them
    in a row. No test of this module empties the caches: those that fill from cold and
    load again are in tests/test_warm_generations.py. The demo's stored opening reads are
    hidden (`db._stored`), as in a generation written without them (PILOTAGE_PRECALCUL=0):
    the filling computes them, the case this module tests; with them, the pages find them
    stored (tests/test_precalcul.py)."""
    from pipelines import oarsa

    asked: Counter = Counter()
    lock = threading.Lock()

    def counting(module, name: str, key: str) -> None:
        real = getattr(module, name)

        def counted(*args, **kwargs):
            with lock:
                asked[key] += 1
            return real(*args, **kwargs)

        mp.setattr(module, name, counted)

    with pytest.MonkeyPatch.context() as mp:
        forget_cached_views()
        mp.setenv(serve.PRECHARGEMENT, "1")  # as the server sets it
        mp.setenv("PILOTAGE_DB", str(sample_db))
        mp.setattr(warm, "_STARTED", set())
        mp.setattr(warm, "lower_priority", lambda: None)  # see `enabled`
        hide_stored_results(mp)
        counting(indicators, "run", "queries")
        counting(masking_grids, "crossed_hidden", "decisions")
        for module, name in zip((indicators, indicators, oarsa), COMPUTED, strict=True):
            counting(module, name, name)
        run_and_wait_for_filling(_sign_in_form)  # its run starts the filling
        yield Filling(Counter(asked), asked, sample_db)
        forget_cached_views()


def test_the_caches_are_filled_before_a_page_asks(filled_demo, view_reader) -> None:
    assert filled_demo.filled["queries"], "the warming read nothing"
    filled_demo.asked.clear()
    _default_reads("2A")
    assert filled_demo.asked == Counter(), "a read after the warming went to the warehouse"
    assert warm.after_load() is None, "the same generation is filled once"


@pytest.mark.parametrize("page", [None, "pages/demandeurs.py", "pages/accompagnement.py"])
def test_a_page_opened_after_the_filling_asks_the_warehouse_nothing(
    filled_demo, monkeypatch, page
) -> None:
    """The sign-in form's run starts the filling; then the committee's landing page (the
    Synthèse) and a topic page are drawn from the caches alone: no query, and the masking
    decision across territoires of the published threshold already taken."""
    assert filled_demo.filled["queries"] and filled_demo.filled["decisions"], "nothing filled"
    monkeypatch.setenv("PILOTAGE_DB", str(filled_demo.db))
    filled_demo.asked.clear()
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A"}, page)
    assert not at.exception, [e.value for e in at.exception]
    assert filled_demo.asked == Counter()


@pytest.mark.parametrize("page", ["pages/cohortes.py", "pages/oarsa.py"])
def test_the_analysts_pages_after_the_filling_compute_nothing(
    filled_demo, monkeypatch, page
) -> None:
    """The Cohortes page's two default cohortes (funnel and curves) and the Bilan DREES of
    the default year and population are read by the filling: an analyst's first view after
    it computes none of them (nor asks any query)."""
    assert any(filled_demo.filled[n] for n in COMPUTED), "the filling computed no cohorte, no bilan"
    monkeypatch.setenv("PILOTAGE_DB", str(filled_demo.db))
    filled_demo.asked.clear()
    at = run_app(User("a", "analyste", ("2A",)), {"dep": "2A"}, page)
    assert not at.exception, [e.value for e in at.exception]
    assert filled_demo.asked == Counter()
