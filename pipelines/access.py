"""Who may see what, and the trace of everything they did: local accounts and audit trail.

Kept in a small SQLite file beside the warehouse (`<warehouse>.acces.sqlite`), not in the
DuckDB warehouse: every page view writes an audit row, and the warehouse is rewritten by
copy-and-swap at each load, while SQLite takes many small concurrent writes from the app
and the command line safely (WAL, busy timeout). The audit table is append-only: triggers
refuse UPDATE and DELETE. Passwords are argon2id hashes (argon2-cffi); no beneficiary's
personal data is ever written here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.errors import UsageError
from pipelines.roles import ROLES, sql_check

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
MIN_PASSWORD = 12

SCHEMA = """
CREATE TABLE IF NOT EXISTS utilisateur (
    login           TEXT PRIMARY KEY,
    password_hash   TEXT NOT NULL,
    role            TEXT NOT NULL {role_check},
    departements    TEXT NOT NULL,            -- JSON list of codes
    actif           INTEGER NOT NULL DEFAULT 1,
    echecs          INTEGER NOT NULL DEFAULT 0,
    bloque_jusqua   TEXT,
    cree_le         TEXT NOT NULL,
    modifie_le      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    horodatage  TEXT NOT NULL,
    login       TEXT,
    action      TEXT NOT NULL,
    departement TEXT,
    details     TEXT,
    resultat    TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_sans_modification BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END;
CREATE TRIGGER IF NOT EXISTS audit_sans_suppression BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END;
""".replace("{role_check}", sql_check())

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    login: str
    role: str
    departements: tuple[str, ...]
    actif: bool = True

    def may(self, *roles: str) -> bool:
        return self.role in roles

    def sees(self, departement: str) -> bool:
        return departement in self.departements


def access_path(db_path: Path) -> Path:
    """The access file of a warehouse: beside it, same name, `.acces.sqlite`."""
    return db_path.with_name(db_path.name + ".acces.sqlite")


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    path = access_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        yield con
    finally:
        con.close()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def audit(
    db_path: Path,
    login: str | None,
    action: str,
    resultat: str = "ok",
    departement: str | None = None,
    **details: object,
) -> None:
    """Append one audit row. `details` hold filters, file names and counts, never a
    beneficiary's personal value."""
    with connect(db_path) as con:
        con.execute(
            "INSERT INTO audit (horodatage, login, action, departement, details, resultat) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                _now().isoformat(" "),
                login,
                action,
                departement,
                json.dumps(details, ensure_ascii=False, default=str) if details else None,
                resultat,
            ],
        )


def audit_rows(db_path: Path, limit: int = 1000) -> list[tuple]:
    with connect(db_path) as con:
        return con.execute(
            "SELECT id, horodatage, login, action, departement, details, resultat FROM audit "
            "ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"Mot de passe trop court ({MIN_PASSWORD} caractères au moins).")


def add_user(
    db_path: Path, login: str, password: str, role: str, departements: list[str], by: str
) -> None:
    if role not in ROLES:
        raise UsageError(f"Rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    if not departements:
        raise UsageError("Au moins un département (--departement) est nécessaire.")
    _check_password(password)
    now = _now().isoformat(" ")
    with connect(db_path) as con:
        exists = con.execute("SELECT 1 FROM utilisateur WHERE login = ?", [login]).fetchone()
        con.execute(
            "INSERT INTO utilisateur (login, password_hash, role, departements, actif, echecs, "
            "bloque_jusqua, cree_le, modifie_le) VALUES (?, ?, ?, ?, 1, 0, NULL, ?, ?) "
            "ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash, "
            "role = excluded.role, departements = excluded.departements, actif = 1, "
            "echecs = 0, bloque_jusqua = NULL, modifie_le = excluded.modifie_le",
            [login, _hasher.hash(password), role, json.dumps(sorted(set(departements))), now, now],
        )
    audit(
        db_path,
        by,
        "modification_utilisateur" if exists else "creation_utilisateur",
        cible=login,
        role=role,
        departements=sorted(set(departements)),
    )


def disable_user(db_path: Path, login: str, by: str) -> None:
    with connect(db_path) as con:
        changed = con.execute(
            "UPDATE utilisateur SET actif = 0, modifie_le = ? WHERE login = ?",
            [_now().isoformat(" "), login],
        ).rowcount
    if not changed:
        raise UsageError(f"Compte inconnu : « {login} ».")
    audit(db_path, by, "desactivation_utilisateur", cible=login)


def list_users(db_path: Path) -> list[tuple]:
    with connect(db_path) as con:
        return con.execute(
            "SELECT login, role, departements, actif, echecs, bloque_jusqua, modifie_le "
            "FROM utilisateur ORDER BY login"
        ).fetchall()


def authenticate(db_path: Path, login: str, password: str) -> tuple[User | None, str]:
    """(user, message): the user when the password is right and the account usable.

    Five failures lock the account for 15 minutes; every attempt is audited. The message
    never says whether the login exists.
    """
    refused = "Identifiant ou mot de passe incorrect."
    now = _now()
    with connect(db_path) as con:
        row = con.execute(
            "SELECT password_hash, role, departements, actif, echecs, bloque_jusqua "
            "FROM utilisateur WHERE login = ?",
            [login],
        ).fetchone()
        if row is None:
            _hasher.hash(password)  # same time spent as for a known login
            result = (None, refused, "inconnu")
        elif row[5] and datetime.fromisoformat(row[5]) > now:
            result = (
                None,
                "Compte verrouillé après 5 échecs : réessayez dans 15 minutes.",
                "verrouille",
            )
        elif not row[3]:
            result = (None, refused, "desactive")
        else:
            try:
                _hasher.verify(row[0], password)
                ok = True
            except (VerificationError, InvalidHashError):
                ok = False
            if ok:
                con.execute(
                    "UPDATE utilisateur SET echecs = 0, bloque_jusqua = NULL WHERE login = ?",
                    [login],
                )
                user = User(login, row[1], tuple(json.loads(row[2])))
                result = (user, "", "ok")
            else:
                failures = row[4] + 1
                locked = (now + LOCKOUT).isoformat(" ") if failures >= MAX_FAILURES else None
                con.execute(
                    "UPDATE utilisateur SET echecs = ?, bloque_jusqua = ? WHERE login = ?",
                    [0 if locked else failures, locked, login],
                )
                message = (
                    "Compte verrouillé après 5 échecs : réessayez dans 15 minutes."
                    if locked
                    else refused
                )
                result = (None, message, "echec")
    user, message, outcome = result
    audit(db_path, login, "connexion" if user else "echec_connexion", outcome)
    return user, message


def lookup(db_path: Path, login: str) -> User | None:
    """The allow-listed, active account of an identity asserted by an OpenID Connect broker
    (role and départements come from here, not from the token, unless the deployment says
    otherwise)."""
    with connect(db_path) as con:
        row = con.execute(
            "SELECT role, departements FROM utilisateur WHERE login = ? AND actif = 1", [login]
        ).fetchone()
    return User(login, row[0], tuple(json.loads(row[1]))) if row else None


DEMO_PASSWORD = "demonstration-2A"  # documented in the README; demo warehouses only
DEMO_USERS = {
    "comite": ("comite", ["2A"]),
    "analyste": ("analyste", ["2A"]),
    "donnees": ("donnees", ["2A"]),
    "admin": ("admin", ["2A", "2B"]),
}


def create_demo_users(db_path: Path) -> None:
    """One documented account per role, for the demonstration warehouse only."""
    for login, (role, departements) in DEMO_USERS.items():
        add_user(db_path, login, DEMO_PASSWORD, role, departements, by="demo")
