"""Second outside audit, sign-in side (docs/securite.md, §18 and §19): a web session never
outlives its account (every page run checks it; a reset, a role change, a disable revoke it;
10 hours at most even in an active tab), the lock-out tells nobody which logins exist, and
an OpenID Connect identity is only a verified e-mail address."""

from __future__ import annotations

import io
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access
from pipelines.access import User
from pipelines.cli import main
from tests.conftest import APP, APPTEST_TIMEOUT, pecgm_lines, write_pecgm
from tests.streamlit_session import sign_in
from tests.test_security_session import served

__all__ = ["served"]  # app.py at every rerun, as dashboard.serve runs it

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def warehouse(settings):
    from pipelines import loader

    path = write_pecgm(settings.db_path.parent / "PECGM_2A_202610.txt", pecgm_lines(persons=40))
    assert loader.load("pecgm", path, settings).status == "loaded"
    return settings


def _signed_in_by_the_form(login: str = "bob") -> AppTest:
    """An AppTest session signed in through the sign-in form, on the Synthèse page."""
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT).run()
    at.text_input[0].input(login)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.title[0].value == "Synthèse", [e.value for e in at.error]
    return at


def _signed_out(at: AppTest) -> str:
    """The sign-in page's notice, once the run shows the sign-in form and no figure."""
    assert not at.exception, [e.value for e in at.exception]
    assert [t.label for t in at.text_input] == ["Identifiant", "Mot de passe"]
    assert not at.metric and not at.get("plotly_chart")
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize(
    ("change", "argv"),
    [
        ("disable", ["users", "disable", "bob"]),
        ("reset", ["users", "add", "bob", "--role", "analyste", "--departement", "2A"]),
        ("role", ["users", "add", "bob", "--role", "comite", "--departement", "2A"]),
        ("departements", ["users", "add", "bob", "--role", "analyste", "--departement", "2B"]),
    ],
)
def test_an_open_tab_is_signed_out_at_its_next_run_after_an_account_change(
    served, warehouse, monkeypatch, change, argv
) -> None:
    """`users disable`, and `users add` on an existing login (reset, role, départements),
    revoke every web session of the login: the open tab's next run (a click, not a reload)
    shows the sign-in form, and the cookie, replayed, opens nothing."""
    access.add_user(warehouse.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    at = _signed_in_by_the_form()
    session_id = at.session_state["session_web"]
    other_tab = access.open_web_session(warehouse.db_path, "bob")  # a second browser
    cookie = access.redeem_ticket(warehouse.db_path, other_tab[1])
    monkeypatch.setattr("sys.stdin", io.StringIO("un-autre-mot-de-passe\n"))
    assert main(argv) == 0
    at.run()
    assert "Session terminée" in _signed_out(at)
    assert access.check_web_session(warehouse.db_path, session_id) == (None, "revoquee")
    assert access.resume_web_session(warehouse.db_path, cookie)[0] is None
    ends = [r for r in access.audit_rows(warehouse.db_path) if r[3] == "fin_de_session"]
    assert ends and ends[0][2] == "bob"


def test_an_active_tab_ends_10_hours_after_sign_in(served, warehouse) -> None:
    """The lifetime is absolute: a tab used every minute still ends at 10 hours."""
    access.add_user(warehouse.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    at = _signed_in_by_the_form()
    at.run()  # active: each run touches the session
    assert at.title[0].value == "Synthèse"
    signed_in = datetime.now() - access.SESSION_LIFETIME - timedelta(seconds=1)
    with sqlite3.connect(access.access_path(warehouse.db_path)) as con:
        con.execute(
            "UPDATE session_web SET cree_le = ?, expire_le = ?, vu_le = ?",
            [signed_in.isoformat(" "), (datetime.now() - timedelta(seconds=1)).isoformat(" "),
             datetime.now().isoformat(" ")],
        )  # fmt: skip
    at.session_state["derniere_activite"] = datetime.now()  # active a second ago
    at.run()
    assert "10 heures" in _signed_out(at)


def test_a_page_run_alone_checks_the_session_too(warehouse) -> None:
    """A page reached without app.py (legacy pages mode) checks the session in require()."""
    user = User("bob", "analyste", ("2A",))
    at = AppTest.from_file(
        str(Path(APP).parent / "pages" / "synthese.py"), default_timeout=APPTEST_TIMEOUT
    )
    session_id = sign_in(at, user)
    at.run()
    assert not at.exception and at.metric
    access.disable_user(warehouse.db_path, "bob", by="test")
    at.run()
    assert any("Connectez-vous" in e.value for e in at.error) and not at.metric
    assert access.check_web_session(warehouse.db_path, session_id)[0] is None


def test_a_signed_in_state_without_a_web_session_is_refused(served, warehouse) -> None:
    """Only code can put a user in the session without the form; even then, no web
    session in the access file means no page."""
    access.add_user(warehouse.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    at.session_state["utilisateur"] = User("bob", "admin", ("2A", "2B"))
    at.run()
    assert "Session terminée" in _signed_out(at)


def test_the_role_is_read_afresh_at_every_run(served, warehouse) -> None:
    """What a page run believes of the user comes from the access file, not from the
    session state: a state claiming more than the account holds gets the account's role."""
    access.add_user(warehouse.db_path, "bob", PASSWORD, "comite", ["2A"], by="test")
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    sign_in(at, User("bob", "comite", ("2A",)))
    at.session_state["utilisateur"] = User("bob", "admin", ("2A", "2B"))
    at.run()
    assert "Connecté : bob — comité de pilotage" in " ".join(c.value for c in at.sidebar.caption)


def test_signing_out_in_one_tab_ends_the_tab_resumed_from_the_same_cookie(
    served, warehouse
) -> None:
    """A second tab of the same browser resumes the same web session from the cookie:
    signing out in the first revokes it, and the second is signed out at its next click
    (before, it stayed open until it idled or reloaded)."""
    access.add_user(warehouse.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    first = _signed_in_by_the_form()
    second = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    second.session_state["utilisateur"] = User("bob", "analyste", ("2A",))
    second.session_state["session_web"] = first.session_state["session_web"]
    second.session_state["derniere_activite"] = datetime.now()
    second.run()
    assert second.title[0].value == "Synthèse"
    first.sidebar.button[0].click().run()  # « Se déconnecter »
    second.run()
    assert "Session terminée" in _signed_out(second)


def test_a_session_without_cookie_gives_no_ticket(settings) -> None:
    """An OpenID Connect sign-in opens a session row that no ticket, hence no cookie, can
    ever name: the session lives only in the Streamlit session that signed in."""
    access.add_user(settings.db_path, "a@b.fr", PASSWORD, "comite", ["2A"], by="test")
    session_id, ticket = access.open_web_session(settings.db_path, "a@b.fr", cookie=False)
    assert access.redeem_ticket(settings.db_path, ticket) is None
    assert access.check_web_session(settings.db_path, session_id)[1] == "ok"


# --- 2. The lock-out tells nobody which logins exist ---------------------------------------


class _CountingHasher:
    """argon2's hasher, counting its hash and verify calls (the work a refusal costs)."""

    def __init__(self, real) -> None:
        self.real, self.calls = real, 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return self.real.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        self.calls += 1
        return self.real.verify(stored, password)


def test_every_attempt_answers_the_same_for_a_real_and_an_unknown_login(
    settings, monkeypatch
) -> None:
    """Attempt by attempt, the 5th and those after the lock included, a real account and a
    login that names nothing get the same answer after the same argon2 work; the real one
    is locked all the same, and the right password is refused while it lasts."""
    access.add_user(settings.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    access.add_user(settings.db_path, "carol", PASSWORD, "analyste", ["2A"], by="test")
    access.disable_user(settings.db_path, "carol", by="test")
    counter = _CountingHasher(access._hasher())
    monkeypatch.setattr(access, "_hasher", lambda: counter)
    # A real account, an unknown login, a disabled account, a login no account can have.
    logins = ("bob", "personne", "carol", "ali\u200bce")
    for attempt in range(1, access.MAX_FAILURES + 3):
        answers = []
        for login in logins:
            counter.calls = 0
            user, message = access.authenticate(settings.db_path, login, "pas le bon")
            answers.append((user, message, counter.calls))
        assert set(answers) == {(None, access.REFUSED, 1)}, (attempt, answers)
    counter.calls = 0
    assert access.authenticate(settings.db_path, "bob", PASSWORD) == (None, access.REFUSED)
    assert counter.calls == 1
    outcomes = [r[6] for r in access.audit_rows(settings.db_path) if r[2] == "bob"]
    assert "verrouille" in outcomes  # the admin reads it in the audit, the stranger never


def test_the_sign_in_form_shows_the_same_text_for_both(settings) -> None:
    access.add_user(settings.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    shown = {}
    for login in ("bob", "personne"):
        at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT).run()
        for _ in range(access.MAX_FAILURES + 1):
            at.text_input[0].input(login)
            at.text_input[1].input("pas le bon mot de passe")
            at.button[0].click().run()
            shown.setdefault(login, []).append([e.value for e in at.error])
    assert shown["bob"] == shown["personne"]
    assert all(m == [access.REFUSED] for m in shown["bob"])


def test_users_unlock_lifts_the_lock(settings, capsys) -> None:
    access.add_user(settings.db_path, "bob", PASSWORD, "analyste", ["2A"], by="test")
    for _ in range(access.MAX_FAILURES):
        access.authenticate(settings.db_path, "bob", "pas le bon")
    assert access.authenticate(settings.db_path, "bob", PASSWORD)[0] is None  # locked
    assert main(["users", "unlock", "BOB"]) == 0
    assert "déverrouillé" in capsys.readouterr().out
    assert access.authenticate(settings.db_path, "bob", PASSWORD)[0] is not None
    assert "deverrouillage_utilisateur" in [r[3] for r in access.audit_rows(settings.db_path)]
    assert main(["users", "unlock", "personne"]) != 0
    assert "Compte inconnu" in capsys.readouterr().err


# --- 11. OpenID Connect identities ---------------------------------------------------------

VERIFIED = {"sub": "s1", "email": "agent@exemple.fr", "email_verified": True}


@pytest.mark.parametrize(
    ("claims", "refusal"),
    [
        ({**VERIFIED, "email_verified": False}, "n'est pas vérifiée"),
        ({k: v for k, v in VERIFIED.items() if k != "email_verified"}, "n'est pas vérifiée"),
        ({**VERIFIED, "email_verified": "false"}, "n'est pas vérifiée"),
        ({"sub": "s1", "preferred_username": "admin"}, "n'a pas transmis"),
        ({"sub": "s1", "preferred_username": "admin", "email": "x@y.fr"}, "n'est pas vérifiée"),
        ({k: v for k, v in VERIFIED.items() if k != "sub"}, "n'a pas transmis"),
        ({**VERIFIED, "email": ""}, "n'a pas transmis"),
        ({**VERIFIED, "email": "admin"}, "n'est pas valide"),  # no @: a local-looking login
        ({**VERIFIED, "email": "ad\u200bmin@exemple.fr"}, "n'est pas valide"),
    ],
)
def test_an_oidc_identity_is_only_a_verified_email(claims, refusal) -> None:
    login, message = access.oidc_identity(claims)
    assert login is None and refusal in message and message.startswith("Connexion refusée")


def test_an_oidc_preferred_username_never_names_the_account() -> None:
    claims = {**VERIFIED, "preferred_username": "admin", "name": "admin"}
    assert access.oidc_identity(claims) == ("agent@exemple.fr", "")
    assert access.oidc_identity({**VERIFIED, "email": "Agent@Exemple.FR"})[0] == (
        "agent@exemple.fr"
    )
