"""Streamlit AppTest: every page renders on the sample, an empty and a one-month warehouse,
and Synthèse shows the figures of the indicator layer."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.formatting import fmt_int, fmt_share
from pipelines import indicators, loader, warehouse
from pipelines.access import User
from sample_data.demo import sample_files
from tests.conftest import run_app

PAGES = [
    "pages/synthese.py",
    "pages/orientations.py",
    "pages/demandeurs.py",
    "pages/accompagnement.py",
    "pages/delais.py",
    "pages/cohortes.py",
    "pages/qualite.py",
    "pages/chargement.py",
    "pages/administration.py",
]
TITLES = {
    "Synthèse",
    "Orientations",
    "Demandeurs d'emploi",
    "Accompagnement",
    "Délais et contrats",
    "Cohortes",
    "Qualité des données",
    "Chargement",
    "Administration",
}


ROLE_FOR = {  # a role that may open each page
    "pages/cohortes.py": "analyste",
    "pages/qualite.py": "donnees",
    "pages/chargement.py": "donnees",
    "pages/administration.py": "admin",
}


def _run(page: str | None = None, query: dict | None = None, user: User | None = None) -> AppTest:
    user = user or User("test", ROLE_FOR.get(page or "", "analyste"), ("2A",))
    at = run_app(user, query, page)
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_on_sample(page, sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value in TITLES


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith("administration.py")])
def test_pages_render_on_empty_warehouse(page) -> None:
    at = _run(page)
    assert "Aucun" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_with_one_month(page, settings) -> None:
    path = [p for source, p in sample_files() if source == "pecgm"][-1]
    assert loader.load("pecgm", path, settings).status == "loaded"
    at = _run(page)
    if page.endswith("synthese.py"):
        assert not at.metric[0].delta  # no previous month to compare with


def test_synthese_figures_equal_indicator_layer(sample_db, monkeypatch) -> None:
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    at = _run(query={"dep": "2A", "mois": "2026-06"})
    expected = indicators.summary(warehouse.open_reader(sample_db), "2A", "2026-06")
    assert at.metric[0].value == fmt_int(expected["stock_total"])
    assert at.metric[2].value == fmt_share(expected["cer_notifie_share"])
    assert at.metric[3].value == fmt_share(expected["contact_90j_share"])
    assert at.query_params["mois"] in ("2026-06", ["2026-06"])
    assert at.sidebar.selectbox[1].value == "2026-06"
