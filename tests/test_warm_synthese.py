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
from pipelines.access import User
from tests.conftest import run_app

FILL_BOUND = 1800  # seconds: a hung filling fails the test instead of the whole run


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


def _filled() -> None:
    """The sign-in form's run starts the filling; wait until it has ended."""
    assert not run_app(None).exception
    thread = warm._THREADS[-1]
    thread.join(timeout=FILL_BOUND)
    assert not thread.is_alive(), "the filling did not end"


def test_the_synthese_opened_after_the_filling_builds_nothing(built) -> None:
    _filled()
    assert built["_synthese_view"] == 1, "the filling built no Synthèse view"
    assert built["trend_with_target"] and built["distribution"], "nor its figures"
    built.clear()
    at = run_app(User("c", "comite", ("2A",)), {"dep": "2A"}, "pages/synthese.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and not at.error
    assert built == Counter(), "the first view after the filling built a view or a figure"


def test_a_user_of_another_departement_is_refused_the_prebuilt_view(built) -> None:
    _filled()
    at = run_app(User("x", "comite", ("2B",)), {"dep": "2A"}, "pages/synthese.py")
    assert not at.exception
    assert not any("2A" in m.value for m in at.metric), "a 2A figure shown to a 2B user"
    assert not any("Département 2A" in c.value for c in at.caption)


class Refused(Exception):
    """`st.stop` of a refusal (a no-op in Streamlit's bare mode: made visible here)."""


def test_the_filling_lets_one_departement_through_outside_a_page_only(
    sample_db, monkeypatch
) -> None:
    """`auth.filling` opens its département alone: another one is still refused."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))

    def refused() -> None:
        raise Refused

    monkeypatch.setattr(auth.st, "stop", refused)
    with auth.filling("2A"):
        auth.authorise("2A")
        with pytest.raises(Refused):
            auth.authorise("2B")
    with pytest.raises(Refused):
        auth.authorise("2A")  # the filling over: no user, refused
