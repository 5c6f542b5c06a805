"""After a load, the server's filling builds the committee's landing page ahead: the
Synthèse view of the latest month for the whole département and its figures, at the
published threshold, under the keys the page computes (dashboard/warm.py `synthese`).
A committee member's first view after the filling builds nothing; a user of another
département is still refused before anything is read."""

from __future__ import annotations

import functools
from collections import Counter

import pytest

from dashboard import auth, figure_cache, figures, serve, warm
from dashboard.views import synthese as synthese_view
from pipelines import indicators, warehouse
from pipelines.access import User
from tests.conftest import run_and_wait_for_filling, run_app


@pytest.fixture
def built(monkeypatch, sample_db, cold_caches) -> Counter:
    """Each Synthèse view and figure built, the filling thread's included; the server's
    filling on, from cold caches (the figures' too), at the test's priority."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    monkeypatch.setenv(serve.PRECHARGEMENT, "1")
    monkeypatch.setattr(warm, "_STARTED", set())
    monkeypatch.setattr(warm, "lower_priority", lambda: None)
    figure_cache._figure.clear()
    counts: Counter = Counter()
    for module, name in ((synthese_view, "_synthese_view"), (figures, "trend_with_target"),
                         (figures, "distribution")):  # fmt: skip
        real = getattr(module, name)

        @functools.wraps(real)  # the same cache key: module and qualified name
        def counted(*args, real=real, name=name, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    yield counts
    figure_cache._figure.clear()


def _sign_in_form() -> None:
    assert not run_app(None).exception


def _filled() -> None:
    """The sign-in form's run starts the filling; wait until it has ended."""
    run_and_wait_for_filling(_sign_in_form)


def test_the_synthese_opened_after_the_filling_builds_nothing(built) -> None:
    _filled()
    assert built["_synthese_view"] == 1, "the filling built no Synthèse view"
    assert built["trend_with_target"] and built["distribution"], "nor its figures"
    built.clear()
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A"}, "pages/synthese.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and not at.error
    assert built == Counter(), "the first view after the filling built a view or a figure"


def test_a_user_of_another_departement_is_refused_the_prebuilt_view(
    built, sample_db, monkeypatch
) -> None:
    """The page of a 2B user asked for 2A shows no tile; and the view itself, asked for
    2A in that user's session (what a page that forgot its filter would do), is refused
    before the prebuilt view is read, and nothing is built for it."""
    _filled()
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
