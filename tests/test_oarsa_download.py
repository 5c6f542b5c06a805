"""The Bilan DREES page builds its return file (xlsx, six tables) when the analyst clicks
the download button, not at every view: building it took most of a warm view's CPU
(docs/performances.md)."""

from __future__ import annotations

from pipelines import oarsa_export
from pipelines.access import User
from tests.conftest import run_app


def test_a_view_of_the_bilan_builds_no_file(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    built = []
    real = oarsa_export.xlsx_bytes

    def counted(result):
        built.append(result)
        return real(result)

    monkeypatch.setattr(oarsa_export, "xlsx_bytes", counted)
    at = run_app(User("a", "analyste", ("2A",)), {"dep": "2A"}, "pages/oarsa.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value == "Bilan annuel (DREES)"
    assert at.get("download_button"), "the page offers no download"
    assert built == [], "a view built the xlsx file"
