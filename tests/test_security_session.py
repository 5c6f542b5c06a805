"""Security audit (sign-in side): the analyst's unmasked toggle is never inherited by the
next run, the lock-out holds against parallel attempts, typed logins are stored bounded and
keyed-hashed, `users add` refuses unknown départements and look-alike logins."""

from __future__ import annotations

import pytest
from streamlit.runtime import pages_manager
from streamlit.testing.v1 import AppTest, app_test

from pipelines import access, loader, masking
from pipelines.access import User
from tests.conftest import APP, pecgm_lines, write_pecgm

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def served(monkeypatch):
    """AppTest running app.py on every rerun, as `dashboard.serve` does in production (out
    of the box AppTest treats pages/ as a legacy multipage folder and reruns a page alone)."""

    class ServedPagesManager(pages_manager.PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            pages_manager.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test, "PagesManager", ServedPagesManager)
    yield
    pages_manager.PagesManager.uses_pages_directory = None


class _OneScriptThread:
    """What a ContextVar holds when Streamlit chains reruns in one script thread (a widget
    changed during a run, st.rerun): the value the previous run left. AppTest starts a
    fresh thread per run, which would hide an inherited value."""

    def __init__(self) -> None:
        self.value: int | None = None

    def get(self) -> int | None:
        return self.value

    def set(self, value: int | None) -> None:
        self.value = value


@pytest.fixture
def warehouse_2a(settings):
    path = write_pecgm(settings.db_path.parent / "PECGM_2A_202610.txt", pecgm_lines(persons=60))
    assert loader.load("pecgm", path, settings).status == "loaded"
    return settings


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_turning_the_unmasked_toggle_off_masks_the_next_run(served, warehouse_2a, monkeypatch):
    """Two chained reruns of one session: toggle on (unmasked, audited as such), then off
    (masked again, audited as a plain consultation). Nothing is inherited from the run
    before, whatever thread Streamlit runs the script on."""
    monkeypatch.setattr(masking, "_view_threshold", _OneScriptThread())
    db = warehouse_2a.db_path
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["utilisateur"] = User("ana", "analyste", ("2A",))
    at.query_params["dep"] = "2A"
    at.run()
    assert "masqués (« < 11 »)" in _captions(at)
    at.sidebar.toggle[0].set_value(True).run()
    assert "Chiffres non masqués (vue d'analyste" in _captions(at)
    assert access.audit_rows(db, 1)[0][3] == "vue_non_masquee"
    at.sidebar.toggle[0].set_value(False).run()
    assert not at.exception
    assert "Chiffres non masqués (vue d'analyste" not in _captions(at)
    assert "masqués (« < 11 »)" in _captions(at)
    assert access.audit_rows(db, 1)[0][3] == "consultation"
    assert not at.sidebar.warning
