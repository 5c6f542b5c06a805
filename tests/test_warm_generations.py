"""A load that commits a new warehouse generation is followed by a new filling of the
caches (dashboard/warm.py), from cold caches: after it, the pages' first reads of the new
month ask the warehouse nothing. Apart from tests/test_warm_caches.py, whose tests share
one filling that these tests' emptied caches would undo."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections import Counter

import pytest
import streamlit as st

from dashboard import db, readiness, serve, warm
from pipelines import indicators, loader, masking_grids
from pipelines.access import User
from tests.conftest import FILL_BOUND, pecgm_lines, write_pecgm
from tests.test_warm_caches import _default_reads


@pytest.fixture
def counted_queries(monkeypatch) -> Counter:
    """Each indicator query asked, and each masking grid decision computed, the warming
    thread's included."""
    asked: Counter = Counter()
    lock = threading.Lock()
    real = indicators.run

    def counted(con, name, params):
        with lock:
            asked[name] += 1
        return real(con, name, params)

    real_decision = masking_grids.crossed_hidden

    def decided(*args):
        with lock:
            asked["decisions"] += 1
        return real_decision(*args)

    monkeypatch.setattr(indicators, "run", counted)
    monkeypatch.setattr(masking_grids, "crossed_hidden", decided)
    return asked


@pytest.fixture
def enabled(monkeypatch, cold_caches):
    """The server's filling, from cold caches, at the test's own priority: the server
    lowers the thread's (warm.lower_priority), which on a machine kept busy by other
    tests would starve it for minutes; the test waits for the thread to end, not for a
    time."""
    monkeypatch.setenv(serve.PRECHARGEMENT, "1")  # as the server sets it
    monkeypatch.setattr(warm, "_STARTED", set())
    monkeypatch.setattr(warm, "_ENDED", set())
    monkeypatch.setattr(warm, "_FAILED", set())
    monkeypatch.setattr(warm, "lower_priority", lambda: None)


def _filled(thread) -> None:
    """Wait until the filling thread `warm.after_load` started has ended."""
    assert thread is not None, "no filling was started"
    thread.join(timeout=FILL_BOUND)
    assert not thread.is_alive(), "the filling did not end"


def test_a_load_that_commits_is_followed_by_a_new_filling(
    settings, enabled, monkeypatch, counted_queries
) -> None:
    path = write_pecgm(settings.db_path.parent.parent / "in" / "p.txt", pecgm_lines(30))
    assert warm.state() == "pret"  # no warehouse yet: nothing to fill
    assert loader.load("pecgm", path, settings).status == "loaded"
    assert warm.state() == "a_venir"
    _filled(warm.after_load())
    assert warm.state() == "pret"
    later = write_pecgm(path.with_name("q.txt"), pecgm_lines(30, month="2026-11"))
    assert loader.load("pecgm", later, settings).status == "loaded"  # a new generation
    # a load by another process (the arrivals timer): the readiness probe says so, and
    # starts the filling itself, as a page run would
    before = len(warm._THREADS)
    answer = asyncio.run(readiness.ready(None))
    assert (answer.status_code, answer.body) == (503, b"a_venir")
    assert len(warm._THREADS) == before + 1, "the probe started no filling"
    _filled(warm._THREADS[-1])  # the new generation is filled too
    assert warm.state() == "pret"
    answer = asyncio.run(readiness.ready(None))
    assert (answer.status_code, answer.body) == (200, b"pret")
    counted_queries.clear()
    st.session_state["utilisateur"] = User("analyste.2a", "analyste", ("2A",))
    try:
        assert db.months("2A")[0] == "2026-11"
        _default_reads("2A")
    finally:
        st.session_state.clear()
    assert counted_queries == Counter()


def test_a_filling_that_fails_is_said_incomplete(settings, enabled, monkeypatch) -> None:
    """A filling stopped by an error leaves the server serving (cold caches are only
    slower): the probe answers 200 « incomplet », not « pret », and the error is logged."""
    path = write_pecgm(settings.db_path.parent.parent / "in" / "p.txt", pecgm_lines(30))
    assert loader.load("pecgm", path, settings).status == "loaded"

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(warm, "_FAILED", set())
    monkeypatch.setattr(warm, "fill", broken)
    _filled(warm.after_load())
    assert warm.state() == "incomplet"
    answer = asyncio.run(readiness.ready(None))
    assert (answer.status_code, answer.body) == (200, b"incomplet")


def test_the_filling_keeps_the_collector_off_the_caches_until_the_next_one() -> None:
    """`warm.settle_heap`, at the end of each filling: what is alive is frozen out of the
    cyclic collector's reach (a full collection no longer walks the caches), and handed
    back at the next filling, when the garbage among it is collected."""

    class Cached:
        pass

    cached = Cached()
    cached.itself = cached  # a cycle: only the cyclic collector frees it
    alive = weakref.ref(cached)
    try:
        warm.settle_heap()
        assert gc.get_freeze_count() > 0
        del cached
        gc.collect()
        assert alive() is not None, "a full collection still walked the frozen objects"
        warm.settle_heap()  # the next filling
        assert alive() is None, "the previous filling's garbage was never freed"
    finally:
        gc.unfreeze()
