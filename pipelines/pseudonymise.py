"""Keyed pseudonymisation of person identifiers, computed inside DuckDB.

Person key = HMAC-SHA256(key, "<PREFIX>:<normalised identifier>") where the identifier is
the NIR (13 first characters, NIA accepted), else the identifiant PE, else the identifiant
RSA, each with its own prefix so that two kinds of identifier can never collide. The HMAC
is written as a DuckDB macro over `sha256()` (RFC 2104: H(K^opad || H(K^ipad || m))), so a
million lines are hashed vectorised, without a Python call per row; `person_key()` is the
same function in Python, used by tests to prove both agree with `hmac`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import duckdb

from pipelines.errors import UsageError
from pipelines.settings import private_dir

KEY_BYTES = 32
BLOCK = 64  # SHA-256 block size
KEY_HEX_CHARS = 32  # stored keys are 128-bit prefixes of the HMAC, in hex
PREFIXES = ("NIR", "PE", "RSA")


MIN_TEXT_KEY_CHARS = 32


def load_or_create_key(key_file: Path) -> bytes:
    """Key from PILOTAGE_SECRET_KEY, else from the key file, created (mode 0600) if missing."""
    env = os.environ.get("PILOTAGE_SECRET_KEY")
    if env:
        return _decode_key(env)
    if key_file.exists():
        return _read_key_file(key_file)
    private_dir(key_file.parent)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created by a concurrent process meanwhile
        return _read_key_file(key_file)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


def _read_key_file(key_file: Path) -> bytes:
    """The key file's key; refused when another account may read it: whoever reads the key
    can re-identify every person whose NIR they know."""
    mode = key_file.stat().st_mode
    if mode & 0o077:
        raise UsageError(
            f"Le fichier de la clé de pseudonymisation {key_file} est lisible par d'autres "
            f"comptes que le sien (mode {stat.S_IMODE(mode):04o}) : clé refusée. Réservez-le "
            f"à son propriétaire (chmod 600 {key_file})."
        )
    try:
        return _decode_key(key_file.read_text(encoding="ascii").strip())
    except UnicodeDecodeError as error:
        raise UsageError(
            f"Le fichier de la clé de pseudonymisation {key_file} n'est pas un texte ASCII."
        ) from error


def _decode_key(text: str) -> bytes:
    """A key written in hex (32 hex digits at least: 16 bytes), else a text of 32 characters
    at least. Why a floor on text keys: the warehouse stores the key's fingerprint, so a
    short or guessable text can be found offline by trying candidates against it."""
    if len(text) >= 32 and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    if len(text) < MIN_TEXT_KEY_CHARS:
        raise UsageError(
            "La clé de pseudonymisation est trop courte : un texte de "
            f"{MIN_TEXT_KEY_CHARS} caractères au moins, ou 32 chiffres hexadécimaux au moins."
        )
    return text.encode()


def fingerprint(key: bytes) -> str:
    """A short, non-reversible tag of the key, stored in the warehouse to detect a key change."""
    return hmac.new(key, b"pilotage-rsa:empreinte-de-cle", hashlib.sha256).hexdigest()[:16]


def normalise_nir(value: str | None) -> str | None:
    """Upper case, no spaces, 13 first characters (the key, if present, is dropped)."""
    if value is None:
        return None
    text = value.replace(" ", "").upper()[:13]
    return text or None


def normalise_id(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().upper()
    return text or None


def keyed_hash(key: bytes, prefix: str, value: str) -> str:
    """Python twin of the SQL macro `pseudo()`."""
    return hmac.new(key, f"{prefix}:{value}".encode(), hashlib.sha256).hexdigest()[:KEY_HEX_CHARS]


def person_key(key: bytes, nir: str | None = None, pe: str | None = None, rsa: str | None = None):
    """Python twin of the SQL macro `person_key()`."""
    for prefix, value in (
        ("NIR", normalise_nir(nir)),
        ("PE", normalise_id(pe)),
        ("RSA", normalise_id(rsa)),
    ):
        if value:
            return keyed_hash(key, prefix, value)
    return None


_MACROS_FLAG = "pilotage_macros_cle"  # set by `register_macros` once its macros exist


def has_macros(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether `register_macros` ran on this connection (a load's connection, not a bare
    one of the tests that only stage a file).

    A connection variable `register_macros` sets last, not a look at `duckdb_functions()`:
    that lists every built-in function, 15-25 ms at each staging. Both are the
    connection's own, as the TEMP macros are."""
    [(flag,)] = con.execute(f"SELECT getvariable('{_MACROS_FLAG}') IS TRUE").fetchall()
    return flag  # fetchall: no result left open on the connection


def _blob_literal(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02X}" for b in data) + "'::BLOB"


def register_macros(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Create TEMP macros `pseudo(prefix, value)` and `person_key(nir, pe, rsa)`.

    TEMP: the key material lives only in this connection and is never written to a database
    file. Never log the statements built here. Not inside an explicit transaction: the flag
    `has_macros` reads is a connection variable, which a rollback would not take back.
    """
    padded = (hashlib.sha256(key).digest() if len(key) > BLOCK else key).ljust(BLOCK, b"\0")
    ipad = _blob_literal(bytes(b ^ 0x36 for b in padded))
    opad = _blob_literal(bytes(b ^ 0x5C for b in padded))
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO pseudo(prefix, value) AS
        CASE WHEN value IS NULL OR value = '' THEN NULL ELSE
        substr(sha256({opad} || unhex(sha256({ipad} || encode(prefix || ':' || value)))),
               1, {KEY_HEX_CHARS}) END"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP MACRO norm_nir(v) AS
        nullif(substr(upper(replace(v, ' ', '')), 1, 13), '')"""
    )
    con.execute("CREATE OR REPLACE TEMP MACRO norm_id(v) AS nullif(upper(trim(v)), '')")
    con.execute(
        """CREATE OR REPLACE TEMP MACRO person_key(nir, pe, rsa) AS coalesce(
        pseudo('NIR', norm_nir(nir)), pseudo('PE', norm_id(pe)), pseudo('RSA', norm_id(rsa)))"""
    )
    # What every staging SQL keeps of the NIR besides its hash: which key was used, and sex.
    con.execute(
        """CREATE OR REPLACE TEMP MACRO cle_type(nir, other) AS
        CASE WHEN norm_nir(nir) IS NOT NULL THEN 'NIR' ELSE other END"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP MACRO sexe_nir(nir) AS
        CASE WHEN substr(nir, 1, 1) IN ('1', '3', '7') THEN 'M'
             WHEN substr(nir, 1, 1) IN ('2', '4', '8') THEN 'F' END"""
    )
    con.execute(f"SET VARIABLE {_MACROS_FLAG} = true")
