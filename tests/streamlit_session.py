"""Run a dashboard function inside a real Streamlit script run, signed in as a user: the
data layer (dashboard/db.py) reads the user from the session and stops a refused run,
which a plain call outside Streamlit cannot show."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from pipelines.access import User

RESULT = "resultat_de_test"


def _script(module: str, name: str, args: tuple, kwargs: dict) -> None:
    import importlib

    import streamlit as st

    function = getattr(importlib.import_module(module), name)
    st.session_state["resultat_de_test"] = function(*args, **kwargs)


def in_session(user: User, function: Callable, *args, **kwargs) -> AppTest:
    """The finished run of `function(*args, **kwargs)`; its value is `result(at)`."""
    at = AppTest.from_function(
        _script,
        args=(function.__module__, function.__name__, args, kwargs),
        default_timeout=60,
    )
    at.session_state["utilisateur"] = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def result(at: AppTest):
    """The function's value, or None when the run was stopped before it returned."""
    # AppTest's session state has no .get()
    return at.session_state[RESULT] if RESULT in at.session_state else None  # noqa: SIM401
