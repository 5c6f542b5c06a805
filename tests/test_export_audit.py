"""A download built on click is audited when its file leaves the server, under the login
and masking of the view that drew the button (dashboard/auth.py `audited_on_delivery`):
Streamlit builds it on a thread of its own, where the page's session is not readable."""

from __future__ import annotations

import json

import pytest

from dashboard import auth
from pipelines import access
from pipelines.access import User


def _exports(db) -> list[tuple]:
    return [r for r in access.audit_rows(db, 50) if r[3] == "export"]


def _drawn(monkeypatch, tmp_path, user: User | None, limit: int):
    db = tmp_path / "pilotage.duckdb"
    monkeypatch.setattr(auth, "db_path", lambda: db)
    monkeypatch.setattr(auth, "current_user", lambda: user)
    monkeypatch.setattr(auth, "mask_limit", lambda: limit)
    return db


def test_nothing_is_audited_until_the_file_is_built(monkeypatch, tmp_path) -> None:
    db = _drawn(monkeypatch, tmp_path, User("ana", "analyste", ("2A",)), 11)
    deliver = auth.audited_on_delivery("categorie_2A_2026-06.csv", lambda: b"code;effectif\n")
    assert _exports(db) == []
    # drawn, then built later on another thread: what the view was is what is recorded
    monkeypatch.setattr(auth, "current_user", lambda: None)
    monkeypatch.setattr(auth, "mask_limit", lambda: 1)
    assert deliver() == b"code;effectif\n"
    [row] = _exports(db)
    assert row[2] == "ana"
    assert json.loads(row[5]) == {"fichier": "categorie_2A_2026-06.csv", "non_masque": False}


def test_an_unmasked_export_says_so(monkeypatch, tmp_path) -> None:
    db = _drawn(monkeypatch, tmp_path, User("ana", "analyste", ("2A",)), 1)
    auth.audited_on_delivery("x.csv", lambda: b"")()
    [row] = _exports(db)
    assert json.loads(row[5])["non_masque"] is True


def test_a_build_that_fails_audits_nothing(monkeypatch, tmp_path) -> None:
    db = _drawn(monkeypatch, tmp_path, User("ana", "analyste", ("2A",)), 11)

    def broken() -> bytes:
        raise RuntimeError("lecture impossible")

    with pytest.raises(RuntimeError):
        auth.audited_on_delivery("x.csv", broken)()
    assert _exports(db) == []
