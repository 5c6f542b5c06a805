"""Access control: accounts (argon2, lock-out, idle expiry), roles and navigation,
département scoping of every page and cache, audit trail (append-only)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access, loader
from pipelines.access import User
from pipelines.cli import main
from pipelines.settings import Settings
from tests.conftest import APP, APPTEST_TIMEOUT, TEST_KEY, pecgm_lines, run_app, write_pecgm
from tests.streamlit_session import sign_in

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def two_departements(settings, built_warehouses):
    """A warehouse with a 2A month (40 people) and a 2B month (90 people), built once per
    run and copied for each test."""

    def build(built: Settings, folder: Path) -> None:
        for dep, persons in (("2A", 40), ("2B", 90)):
            path = write_pecgm(
                folder / f"PECGM_{dep}_202610.txt", pecgm_lines(persons=persons, departement=dep)
            )
            assert loader.load("pecgm", path, built).status == "loaded"

    return built_warehouses("pecgm_2A_2B", build)


def _app(user: User | None, query: dict | None = None, page: str | None = None) -> AppTest:
    return run_app(user, query, page)


def test_password_is_stored_as_argon2_and_checked(settings) -> None:
    access.add_user(settings.db_path, "alice", PASSWORD, "comite", ["2A"], by="test")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        stored = con.execute("SELECT password_hash FROM utilisateur").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    user, _ = access.authenticate(settings.db_path, "alice", PASSWORD)
    assert user == User("alice", "comite", ("2A",))
    assert access.authenticate(settings.db_path, "alice", "mauvais")[0] is None


def test_five_failures_lock_the_account_for_15_minutes(settings) -> None:
    access.add_user(settings.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    for _ in range(5):
        user, message = access.authenticate(settings.db_path, "bob", "faux mot de passe")
        assert user is None
        assert message == access.REFUSED  # the lock is silent (docs/securite.md, §18)
    user, message = access.authenticate(settings.db_path, "bob", PASSWORD)  # right, but locked
    assert user is None and message == access.REFUSED
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        until = con.execute("SELECT bloque_jusqua FROM utilisateur").fetchone()[0]
    assert datetime.fromisoformat(until) > datetime.now() + timedelta(minutes=14)
    actions = [r[3] for r in access.audit_rows(settings.db_path)]
    assert actions.count("echec_connexion") == 6


def test_unknown_and_disabled_accounts_get_the_same_message(settings) -> None:
    access.add_user(settings.db_path, "carol", PASSWORD, "comite", ["2A"], by="test")
    access.disable_user(settings.db_path, "carol", by="test")
    assert (
        access.authenticate(settings.db_path, "carol", PASSWORD)[1]
        == access.authenticate(settings.db_path, "personne", PASSWORD)[1]
    )


def test_audit_trail_is_append_only(settings) -> None:
    access.audit(settings.db_path, "alice", "consultation", departement="2A", page="synthese")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        for statement in ("UPDATE audit SET login = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="ajout seul"):
                con.execute(statement)


def test_cli_reads_the_password_from_stdin_never_an_argument(settings) -> None:
    env = {"PILOTAGE_DB": str(settings.db_path), "PILOTAGE_SECRET_KEY": TEST_KEY, "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "users", "add", "dora", "--role", "donnees",
         "--departement", "2a"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=env,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert access.authenticate(settings.db_path, "dora", PASSWORD)[0].departements == ("2A",)
    with pytest.raises(SystemExit) as refused:
        main(["users", "add", "eve", "--role", "chef", "--departement", "2A"])
    assert refused.value.code == 2


def test_login_form_signs_in_and_audits(two_departements) -> None:
    access.add_user(two_departements.db_path, "alice", PASSWORD, "comite", ["2A"], by="test")
    at = _app(None)
    assert at.button[0].label == "Se connecter" or at.get("form")
    at.text_input[0].input("alice")
    at.text_input[1].input("mauvais")
    at.button[0].click().run()
    assert "incorrect" in at.error[0].value
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "Synthèse"
    actions = [r[3] for r in access.audit_rows(two_departements.db_path)]
    assert {"echec_connexion", "connexion", "consultation"} <= set(actions)


def test_session_expires_after_30_idle_minutes(two_departements) -> None:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    at.session_state["utilisateur"] = User("alice", "comite", ("2A",))
    at.session_state["derniere_activite"] = datetime.now() - timedelta(minutes=31)
    at.run()
    assert "expirée" in " ".join(i.value for i in at.info)
    assert not at.title or at.title[0].value == "Pilotage RSA"


@pytest.mark.parametrize(
    "page",
    ["pages/synthese.py", "pages/orientations.py", "pages/demandeurs.py",
     "pages/accompagnement.py", "pages/delais.py"],
)  # fmt: skip
def test_comite_of_2A_sees_no_figure_of_2B(two_departements, page) -> None:
    comite = User("alice", "comite", ("2A",))
    at = _app(comite, {"dep": "2B", "mois": "2026-10"}, page)
    assert not at.exception
    assert at.sidebar.selectbox[0].options == ["2A"]  # 2B is not even offered
    assert at.sidebar.selectbox[0].value == "2A"
    assert at.query_params["dep"] in ("2A", ["2A"])
    if page.endswith("synthese.py"):
        assert at.metric[0].value == "40"  # 2A's 40 people, never 2B's 90
    texts = " ".join(str(m.value) for m in at.metric)
    assert "90" not in texts.split()


@pytest.mark.parametrize(
    "page",
    ["pages/chargement.py", "pages/cohortes.py", "pages/administration.py", "pages/qualite.py"],
)
def test_comite_cannot_open_other_pages_even_by_url(two_departements, page) -> None:
    comite = User("alice", "comite", ("2A",))
    at = _app(comite)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # not in the comité's navigation
    # Reached directly (a URL, or Streamlit's legacy pages mode): the page refuses itself.
    at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=APPTEST_TIMEOUT)
    sign_in(at, comite)
    at.run()
    assert any("rôle ne donne pas accès" in e.value for e in at.error)
    assert not at.get("plotly_chart") and not at.dataframe
    refused = [r for r in access.audit_rows(two_departements.db_path) if r[3] == "acces_refuse"]
    assert refused


def test_analyst_unmasked_view_is_audited(two_departements) -> None:
    analyst = User("ana", "analyste", ("2A",))
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    sign_in(at, analyst)
    at.session_state["non_masque"] = True
    at.run()
    assert any("non masqués" in w.value for w in at.sidebar.warning)
    assert "vue_non_masquee" in [r[3] for r in access.audit_rows(two_departements.db_path)]


HOSTILE = [
    "2B' OR '1'='1",
    "2A'; DROP TABLE pecgm_stock; --",
    "%' UNION SELECT * FROM load_journal --",
    '"; --',
]


@pytest.mark.parametrize(
    "page",
    ["pages/synthese.py", "pages/orientations.py", "pages/demandeurs.py",
     "pages/accompagnement.py", "pages/delais.py", "pages/cohortes.py"],
)  # fmt: skip
@pytest.mark.parametrize("value", HOSTILE)
def test_quotes_and_sql_fragments_in_every_filter_change_nothing(
    two_departements, page, value
) -> None:
    """Every filter comes from the URL; each reaches SQL only as a bound parameter."""
    analyst = User("ana", "analyste", ("2A",))
    query = {"dep": value, "mois": value, "periode": value, "parcours": value}
    at = _app(analyst, query, page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox[0].value == "2A"
    if page.endswith("cohortes.py"):
        at.text_input[0].input(value).run()
        assert not at.exception
    with duckdb.connect(str(two_departements.db_path), read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT departement) FROM pecgm_stock").fetchone()[0] == 2


def test_uploaded_file_names_never_choose_a_path() -> None:
    from dashboard.uploads import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\windows\\win.ini") == "win.ini"
    assert safe_name(".cache") == "cache"
    assert safe_name("LRSA 2A 2026-10 (copie).csv") == "LRSA_2A_2026-10__copie_.csv"
