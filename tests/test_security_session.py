"""Security audit (sign-in side): the analyst's unmasked toggle is never inherited by the
next run, the lock-out holds against parallel attempts, typed logins are stored bounded and
keyed-hashed, `users add` refuses unknown départements and look-alike logins."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from streamlit.runtime import pages_manager
from streamlit.testing.v1 import AppTest, app_test

from pipelines import access, loader, masking
from pipelines.access import User
from pipelines.errors import UsageError
from tests.conftest import APP, APPTEST_TIMEOUT, pecgm_lines, write_pecgm
from tests.streamlit_session import sign_in

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
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    sign_in(at, User("ana", "analyste", ("2A",)))
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


def _account(settings, login: str = "bob") -> None:
    access.add_user(settings.db_path, login, PASSWORD, "analyste", ["2A"], by="test")


def test_64_parallel_wrong_passwords_lock_the_account(settings) -> None:
    """The failure count and the lock are one step: of 64 wrong passwords sent at once, at
    most MAX_FAILURES are verified, the account ends locked, and the right password is then
    refused too."""
    _account(settings)
    start = threading.Barrier(64)

    def attempt(_: int) -> str:
        start.wait()
        return access.authenticate(settings.db_path, "bob", "pas le bon mot de passe")[1]

    with ThreadPoolExecutor(max_workers=64) as pool:
        messages = list(pool.map(attempt, range(64)))
    assert set(messages) == {access.REFUSED}  # the lock is never told (§18)
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        until = con.execute("SELECT bloque_jusqua FROM utilisateur").fetchone()[0]
    assert until is not None and datetime.fromisoformat(until) > datetime.now()
    assert access.authenticate(settings.db_path, "bob", PASSWORD) == (None, access.REFUSED)
    outcomes = [r[6] for r in access.audit_rows(settings.db_path) if r[3] == "echec_connexion"]
    assert len(outcomes) == 65 and 1 <= outcomes.count("echec") <= access.MAX_FAILURES


def test_the_lock_expires_and_a_right_password_gives_its_attempt_back(settings) -> None:
    _account(settings)
    for _ in range(access.MAX_FAILURES - 1):
        access.authenticate(settings.db_path, "bob", "pas le bon mot de passe")
    assert access.authenticate(settings.db_path, "bob", PASSWORD)[0] is not None
    for _ in range(access.MAX_FAILURES - 1):  # the count started again from zero
        assert access.authenticate(settings.db_path, "bob", "faux")[1] == access.REFUSED
    past = (datetime.now() - timedelta(minutes=1)).isoformat(" ")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        con.execute("UPDATE utilisateur SET echecs = 5, bloque_jusqua = ?", [past])
    assert access.authenticate(settings.db_path, "bob", PASSWORD)[0] is not None


def test_a_password_typed_as_login_is_kept_only_as_a_keyed_hash(settings) -> None:
    secret = "Mon-Mot-De-Passe-Tape-Au-Mauvais-Endroit"
    for typed in (secret, secret, "x" * 10_000_000):
        assert access.authenticate(settings.db_path, typed, "y" * 10_000_000)[0] is None
    rows = access.audit_rows(settings.db_path)
    files = access.access_path(settings.db_path).parent.glob("*.acces.sqlite*")  # WAL too
    stored = b"".join(f.read_bytes() for f in files)
    assert secret.encode() not in stored and secret.lower().encode() not in stored
    assert len(stored) < 1_000_000
    logins = [r[2] for r in rows]
    assert all(re.fullmatch(r"inconnu:[0-9a-f]{16}", login) for login in logins), logins
    assert logins[1] == logins[2] != logins[0]  # the same text stays linkable
    # The hash is keyed: without the access secret (a file beside, not in, the audit) it
    # cannot be recomputed from a guess.
    assert hashlib.sha256(secret.encode()).hexdigest()[:16] not in logins[1]
    assert oct(access.secret_path(settings.db_path).stat().st_mode & 0o777) == "0o600"


def test_audit_bounds_every_text(settings) -> None:
    access.audit(settings.db_path, "a" * 5000, "export", fichier="f" * 5000)
    login, details = (
        access.audit_rows(settings.db_path, 1)[0][2],
        access.audit_rows(settings.db_path, 1)[0][5],
    )
    assert login.startswith("inconnu:") and len(details) < 2 * access.MAX_DETAIL


def test_login_form_caps_what_can_be_typed(settings) -> None:
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT).run()
    assert at.text_input[0].max_chars == access.MAX_LOGIN
    assert at.text_input[1].max_chars == access.MAX_PASSWORD


@pytest.mark.parametrize("code", ["20", "00", "96", "977", "2C", "3", "2A;2B", "75 ", ""])
def test_users_add_refuses_a_departement_that_does_not_exist(settings, code) -> None:
    if code.strip() == "75":
        _account(settings, "ok")  # surrounding spaces are only trimmed
        assert access.lookup(settings.db_path, "ok").departements == ("2A",)
        return
    with pytest.raises(UsageError, match="inconnu : codes attendus 01 à 19, 2A"):
        access.add_user(settings.db_path, "carol", PASSWORD, "comite", [code], by="test")
    assert access.list_users(settings.db_path) == []


@pytest.mark.parametrize("code", ["01", "19", "21", "95", "2a", "2B", "971", "976"])
def test_users_add_accepts_every_existing_departement(settings, code) -> None:
    access.add_user(settings.db_path, "carol", PASSWORD, "comite", [code], by="test")
    assert access.lookup(settings.db_path, "carol").departements == (code.upper(),)


@pytest.mark.parametrize(
    ("login", "why"),
    [
        ("ali\u200bce", "invisible"),  # zero-width space
        ("alice\u202e", "invisible"),  # right-to-left override
        ("ali\x07ce", "invisible"),
        ("\u0430lice", "hors ASCII"),  # Cyrillic a
        ("élodie", "hors ASCII"),
        ("alice bob", "lettres a-z"),
        ("-alice", "lettres a-z"),
        ("a" * 300, "trop long"),
    ],
)
def test_users_add_refuses_look_alike_logins(settings, login, why) -> None:
    with pytest.raises(UsageError, match=why):
        access.add_user(settings.db_path, login, PASSWORD, "comite", ["2A"], by="test")
    assert access.list_users(settings.db_path) == []


def test_logins_are_stored_canonical_so_look_alikes_meet_one_account(settings) -> None:
    """NFKC folds full-width letters; case is folded: 'Ａlice' and 'ALICE' are 'alice'."""
    assert access.add_user(settings.db_path, "\uff21lice", PASSWORD, "comite", ["2A"], by="t") == (
        "alice"
    )
    access.add_user(settings.db_path, "ALICE", PASSWORD, "analyste", ["2A"], by="t")
    assert [r[0] for r in access.list_users(settings.db_path)] == ["alice"]
    assert access.authenticate(settings.db_path, "Alice", PASSWORD)[0].role == "analyste"
    assert access.authenticate(settings.db_path, "ali\u200bce", PASSWORD)[0] is None


def test_cli_users_add_refuses_an_unknown_departement(settings, capsys) -> None:
    from pipelines.cli import main

    with pytest.raises(SystemExit) as refused:  # the option's own check, before any command
        main(["users", "add", "dora", "--role", "donnees", "--departement", "20"])
    assert refused.value.code == 2 and "codes attendus" in capsys.readouterr().err


def _signed_in(settings) -> tuple[int, str]:
    """A session opened at sign-in and its cookie, as the browser would hold it."""
    _account(settings)
    session_id, ticket = access.open_web_session(settings.db_path, "bob")
    cookie = access.redeem_ticket(settings.db_path, ticket)
    assert cookie is not None
    return session_id, cookie


def test_a_ticket_gives_one_cookie_once_and_only_for_a_minute(settings) -> None:
    _account(settings)
    _, ticket = access.open_web_session(settings.db_path, "bob")
    cookie = access.redeem_ticket(settings.db_path, ticket)
    assert access.redeem_ticket(settings.db_path, ticket) is None  # replayed
    assert access.resume_web_session(settings.db_path, cookie)[0].login == "bob"
    _, late = access.open_web_session(settings.db_path, "bob")
    past = (datetime.now() - timedelta(seconds=1)).isoformat(" ")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        con.execute(
            "UPDATE session_web SET ticket_expire = ? WHERE ticket_empreinte IS NOT NULL", [past]
        )
    assert access.redeem_ticket(settings.db_path, late) is None
    stored = b"".join(f.read_bytes() for f in settings.db_path.parent.glob("*.acces.sqlite*"))
    assert cookie.split(".")[0].encode() not in stored and ticket.encode() not in stored


def test_a_forged_or_altered_cookie_opens_nothing(settings) -> None:
    _, cookie = _signed_in(settings)
    token, mac = cookie.split(".")
    other = "B" if token.endswith("A") else "A"  # an altered token, never the same one
    for forged in (f"{token}.{'0' * 32}", f"{token[:-1]}{other}.{mac}", token, "", "." * 300):
        assert access.resume_web_session(settings.db_path, forged)[0] is None


def test_revoked_idle_expired_and_disabled_sessions_are_refused(settings) -> None:
    session_id, cookie = _signed_in(settings)
    access.revoke_web_session(settings.db_path, session_id)  # sign-out
    assert access.resume_web_session(settings.db_path, cookie)[:3:2] == (None, "revoquee")

    cookie = access.redeem_ticket(
        settings.db_path, access.open_web_session(settings.db_path, "bob")[1]
    )
    idle = (datetime.now() - access.IDLE_TIMEOUT - timedelta(minutes=1)).isoformat(" ")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        con.execute("UPDATE session_web SET vu_le = ?", [idle])
    assert access.resume_web_session(settings.db_path, cookie)[::2] == (None, "expiration")
    assert access.resume_web_session(settings.db_path, cookie)[::2] == (None, "revoquee")

    cookie = access.redeem_ticket(
        settings.db_path, access.open_web_session(settings.db_path, "bob")[1]
    )
    old = (datetime.now() - timedelta(seconds=1)).isoformat(" ")
    with sqlite3.connect(access.access_path(settings.db_path)) as con:
        con.execute("UPDATE session_web SET expire_le = ? WHERE revoque_le IS NULL", [old])
    assert access.resume_web_session(settings.db_path, cookie)[::2] == (None, "perimee")

    cookie = access.redeem_ticket(
        settings.db_path, access.open_web_session(settings.db_path, "bob")[1]
    )
    access.disable_user(settings.db_path, "bob", by="test")
    assert access.resume_web_session(settings.db_path, cookie)[0] is None


def test_idle_timeout_in_the_app_revokes_the_web_session(settings) -> None:
    """The 30-minute timeout ends the server-side session too, not only Streamlit's."""
    session_id, cookie = _signed_in(settings)
    at = AppTest.from_file(APP, default_timeout=APPTEST_TIMEOUT)
    at.session_state["utilisateur"] = User("bob", "analyste", ("2A",))
    at.session_state["session_web"] = session_id
    at.session_state["derniere_activite"] = datetime.now() - timedelta(minutes=31)
    at.run()
    assert "expirée" in " ".join(i.value for i in at.info)
    assert access.resume_web_session(settings.db_path, cookie)[::2] == (None, "revoquee")


def test_the_cookie_routes_set_an_httponly_cookie_once_and_revoke_it(settings) -> None:
    import asyncio

    import httpx
    from starlette.applications import Starlette

    from dashboard import web

    _account(settings)
    _, ticket = access.open_web_session(settings.db_path, "bob")

    async def exchange() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=Starlette(routes=web.routes()))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            forged = await c.post(web.SESSION_PATH, content="faux")
            good = await c.post(
                web.SESSION_PATH, content=ticket, headers={"X-Forwarded-Proto": "https"}
            )
            replayed = await c.post(web.SESSION_PATH, content=ticket)
            by_url = await c.get(web.SESSION_PATH, params={"ticket": ticket})
            c.cookies.set(access.SESSION_COOKIE, good.cookies[access.SESSION_COOKIE])
            ended = await c.post(web.END_PATH)
            return [forged, good, replayed, by_url, ended]

    forged, good, replayed, by_url, ended = asyncio.run(exchange())
    assert (forged.status_code, good.status_code, replayed.status_code) == (403, 204, 403)
    assert by_url.status_code == 405  # never through a URL
    header = good.headers["set-cookie"].lower()
    for attribute in ("httponly", "samesite=strict", "secure", "path=/", "max-age=36000"):
        assert attribute in header, header
    cookie = good.cookies[access.SESSION_COOKIE]
    assert ended.status_code == 204 and "max-age=0" in ended.headers["set-cookie"].lower()
    assert access.resume_web_session(settings.db_path, cookie)[::2] == (None, "revoquee")
