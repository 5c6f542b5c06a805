"""After a load, the server's filling builds the pages ahead: the committee's landing page
(the Synthèse view of the latest month for the whole département and its figures) and
each topic page's view and figures as the page opens, at the published threshold, under
the keys the pages compute (dashboard/warm.py `synthese`, `topics`). A first view after
the filling builds nothing; a user of another département is still refused before
anything is read."""

from __future__ import annotations

import functools
import sys
from collections import Counter
from typing import NamedTuple

import pytest

from dashboard import auth, figure_cache, figures, serve, warm
from dashboard.views import synthese as synthese_view
from pipelines import indicators, warehouse
from pipelines.access import User
from tests.conftest import forget_cached_views, run_and_wait_for_filling, run_app

# The builders whose every call is counted: each page's view, and every figure builder
# the pages draw with.
COUNTED = (
    (synthese_view, "_synthese_view"),
    *((sys.modules[build.__module__], build.__name__) for build, _ in warm.TOPIC_VIEWS),
    *((figures, name) for name in ("trend_with_target", "distribution", "stacked", "lines",
                                    "contract_curve")),
)  # fmt: skip
TOPIC_PAGES = ("orientations", "demandeurs", "accompagnement", "delais")


class Filled(NamedTuple):
    """What the filling built (`by_filling`), and each build since, counted (`built`; a
    test clears it before it opens a page)."""

    by_filling: Counter
    built: Counter


@pytest.fixture(scope="module")
def filled(sample_db) -> Filled:
    """One filling from cold caches (the figures' too), the server's filling on at the
    test's priority, each Synthèse view and figure built counted, the filling thread's
    included; shared by the module's tests that open a page after it (a filling costs a
    quarter of a minute): they form the module's xdist group (tests/conftest.py)."""
    counts: Counter = Counter()
    with pytest.MonkeyPatch.context() as mp:
        forget_cached_views()
        figure_cache._figure.clear()
        mp.setenv("PILOTAGE_DB", str(sample_db))
        mp.setenv(serve.PRECHARGEMENT, "1")
        mp.setattr(warm, "_STARTED", set())
        mp.setattr(warm, "lower_priority", lambda: None)
        for module, name in COUNTED:
            real = getattr(module, name)

            @functools.wraps(real)  # the same cache key: module and qualified name
            def counted(*args, real=real, name=name, **kwargs):
                counts[name] += 1
                return real(*args, **kwargs)

            mp.setattr(module, name, counted)
        # the filling calls the topic views it holds: the counted ones
        mp.setattr(warm, "TOPIC_VIEWS", tuple(
            (getattr(sys.modules[build.__module__], build.__name__), charts)
            for build, charts in warm.TOPIC_VIEWS
        ))  # fmt: skip
        # the sign-in form's run starts the filling; wait until it has ended
        run_and_wait_for_filling(_sign_in_form)
        yield Filled(Counter(counts), counts)
        forget_cached_views()
        figure_cache._figure.clear()


@pytest.fixture
def built(filled, sample_db, monkeypatch) -> Counter:
    """The builds counted since the shared filling, from now on."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    filled.built.clear()
    return filled.built


def _sign_in_form() -> None:
    assert not run_app(None).exception


def test_the_synthese_opened_after_the_filling_builds_nothing(filled, built) -> None:
    assert filled.by_filling["_synthese_view"] == 1, "the filling built no Synthèse view"
    assert filled.by_filling["trend_with_target"] and filled.by_filling["distribution"], (
        "nor its figures"
    )
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A"}, "pages/synthese.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and not at.error
    assert built == Counter(), "the first view after the filling built a view or a figure"


@pytest.mark.parametrize("slug", TOPIC_PAGES)
def test_a_topic_page_opened_after_the_filling_builds_nothing(filled, built, slug) -> None:
    """An analyst's first view of each topic page, as it opens (the whole département,
    the latest month, the default period, masked): its view and figures were built by the
    filling (`warm.topics`), under the keys the page computes."""
    view = next(b.__name__ for b, _ in warm.TOPIC_VIEWS if b.__module__.endswith(slug))
    assert filled.by_filling[view] == 1, f"the filling built no {view}"
    at = run_app(User("a", "analyste", ("2A",)), {"dep": "2A"}, f"pages/{slug}.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert built == Counter(), "the first view after the filling built a view or a figure"


def test_a_user_of_another_departement_is_refused_the_prebuilt_view(
    built, sample_db, monkeypatch
) -> None:
    """The page of a 2B user asked for 2A shows no tile; and the view itself, asked for
    2A in that user's session (what a page that forgot its filter would do), is refused
    before the prebuilt view is read, and nothing is built for it."""
    at = run_app(User("x", "comite", ("2B",)), {"dep": "2A"}, "pages/synthese.py")
    assert not at.exception
    assert not at.metric, "a tile shown to a user of another département"
    con = warehouse.open_reader(sample_db)
    try:
        month = max(indicators.months_available(con, "2A"))
    finally:
        con.close()
    built.clear()
    monkeypatch.setattr(auth, "current_user", lambda: User("x", "comite", ("2B",)))
    with pytest.raises(PermissionError):
        synthese_view.synthese_view("2A", month, None)
    assert built == Counter()


def test_the_filling_lets_one_departement_through_outside_a_page_only(
    sample_db, monkeypatch
) -> None:
    """`auth.filling` opens its département alone: another one is still refused, and
    outside a page run a refusal raises (`st.stop` would do nothing there)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    with auth.filling("2A"):
        auth.authorise("2A")
        with pytest.raises(PermissionError):
            auth.authorise("2B")
    with pytest.raises(PermissionError):
        auth.authorise("2A")  # the filling over: no user, refused


class Stopped(Exception):
    """`st.stop` of a refusal inside a page run (simulated: the test has no page run)."""


def test_the_filling_opens_nothing_inside_a_page_run(sample_db, monkeypatch) -> None:
    """Inside a page run the filling's département is never let through, even if the
    run's context held it; and a filling cannot be started from a page."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))

    def stopped() -> None:
        raise Stopped

    monkeypatch.setattr(auth.st, "stop", stopped)
    monkeypatch.setattr(auth, "get_script_run_ctx", lambda suppress_warning=False: object())
    token = auth._FILLING.set("2A")  # as if a page run had inherited it
    try:
        with pytest.raises(Stopped):
            auth.authorise("2A")
    finally:
        auth._FILLING.reset(token)
    with pytest.raises(RuntimeError), auth.filling("2A"):
        pass
