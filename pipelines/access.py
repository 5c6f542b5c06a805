"""Who may see what, and the trace of everything they did: local accounts and audit trail.

Kept in a small SQLite file beside the warehouse (`<warehouse>.acces.sqlite`), not in the
DuckDB warehouse: every page view writes an audit row, and the warehouse is rewritten by
copy-and-swap at each load, while SQLite takes many small concurrent writes from the app
and the command line safely (WAL, busy timeout). The audit table is append-only: triggers
refuse UPDATE and DELETE. Passwords are argon2id hashes (argon2-cffi); no beneficiary's
personal data is ever written here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines.errors import UsageError
from pipelines.nomenclatures import expected_departements, is_departement
from pipelines.roles import ROLES, sql_check
from pipelines.settings import private_dir, private_file

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=10)  # a working day; the cookie's Max-Age too
TICKET_LIFETIME = timedelta(seconds=60)
SESSION_COOKIE = "pilotage_session"
MIN_PASSWORD = 12
# Inputs are bounded before anything is hashed, verified or written: a login is an account
# name or an e-mail address (RFC 5321 caps those at 254), a password a passphrase.
MAX_LOGIN = 254
MAX_PASSWORD = 1024
MAX_DETAIL = 256  # one audited detail (file name, filter); longer ones are cut
# Logins: after NFKC, lower-case ASCII letters, digits and . _ @ + - only. Everything else
# (zero-width or control characters, letters of another script that look like Latin ones,
# accents that NFKC does not fold) would let two accounts look the same in the audit.
LOGIN = re.compile(r"[a-z0-9][a-z0-9._@+-]*")

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
CREATE TABLE IF NOT EXISTS session_web (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    login            TEXT NOT NULL,
    ticket_empreinte TEXT UNIQUE,            -- sha256 of the one-time ticket, NULL once used
    ticket_expire    TEXT,
    jeton_empreinte  TEXT UNIQUE,            -- sha256 of the cookie's token, never the token
    cree_le          TEXT NOT NULL,
    vu_le            TEXT NOT NULL,
    expire_le        TEXT NOT NULL,
    revoque_le       TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_sans_modification BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END;
CREATE TRIGGER IF NOT EXISTS audit_sans_suppression BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'journal d''audit en ajout seul'); END;
""".replace("{role_check}", sql_check())

# The argon2id cost of password hashes. Production: argon2-cffi's default profile (RFC 9106
# "low memory": 3 passes over 64 MiB, 4 lanes), about a second on a busy 2-core machine,
# which is the point against guessing. PILOTAGE_ARGON2_COUT=test (the test suite only,
# tests/conftest.py) takes the cheapest cost, so that the hundreds of accounts the tests
# create do not cost minutes; a hash keeps its own parameters, so either verifies anywhere.
PRODUCTION_COST = profiles.RFC_9106_LOW_MEMORY
TEST_COST = dataclasses.replace(profiles.CHEAPEST, salt_len=16, hash_len=32)
ARGON2_COSTS = {"production": PRODUCTION_COST, "test": TEST_COST}


def argon2_cost() -> str:
    """The cost PILOTAGE_ARGON2_COUT names (production when unset); any other value is a
    usage error rather than a silent weaker or stronger hash."""
    name = os.environ.get("PILOTAGE_ARGON2_COUT") or "production"
    if name not in ARGON2_COSTS:
        raise UsageError(
            f"PILOTAGE_ARGON2_COUT : « {name} » inconnu (attendu : {', '.join(ARGON2_COSTS)})."
        )
    return name


@cache
def _hasher_for(cost: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(ARGON2_COSTS[cost])


def _hasher() -> PasswordHasher:
    return _hasher_for(argon2_cost())


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


def secret_path(db_path: Path) -> Path:
    """The access layer's own secret, beside the access file but not in it: whoever reads
    the audit (its CSV export included) must not also hold the key of its keyed hashes."""
    return db_path.with_name(db_path.name + ".acces.cle")


def access_secret(db_path: Path) -> bytes:
    """PILOTAGE_SECRET_SESSION, else the secret file, created (0600, 32 random bytes) at
    first use. It keys the hash of unknown logins and signs session cookies; it is not the
    pseudonymisation key, which the reading side of a deployment need not hold."""
    env = os.environ.get("PILOTAGE_SECRET_SESSION")
    if env:
        if len(env) < 32:
            raise UsageError("PILOTAGE_SECRET_SESSION est trop courte (32 caractères au moins).")
        return env.encode()
    path = secret_path(db_path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or by a concurrent process just now
        return _read_secret(path)
    secret = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secret.hex() + "\n")
    return secret


def _read_secret(path: Path) -> bytes:
    """The secret another process created; waits the instant between its creation and its
    writing (an empty secret would sign nothing worth the name)."""
    for _ in range(50):
        text = path.read_text(encoding="ascii").strip()
        if text:
            return bytes.fromhex(text)
        time.sleep(0.01)
    raise UsageError(f"{path.name} : secret d'accès vide ; supprimez ce fichier pour le recréer.")


def unknown_login_tag(db_path: Path, typed: str) -> str:
    """What the audit keeps of a login that names no account: a keyed hash of its first
    MAX_LOGIN characters. Repeated attempts with the same text stay linkable; the text
    itself (often a password typed in the wrong field) is never stored."""
    digest = hmac.new(
        access_secret(db_path), b"identifiant:" + typed[:MAX_LOGIN].encode(), hashlib.sha256
    )
    return "inconnu:" + digest.hexdigest()[:16]


def canonical_login(text: str) -> str | None:
    """The login an account is stored and looked up under (NFKC, trimmed, lower case), or
    None when it is too long or holds a character outside the allowed set."""
    if len(text) > MAX_LOGIN:
        return None
    login = unicodedata.normalize("NFKC", text).strip().lower()
    return login if len(login) <= MAX_LOGIN and LOGIN.fullmatch(login) else None


def check_login(text: str) -> str:
    """canonical_login(), or a French message saying why the login is refused (which kind
    of character, never the text, which may be anything pasted)."""
    login = canonical_login(text)
    if login is not None:
        return login
    if len(text) > MAX_LOGIN:
        raise UsageError(f"Identifiant trop long ({MAX_LOGIN} caractères au plus).")
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded:
        raise UsageError("Identifiant vide.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in folded):
        raise UsageError("Identifiant refusé : il contient un caractère invisible ou de contrôle.")
    if not folded.isascii():
        raise UsageError(
            "Identifiant refusé : caractère hors ASCII (accent, lettre d'un autre alphabet "
            "qui ressemble à une lettre latine) ; lettres a-z, chiffres et . _ @ + - seulement."
        )
    raise UsageError(
        "Identifiant refusé : lettres a-z, chiffres et . _ @ + - seulement, "
        "en commençant par une lettre ou un chiffre."
    )


def check_departements(codes: list[str]) -> list[str]:
    """Département codes, upper-cased, each one that exists (`nomenclatures.departements`),
    sorted without repeats."""
    if not codes:
        raise UsageError("Au moins un département (--departement) est nécessaire.")
    cleaned = [c.strip().upper() for c in codes]
    wrong = [i for i, c in enumerate(cleaned, 1) if not is_departement(c)]
    if wrong:
        raise UsageError(
            f"Département n° {', '.join(map(str, wrong))} inconnu : {expected_departements()}."
        )
    return sorted(set(cleaned))


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    path = private_file(access_path(db_path))  # hashes and audit: 0600, as its -wal/-shm
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
    beneficiary's personal value. Every text is bounded (a login over MAX_LOGIN is kept as
    its keyed hash, a detail over MAX_DETAIL is cut) so that no input grows the file."""
    if login is not None and len(login) > MAX_LOGIN:
        login = unknown_login_tag(db_path, login)
    details = {k: _bounded(v) for k, v in details.items()}
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


def _bounded(value: object) -> object:
    if isinstance(value, str):
        return value[:MAX_DETAIL]
    if isinstance(value, list | tuple):
        return [_bounded(v) for v in value[:50]]
    return value


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
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"Mot de passe trop long ({MAX_PASSWORD} caractères au plus).")


def add_user(
    db_path: Path, login: str, password: str, role: str, departements: list[str], by: str
) -> str:
    """Create or update an account. The login is stored canonical (check_login) so that no
    two accounts can look alike; département codes must exist."""
    if role not in ROLES:
        raise UsageError(f"Rôle inconnu : « {role} » (attendu : {', '.join(ROLES)}).")
    login = check_login(login)
    departements = check_departements(departements)
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
            [login, _hasher().hash(password), role, json.dumps(departements), now, now],
        )
        _revoke_sessions_of(con, login)  # a reset or a new role: no old cookie survives it
    audit(
        db_path,
        by,
        "modification_utilisateur" if exists else "creation_utilisateur",
        cible=login,
        role=role,
        departements=departements,
    )
    return login


def disable_user(db_path: Path, login: str, by: str) -> None:
    login = canonical_login(login) or login
    with connect(db_path) as con:
        changed = con.execute(
            "UPDATE utilisateur SET actif = 0, modifie_le = ? WHERE login = ?",
            [_now().isoformat(" "), login],
        ).rowcount
        _revoke_sessions_of(con, login)
    if not changed:
        raise UsageError(f"Compte inconnu : « {login} ».")
    audit(db_path, by, "desactivation_utilisateur", cible=login)


def unlock_user(db_path: Path, login: str, by: str) -> None:
    """Lift a lock-out before its 15 minutes are over (`users unlock`): the failure count
    starts again from zero. The sign-in form never says an account is locked, so this is
    how an admin answers a user who cannot sign in with the right password."""
    login = canonical_login(login) or login
    with connect(db_path) as con:
        changed = con.execute(
            "UPDATE utilisateur SET echecs = 0, bloque_jusqua = NULL, modifie_le = ? "
            "WHERE login = ?",
            [_now().isoformat(" "), login],
        ).rowcount
    if not changed:
        raise UsageError(f"Compte inconnu : « {login} ».")
    audit(db_path, by, "deverrouillage_utilisateur", cible=login)


def _revoke_sessions_of(con: sqlite3.Connection, login: str) -> None:
    """Revoke every web session of a login, in the caller's statement sequence: what a
    password reset, a new role or départements, and a disable all do."""
    con.execute(
        "UPDATE session_web SET revoque_le = ?, ticket_empreinte = NULL "
        "WHERE login = ? AND revoque_le IS NULL",
        [_now().isoformat(" "), login],
    )


def list_users(db_path: Path) -> list[tuple]:
    with connect(db_path) as con:
        return con.execute(
            "SELECT login, role, departements, actif, echecs, bloque_jusqua, modifie_le "
            "FROM utilisateur ORDER BY login"
        ).fetchall()


# One answer for every refused sign-in, whether the login exists, is disabled or is locked,
# and whatever the attempt's rank: any other answer (« Compte verrouillé » at the 5th) tells
# a stranger which logins are real. It states the lock rule for everyone instead.
REFUSED = (
    f"Identifiant ou mot de passe incorrect. Après {MAX_FAILURES} échecs, un compte est "
    f"verrouillé {int(LOCKOUT.total_seconds()) // 60} minutes ; un administrateur peut le "
    "déverrouiller."
)


def authenticate(db_path: Path, typed_login: str, password: str) -> tuple[User | None, str]:
    """(user, message): the user when the password is right and the account usable.

    Five failures lock the account for 15 minutes, silently; every attempt is audited (an
    unknown login only as its keyed hash). Every refusal gives the same message (REFUSED)
    after the same argon2 work, so that neither the answer nor its time tells whether the
    login exists or is locked.

    The attempt is counted before the password is checked, in the one UPDATE that tests
    the count against the limit and takes the lock when it is reached; a right password
    then gives the attempt back. So at most MAX_FAILURES attempts are ever verified per
    lock period, however many arrive in parallel (reading the count, verifying for some
    tens of milliseconds, then writing it back let 64 parallel attempts all be verified
    and the counter end at 4). A process killed mid-check leaves a lock that expires.
    """
    login = canonical_login(typed_login)
    if login is None or len(password) > MAX_PASSWORD:
        _hasher().hash(password[:MAX_PASSWORD])  # same time spent as for a known login
        return _refused(db_path, typed_login, "inconnu")
    now = _now()
    count = "CASE WHEN bloque_jusqua <= :now THEN 1 ELSE echecs + 1 END"  # an old lock is over
    with connect(db_path) as con:
        row = con.execute(
            f"UPDATE utilisateur SET echecs = {count}, "
            f"bloque_jusqua = CASE WHEN {count} >= :max THEN :until END "
            "WHERE login = :login AND actif = 1 "
            "AND ((bloque_jusqua IS NULL AND echecs < :max) OR bloque_jusqua <= :now) "
            "RETURNING password_hash, role, departements, echecs",
            {
                "login": login,
                "max": MAX_FAILURES,
                "now": now.isoformat(" "),
                "until": (now + LOCKOUT).isoformat(" "),
            },
        ).fetchone()
        if row is None:
            state = con.execute("SELECT actif FROM utilisateur WHERE login = ?", [login]).fetchone()
    if row is None:
        _hasher().hash(password)  # the time a verification takes, for every kind of refusal
        if state is None:
            return _refused(db_path, typed_login, "inconnu")
        return _refused(db_path, login, "verrouille" if state[0] else "desactive")
    try:
        ok = _hasher().verify(row[0], password)
    except (VerificationError, InvalidHashError):
        ok = False
    if ok:  # the attempt counted (and the lock taken, if it was the last allowed) is undone
        with connect(db_path) as con:
            con.execute(
                "UPDATE utilisateur SET echecs = 0, bloque_jusqua = NULL WHERE login = ?", [login]
            )
    if not ok:
        return _refused(db_path, login, "echec")
    audit(db_path, login, "connexion", "ok")
    return User(login, row[1], tuple(json.loads(row[2]))), ""


def _refused(db_path: Path, login: str, outcome: str) -> tuple[None, str]:
    """Audit a refused sign-in (the audit, read by admins only, keeps why); a login that
    names no account is kept as its keyed hash. The user reads REFUSED, whatever the why."""
    shown = unknown_login_tag(db_path, login) if outcome == "inconnu" else login
    audit(db_path, shown, "echec_connexion", outcome)
    return None, REFUSED


def oidc_identity(claims: Mapping[str, object]) -> tuple[str | None, str]:
    """(login, "") for the identity an OpenID Connect broker asserted, or (None, the French
    refusal). The login is the e-mail address, and only when the broker says it verified
    it (`email_verified` true) and the token names its subject (`sub`). Never
    `preferred_username` nor `name`: people choose those at many brokers, and « admin »
    would meet the local account of that name. An e-mail always holds an @, so an identity
    can only meet an allow-list entry written as that e-mail address."""
    email = claims.get("email")
    if not claims.get("sub") or not isinstance(email, str) or not email.strip():
        return None, (
            "Connexion refusée : le fournisseur d'identité n'a pas transmis votre identifiant "
            "ou votre adresse électronique."
        )
    if claims.get("email_verified") not in (True, "true"):
        return None, (
            "Connexion refusée : votre adresse électronique n'est pas vérifiée par le "
            "fournisseur d'identité."
        )
    login = canonical_login(email)
    if login is None or "@" not in login:
        return None, "Connexion refusée : l'adresse électronique transmise n'est pas valide."
    return login, ""


def lookup(db_path: Path, login: str) -> User | None:
    """The allow-listed, active account of an identity asserted by an OpenID Connect broker
    (role and départements come from here, not from the token, unless the deployment says
    otherwise). The identity is canonicalised like a local login."""
    login = canonical_login(login)
    if login is None:
        return None
    with connect(db_path) as con:
        row = con.execute(
            "SELECT role, departements FROM utilisateur WHERE login = ? AND actif = 1", [login]
        ).fetchone()
    return User(login, row[0], tuple(json.loads(row[1]))) if row else None


# Web sessions of local accounts. A page reload opens a new Streamlit session, which forgets
# who signed in: a cookie brings the user back. The script cannot set a cookie (it talks to
# the browser over a WebSocket), so sign-in gives the page a one-time ticket valid for a
# minute, which the browser posts to the server's own route (dashboard/web.py); that route
# answers with the HttpOnly cookie. The cookie is signed and names a row of `session_web`
# by the hash of its token; the row is what revocation acts on (sign-out, idle timeout,
# account disabled), so a copied cookie is worth nothing once revoked.


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def open_web_session(db_path: Path, login: str, cookie: bool = True) -> tuple[int, str]:
    """(session id, one-time ticket) for a user who has just signed in. An OpenID Connect
    sign-in (cookie=False) gets a session row too, without a ticket: the row is what every
    page run checks (check_web_session) and what a reset or a disable revokes."""
    ticket = secrets.token_urlsafe(32)
    now = _now()
    with connect(db_path) as con:
        session_id = con.execute(
            "INSERT INTO session_web (login, ticket_empreinte, ticket_expire, cree_le, vu_le, "
            "expire_le) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [
                login,
                _digest(ticket) if cookie else None,
                (now + TICKET_LIFETIME).isoformat(" ") if cookie else None,
                now.isoformat(" "),
                now.isoformat(" "),
                (now + SESSION_LIFETIME).isoformat(" "),
            ],
        ).fetchone()[0]
    return session_id, ticket


def redeem_ticket(db_path: Path, ticket: str) -> str | None:
    """The signed cookie value for a ticket, once: the same UPDATE that finds the ticket
    erases it, so a replayed or late ticket gives nothing."""
    if not ticket or len(ticket) > 128:
        return None
    token = secrets.token_urlsafe(32)
    now = _now().isoformat(" ")
    with connect(db_path) as con:
        row = con.execute(
            "UPDATE session_web SET ticket_empreinte = NULL, ticket_expire = NULL, "
            "jeton_empreinte = ? WHERE ticket_empreinte = ? AND ticket_expire > ? "
            "AND revoque_le IS NULL AND expire_le > ? RETURNING id",
            [_digest(token), _digest(ticket), now, now],
        ).fetchone()
    return sign_cookie(db_path, token) if row else None


def sign_cookie(db_path: Path, token: str) -> str:
    mac = hmac.new(access_secret(db_path), b"cookie:" + token.encode(), hashlib.sha256)
    return f"{token}.{mac.hexdigest()[:32]}"


def _cookie_token(db_path: Path, cookie: str) -> str | None:
    """The token of a cookie whose signature holds, else None (no lookup for a forgery)."""
    token, _, mac = cookie[:200].rpartition(".")
    if not token or not hmac.compare_digest(sign_cookie(db_path, token), f"{token}.{mac}"):
        return None
    return token


def resume_web_session(db_path: Path, cookie: str) -> tuple[User | None, int | None, str]:
    """(user, session id, outcome) for a session cookie: check_web_session's answer for the
    session the cookie names, which is then marked as seen."""
    token = _cookie_token(db_path, cookie)
    if token is None:
        return None, None, "signature"
    with connect(db_path) as con:
        row = con.execute(
            "SELECT id FROM session_web WHERE jeton_empreinte = ?", [_digest(token)]
        ).fetchone()
    if row is None:
        return None, None, "revoquee"
    user, outcome = check_web_session(db_path, row[0])
    if user is None:
        return None, None if outcome == "revoquee" else row[0], outcome
    touch_web_session(db_path, row[0])
    return user, row[0], "ok"


def check_web_session(db_path: Path, session_id: int) -> tuple[User | None, str]:
    """(user, outcome): the account behind a web session, read afresh, while the session is
    not revoked, within its lifetime (SESSION_LIFETIME from sign-in, however active), not
    idle for more than IDLE_TIMEOUT, and the account still active. Otherwise None and why
    ("revoquee", "perimee", "expiration", "desactive"); a session found past a limit or
    whose account is gone is revoked here. Run at every page run (dashboard/auth.py) and at
    every resume from the cookie."""
    now = _now()
    with connect(db_path) as con:
        row = con.execute(
            "SELECT s.revoque_le, s.expire_le, s.vu_le, u.actif, u.login, u.role, "
            "u.departements FROM session_web s LEFT JOIN utilisateur u ON u.login = s.login "
            "WHERE s.id = ?",
            [session_id],
        ).fetchone()
    if row is None or row[0] is not None:
        return None, "revoquee"
    _, expires, seen, active, login, role, departements = row
    if datetime.fromisoformat(expires) <= now:
        outcome = "perimee"
    elif now - datetime.fromisoformat(seen) > IDLE_TIMEOUT:
        outcome = "expiration"
    elif not active:
        outcome = "desactive"
    else:
        return User(login, role, tuple(json.loads(departements))), "ok"
    revoke_web_session(db_path, session_id)
    return None, outcome


def touch_web_session(db_path: Path, session_id: int) -> None:
    """Record activity, so that the idle timeout also holds across reloads."""
    with connect(db_path) as con:
        con.execute(
            "UPDATE session_web SET vu_le = ? WHERE id = ? AND revoque_le IS NULL",
            [_now().isoformat(" "), session_id],
        )


def revoke_web_session(db_path: Path, session_id: int | None = None, cookie: str = "") -> None:
    """End a session (by id, or by the cookie that names it): its cookie opens nothing more."""
    token = _cookie_token(db_path, cookie) if cookie else None
    if session_id is None and token is None:
        return
    with connect(db_path) as con:
        con.execute(
            "UPDATE session_web SET revoque_le = ?, ticket_empreinte = NULL "
            "WHERE revoque_le IS NULL AND (id = ? OR jeton_empreinte = ?)",
            [_now().isoformat(" "), session_id, _digest(token) if token else None],
        )


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
