"""The France Travail collection in the dashboard (Streamlit AppTest): the Accompagnement
section, masked, and the Chargement panel (data stewards only) with its report."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipelines import loader
from pipelines.access import User
from pipelines.francetravail import collecte
from pipelines.settings import FranceTravailSettings
from sample_data.demo import sample_files
from tests.conftest import APPTEST_TIMEOUT, run_app
from tests.ft_standin import StandIn
from tests.streamlit_session import sign_in
from tests.test_france_travail import _cgpem

SECTION = "Situation à France Travail et freins périphériques"


@pytest.fixture
def collected(settings, tmp_path, monkeypatch):
    """October 2026: one PECGM month, a CGPEM file of the stand-in's persons, and the
    collection of that file."""
    pecgm = [p for source, p in sample_files() if source == "pecgm"][-1]
    assert loader.load("pecgm", pecgm, settings).status == "loaded"
    with StandIn(people=60, unknown=8, uncertified=2, homonyms=3) as api:
        for k, v in api.env().items():
            monkeypatch.setenv(k, v)
        natures = (["05", "06", "01", "03"] * 19)[: len(api.persons)]
        cgpem = _cgpem(tmp_path / "cgpem.csv", api.persons, natures)
        assert loader.load("cgpem", cgpem, settings, "2A").status == "loaded"
        outcome = collecte.collect(
            cgpem, settings, FranceTravailSettings.from_env(), "2A", today=date(2026, 10, 25)
        )
        assert outcome.status == "loaded"
        yield outcome


def test_accompagnement_shows_the_section_masked(collected) -> None:
    at = run_app(
        User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"}, "pages/accompagnement.py"
    )
    assert not at.exception, [e.value for e in at.exception]
    assert SECTION in [s.value for s in at.subheader]
    assert any("25/10/2026" in c.value for c in at.caption)
    labels = [m.label for m in at.metric]
    assert "Part réellement inscrite" in labels
    frames = [d.value for d in at.dataframe]
    freins = next(f for f in frames if "thématique" in f.columns)
    assert set(freins["thématique"]) >= {"Mobilité", "Logement"}
    for shown in freins["personnes avec une contrainte"]:  # small counts never printed
        digits = re.sub(r"\D", "", shown)
        assert shown.startswith("<") or int(digits) >= 11 or int(digits) == 0


def test_accompagnement_without_collection_says_so(settings) -> None:
    pecgm = [p for source, p in sample_files() if source == "pecgm"][-1]
    assert loader.load("pecgm", pecgm, settings).status == "loaded"
    at = run_app(
        User("c", "comite", ("2A",)), {"dep": "2A", "mois": "2026-10"}, "pages/accompagnement.py"
    )
    assert not at.exception
    assert any("Aucune collecte" in i.value for i in at.info)


def test_chargement_panel_is_for_data_stewards_and_shows_the_report(collected) -> None:
    admin = run_app(User("a", "admin", ("2A",)), page="pages/chargement.py")
    assert not admin.exception
    assert any("Réservé au rôle" in c.value for c in admin.caption)
    assert not [b for b in admin.button if b.label == "Lancer la collecte"]

    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    sign_in(at, User("d", "donnees", ("2A",)))
    report = collected.report.to_dict()
    at.session_state["ft_rapport"] = (collected.status, collected.message, report)
    at.run()
    at.switch_page("pages/chargement.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    button = next(b for b in at.button if b.label == "Lancer la collecte")
    assert button.disabled  # no file yet
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Trouvées"] == str(report["collecte"]["trouvees"])
    assert metrics["Non trouvées"] == str(report["collecte"]["non_trouvees"])
    assert (metrics["Identité non certifiée"], metrics["Homonymes"]) == ("2", "3")
    mix = next(d.value for d in at.dataframe if "parcours" in d.value.columns)
    assert set(mix["source"]) == {"cgpem", "france_travail"}
    codes = next(d.value for d in at.dataframe if "code retour" in d.value.columns)
    assert (
        dict(zip(codes["code retour"], codes["personnes"], strict=True))
        == report["collecte"]["par_code_retour"]
    )


def test_qualite_page_lists_the_collection(collected) -> None:
    at = run_app(User("d", "donnees", ("2A",)), page="pages/qualite.py")
    assert not at.exception, [e.value for e in at.exception]
    assert any("statut" in d.value.to_string() for d in at.dataframe)


def test_the_panel_collects_an_uploaded_file_with_progress(settings, tmp_path, monkeypatch) -> None:
    """The button's action (file uploads cannot be driven by AppTest): the uploaded copy is
    collected, a progress bar drawn, the report kept for the page, the copy deleted."""
    from streamlit.testing.v1 import AppTest

    from tests.test_france_travail import write_input

    def script() -> None:
        import os
        from pathlib import Path

        import streamlit as st

        from dashboard import france_travail
        from pipelines.access import User
        from pipelines.settings import FranceTravailSettings, Settings

        class Upload:
            name = "reprise de stock.csv"

            def getvalue(self) -> bytes:
                return Path(os.environ["FICHIER_DE_TEST"]).read_bytes()

        france_travail._run(
            User("d", "donnees", ("2A",)),
            Settings.from_env(),
            FranceTravailSettings.from_env(),
            Upload(),
            None,
            "2A",
        )
        france_travail.show_report(*st.session_state["ft_rapport"])

    with StandIn(people=12, unknown=2) as api:
        for k, v in api.env().items():
            monkeypatch.setenv(k, v)
        monkeypatch.setenv("FICHIER_DE_TEST", str(write_input(tmp_path / "f.csv", api.persons)))
        at = AppTest.from_function(script, default_timeout=APPTEST_TIMEOUT)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert api.calls["recherche"] == 14
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Trouvées"], metrics["Non trouvées"], metrics["En erreur"]) == ("12", "2", "0")
    assert any("chargement n°" in s.value for s in at.success)
    assert not list((settings.db_path.parent / "depots").rglob("*.csv"))
