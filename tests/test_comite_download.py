"""The committee PDF on the Synthèse page (AppTest): built on request under a French
status that says it is being built, then offered by a download button."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import comite, comite_download
from pipelines.access import User
from tests.conftest import run_app

QUERY = {"dep": "2A", "mois": "2026-10"}


@dataclass
class _Fake:
    pdf: bytes


def _building(calls: list) -> callable:
    """A stand-in for `comite.generate` (the real one takes 15–45 s, covered by
    tests/test_comite.py) that notes, while it runs, the status around it on the page."""
    from streamlit.delta_generator_singletons import context_dg_stack
    from streamlit.elements.lib.mutable_status_container import StatusContainer

    def generate(con, departement, month, **_):
        around = context_dg_stack.get()[-1]
        status = around if isinstance(around, StatusContainer) else None
        calls.append(
            (
                departement,
                month,
                status._current_proto.expandable.label if status else None,
                status._current_state if status else None,
            )
        )
        return _Fake(b"%PDF-1.7 rapport")

    return generate


def _download_buttons(at) -> list:
    """The report's download buttons (the page has CSV ones too)."""
    return [e for e in at.get("download_button") if e.proto.label == comite_download.DOWNLOAD]


def test_the_report_is_built_under_a_french_status_then_downloaded(sample_db, monkeypatch):
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    calls: list = []
    monkeypatch.setattr(comite, "generate", _building(calls))
    at = run_app(User("comite.2a", "comite", ("2A",)), QUERY)
    assert not at.exception, at.exception
    prepare = [b for b in at.button if b.label == comite_download.PREPARE]
    assert prepare and not _download_buttons(at)  # nothing built before it is asked for
    assert not calls

    prepare[0].click().run()
    assert not at.exception, at.exception
    # While the report was being built, a running status said so, in French.
    assert calls == [("2A", "2026-10", comite_download.BUILDING, "running")]
    assert comite_download.BUILDING.startswith("Préparation du rapport du comité…")
    assert [(s.label, s.state) for s in at.status] == [(comite_download.READY, "complete")]
    assert len(_download_buttons(at)) == 1

    at.run()  # another run of the page: the built report is kept, not built again
    assert len(calls) == 1 and len(_download_buttons(at)) == 1


def test_the_data_steward_is_offered_no_report(sample_db, monkeypatch):
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = run_app(User("donnees.2a", "donnees", ("2A",)), QUERY)
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == comite_download.PREPARE]
