"""The figure cache (dashboard/figure_cache.py) serves a figure only to the view it was
built for: same arguments, same département, same masking threshold, same warehouse
generation. One user never gets another département's figure, the committee never gets
an analyst's unmasked one, and a load that commits shows the new data at once."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import figure_cache
from pipelines import loader, masking
from tests.conftest import pecgm_lines, write_pecgm

BUILT: list[str] = []


def counted(title: str) -> go.Figure:
    """A figure builder that records each build."""
    BUILT.append(title)
    return go.Figure(layout={"title": {"text": title}})


def _view(departement: str, limit: int, title: str) -> None:
    import streamlit as st

    from dashboard import figure_cache
    from pipelines import masking
    from tests.test_figure_cache import counted

    st.query_params["dep"] = departement  # the sidebar's département, as filters.pick keeps it
    masking.set_view_threshold(limit)  # as auth.require sets it for the user's role
    st.session_state["figure"] = figure_cache.figure(counted, title)


def served(departement: str, limit: int, title: str = "Décisions") -> go.Figure:
    """The figure a view of `departement` at masking threshold `limit` is served."""
    at = AppTest.from_function(_view, args=(departement, limit, title), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.session_state["figure"]


@pytest.fixture(autouse=True)
def empty_cache():
    figure_cache._figure.clear()
    BUILT.clear()
    yield
    figure_cache._figure.clear()


def test_a_figure_is_built_once_per_view() -> None:
    first = served("2A", masking.committee_threshold())
    assert served("2A", masking.committee_threshold()) is first
    assert BUILT == ["Décisions"]
    served("2A", masking.committee_threshold(), "Contrats")  # other arguments, other figure
    assert BUILT == ["Décisions", "Contrats"]


def test_another_departement_never_gets_the_figure() -> None:
    mine = served("2A", masking.committee_threshold())
    theirs = served("2B", masking.committee_threshold())
    assert theirs is not mine
    assert BUILT == ["Décisions", "Décisions"]


def test_the_committee_never_gets_an_analysts_unmasked_figure() -> None:
    """The analyst's unmasked view (threshold 1, auth.mask_limit) first, then the
    committee's view of the same département and arguments: built anew, both ways."""
    unmasked = served("2A", 1)
    committee = served("2A", masking.committee_threshold())
    assert committee is not unmasked
    assert served("2A", 1) is unmasked
    assert served("2A", masking.committee_threshold()) is committee
    assert len(BUILT) == 2


def test_a_load_that_commits_invalidates_the_figures(settings) -> None:
    """The key holds the warehouse generation (dashboard/db.generation): after a real
    load the same view is built again from the new data."""
    path = write_pecgm(settings.db_path.parent.parent / "in" / "p.txt", pecgm_lines(20))
    assert loader.load("pecgm", path, settings).status == "loaded"
    before = served("2A", masking.committee_threshold())
    assert served("2A", masking.committee_threshold()) is before
    later = write_pecgm(path.with_name("q.txt"), pecgm_lines(20, month="2026-09"))
    assert loader.load("pecgm", later, settings).status == "loaded"
    after = served("2A", masking.committee_threshold())
    assert after is not before
    assert BUILT == ["Décisions", "Décisions"]


def _chart_specs(user, unmasked: bool = False) -> list[str]:
    """The Orientations page's charts, as sent to the browser, for `user` (an analyst may
    have asked for unmasked figures)."""
    from pathlib import Path

    from dashboard import auth
    from tests.streamlit_session import sign_in

    page = Path(__file__).resolve().parents[1] / "pages" / "orientations.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    sign_in(at, user)
    if unmasked:
        at.session_state[auth.SESSION_UNMASKED] = True
    at.query_params["dep"] = "2A"
    at.query_params["mois"] = "2026-06"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [chart.proto.spec for chart in at.get("plotly_chart")]


def test_a_page_never_serves_the_analysts_unmasked_charts_to_the_committee(
    sample_db, monkeypatch
) -> None:
    """Through a real page: the committee's charts after an analyst's unmasked view are
    those the committee gets from an empty cache."""
    from pipelines.access import User

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    committee, analyst = User("c", "comite", ("2A",)), User("a", "analyste", ("2A",))
    alone = _chart_specs(committee)
    figure_cache._figure.clear()
    unmasked = _chart_specs(analyst, unmasked=True)
    assert unmasked != alone, "no masked cell on this page: the test would prove nothing"
    assert _chart_specs(committee) == alone


def _synthese(user, unmasked: bool = False) -> list:
    """The Synthèse page's tiles and their context lines, as `user` sees them."""
    from pathlib import Path

    from dashboard import auth
    from tests.streamlit_session import sign_in

    page = Path(__file__).resolve().parents[1] / "pages" / "synthese.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    sign_in(at, user)
    if unmasked:
        at.session_state[auth.SESSION_UNMASKED] = True
    at.query_params["dep"] = "2A"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [(m.label, m.value, m.delta) for m in at.metric] + [c.value for c in at.caption]


@pytest.fixture
def empty_views():
    cached = figure_cache._view  # a test may wrap it
    cached.clear()
    yield
    cached.clear()


def test_the_synthese_tiles_are_built_once_per_view(sample_db, monkeypatch, empty_views) -> None:
    """The tiles and their year-ago and 12-month context (some 40 cached reads) are built
    by the first view, served to the next ones of the same data and threshold."""
    from dashboard import headlines
    from pipelines.access import User

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    built = []
    real = headlines.headline
    monkeypatch.setattr(headlines, "headline", lambda *a, **k: built.append(a[2]) or real(*a, **k))
    committee = User("c", "comite", ("2A",))
    first = _synthese(committee)
    assert _synthese(committee) == first
    assert len(built) == 1


def test_the_committee_never_gets_an_analysts_unmasked_synthese(
    sample_db, monkeypatch, empty_views
) -> None:
    """The analyst's unmasked Synthèse first, then the committee's: the committee's is
    the one it gets from an empty cache."""
    from pipelines.access import User

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    committee, analyst = User("c", "comite", ("2A",)), User("a", "analyste", ("2A",))
    alone = _synthese(committee)
    figure_cache._view.clear()
    figure_cache._figure.clear()
    unmasked = _synthese(analyst, unmasked=True)
    assert unmasked != alone, "no masked tile in the demo: the test would prove nothing"
    assert _synthese(committee) == alone


def test_a_cached_synthese_is_never_served_to_another_departement(
    sample_db, monkeypatch, empty_views
) -> None:
    """The view cache authorises the département before it serves: a user of 2B asking
    2A's Synthèse, once 2A's is cached, is refused."""
    from pipelines.access import User

    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    from dashboard.views.synthese import synthese_view
    from tests.streamlit_session import in_session, result

    months = []
    monkeypatch.setattr(  # the month the page showed, to ask the same view again
        figure_cache, "_view", _recording(figure_cache._view, months)
    )
    _synthese(User("c", "comite", ("2A",)))
    assert months, "the page did not go through the view cache"
    at = in_session(User("x", "comite", ("2B",)), synthese_view, "2A", months[0], None)
    assert result(at) is None
    assert [e.value for e in at.error] == ["Vous n'avez pas accès aux données de ce département."]


def _recording(cached, months: list):
    def record(name, generation, departement, limit, stamp, args, _build):
        months.append(args[1])
        return cached(name, generation, departement, limit, stamp, args, _build)

    return record
