"""Run a dashboard function inside a real Streamlit script run, signed in as a user: the
data layer (dashboard/db.py) reads the user from the session and stops a refused run,
which a plain call outside Streamlit cannot show."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from pipelines.access import User
from tests.conftest import APPTEST_TIMEOUT

RESULT = "resultat_de_test"


def _script(module: str, name: str, args: tuple, kwargs: dict) -> None:
    import importlib

    import streamlit as st

    function = getattr(importlib.import_module(module), name)
    st.session_state["resultat_de_test"] = function(*args, **kwargs)


def sign_in(at: AppTest, user: User) -> int:
    """Put `user` in the AppTest's session as the sign-in form does: an account in the
    access file (created, or brought to this role and these départements) and a live web
    session, which every page run checks (dashboard/auth.py, signed_in_user). Returns the
    session's id."""
    import secrets
    from datetime import datetime

    from pipelines import access
    from pipelines.settings import Settings

    db = Settings.from_env().db_path
    if access.canonical_login(user.login) != user.login:
        _hostile_account(db, user)
    elif access.lookup(db, user.login) != user:  # changing an account revokes its sessions
        pw = secrets.token_urlsafe(16)
        access.add_user(db, user.login, pw, user.role, list(user.departements), by="test")
    session_id = access.open_web_session(db, user.login, cookie=False)[0]
    at.session_state["utilisateur"] = user
    at.session_state["session_web"] = session_id
    at.session_state["derniere_activite"] = datetime.now()
    return session_id


def _hostile_account(db, user: User) -> None:
    """An account whose login `users add` would refuse (a formula, say), written straight
    into the access file: what the hostile-input tests sign in as."""
    import json

    from pipelines import access

    with access.connect(db) as con:
        con.execute(
            "INSERT INTO utilisateur (login, password_hash, role, departements, cree_le, "
            "modifie_le) VALUES (?, 'x', ?, ?, '2026-01-01', '2026-01-01') ON CONFLICT (login) "
            "DO UPDATE SET role = excluded.role, departements = excluded.departements, actif = 1",
            [user.login, user.role, json.dumps(list(user.departements))],
        )


def in_session(user: User, function: Callable, *args, **kwargs) -> AppTest:
    """The finished run of `function(*args, **kwargs)`; its value is `result(at)`."""
    at = AppTest.from_function(
        _script,
        args=(function.__module__, function.__name__, args, kwargs),
        default_timeout=APPTEST_TIMEOUT,
    )
    at.session_state["utilisateur"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def result(at: AppTest):
    """The function's value, or None when the run was stopped before it returned."""
    # AppTest's session state has no .get()
    return at.session_state[RESULT] if RESULT in at.session_state else None  # noqa: SIM401
