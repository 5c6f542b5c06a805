"""A page view asks the warehouse each indicator query once: the Synthèse reads the same
months through the month's summary, the previous month's and the cohortes it looks back
over, and all of them share the cache of dashboard/db.py (`family`)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from pipelines import indicators
from pipelines.access import User
from tests.conftest import forget_cached_views, run_app

# The queries a page runs when it computes its reads: on a generation whose writer stored
# none (the demo's stored ones hidden); with them, a first view finds its opening reads
# stored and runs none of these (tests/test_precalcul.py).
pytestmark = pytest.mark.usefixtures("computed_reads")


def _count_queries(monkeypatch) -> Counter:
    """(indicator SQL file, whether for a territoire) -> how many times it runs from now on
    (`indicators.run`, the one place the indicator SQL is executed)."""
    asked: Counter = Counter()
    lock = threading.Lock()  # db.series queries two months at a time
    real = indicators.run

    def counted(con, name, params):
        with lock:
            asked[name, params.get("communes") is not None] += 1
        return real(con, name, params)

    monkeypatch.setattr(indicators, "run", counted)
    return asked


def test_the_synthese_queries_each_family_and_month_once(
    sample_db, monkeypatch, cold_caches
) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    asked: Counter = Counter()
    lock = threading.Lock()
    real = indicators.run

    def counted(con, name, params):
        with lock:  # db.series queries two months at a time
            asked[(name, repr(sorted(params.items())))] += 1
        return real(con, name, params)

    monkeypatch.setattr(indicators, "run", counted)
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Synthèse"
    assert asked, "the view asked nothing: the count would prove nothing"
    assert {query: n for query, n in asked.items() if n > 1} == {}


def test_the_synthese_reads_each_period_family_in_one_query(
    sample_db, monkeypatch, cold_caches
) -> None:
    """A cold Synthèse reads its year of history of each period family (stock,
    orientations, cohortes, intensity, share oriented) in one query over the loaded span,
    not one per month (78 on the demo before: six families by thirteen months)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    asked = _count_queries(monkeypatch)
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"})
    assert not at.exception, [e.value for e in at.exception]
    assert {f: asked[f, False] for f in indicators.PERIOD_FAMILIES} == dict.fromkeys(
        indicators.PERIOD_FAMILIES, 1
    ), asked


def test_the_first_synthese_reads_on_both_cores(sample_db, monkeypatch, cold_caches) -> None:
    """A cold Synthèse reads its period families and grids two at a time in the background
    (`db.prefetch`) while it builds: some of its queries run on the prefetch threads,
    none of them twice."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    threads: Counter = Counter()
    real = indicators.run

    def counted(con, name, params):
        threads[threading.current_thread().name.split("_")[0], name] += 1
        return real(con, name, params)

    monkeypatch.setattr(indicators, "run", counted)
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"})
    assert not at.exception, [e.value for e in at.exception]
    prefetched = {name for (thread, name) in threads if thread == "prelecture"}
    # which thread reads a key first depends on the machine's load; a key is read once
    assert prefetched, threads
    read_twice = {name for (thread, name) in threads if thread != "prelecture"} & prefetched
    assert read_twice == set(), threads
    every = {"stock_grille", "familles_grille", *indicators.PERIOD_FAMILIES}
    assert every <= {name for _, name in threads}, threads


# (month, familles_grille reads, stock_grille reads): the latest month reads each grid of
# the loaded months once; the first also reads the other families' grid of the year
# before its first file, that its cohorte tiles look back over (the stock of those months,
# without a file, is never asked)
@pytest.mark.parametrize(("month", "familles", "stock"), [("2026-10", 1, 1), ("2025-05", 2, 1)])
def test_the_synthese_reads_the_families_grids_grouped(
    sample_db, monkeypatch, cold_caches, month, familles, stock
) -> None:
    """A cold Synthèse decides its masking over every family from the grouped grids
    (familles_grille.sql, stock_grille.sql), never one family query per territoire and
    month (some 180 on the demo before for the latest month, 132 for the first)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    asked = _count_queries(monkeypatch)
    forget_cached_views()
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": month})
    assert not at.exception, [e.value for e in at.exception]
    assert asked["familles_grille", False] == familles, asked
    assert asked["stock_grille", False] == stock, asked
    territoire_reads = {name: n for (name, territoire), n in asked.items() if territoire}
    assert territoire_reads == {}, territoire_reads


@pytest.mark.parametrize("page", ["pages/demandeurs.py", "pages/accompagnement.py"])
def test_a_topic_page_reads_the_masking_grid_in_one_query(
    sample_db, monkeypatch, page, cold_caches
) -> None:
    """The first view of a page that masks across territoires reads a year of the grid in
    one grouped query (stock_grille.sql), not one stock query per territoire and month
    (48 on the demo)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"})
    asked = _count_queries(monkeypatch)
    forget_cached_views()  # the first view after a load
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert asked["stock_grille", False] == 1, asked
    assert asked["familles_grille", False] <= 1, asked
    assert {name: n for (name, territoire), n in asked.items() if territoire} == {}, asked
