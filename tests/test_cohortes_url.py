"""Cohortes: the two cohortes' choices are in the address (issue 31), so a link reproduces
the comparison: AppTest opens the page with them in the query string and reads them back
in its widgets, then changes one and finds it in the address."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines.access import User
from tests.conftest import APPTEST_TIMEOUT
from tests.streamlit_session import sign_in

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "cohortes.py")

ANALYST = User("analyste.test", "analyste", ("2A",))


def test_cohorte_choices_are_read_from_and_written_to_the_address(sample_db, monkeypatch):
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    query = {"dep": "2A", "horizon": "30", "A_parcours": "social", "B_sexe": "F",
             "A_base": "orientation", "immatures": "exclure"}  # fmt: skip
    at = AppTest.from_file(PAGE, default_timeout=APPTEST_TIMEOUT)
    sign_in(at, ANALYST)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert at.selectbox(key="parcours_A").value == "social"
    assert at.selectbox(key="sexe_B").value == "F"
    assert at.radio(key="base_A").value == "orientation"
    assert at.radio(key="immatures").value == "exclure"
    at.selectbox(key="age_B").select(at.selectbox(key="age_B").options[1]).run()
    assert at.query_params["B_age"] not in (None, "", "None")
    assert at.query_params["A_parcours"] == "social" and at.query_params["horizon"] == "30"
    assert ".." in at.query_params["A_mois"]
