"""The DuckDB warehouse: migrations, readers, and atomic copy-and-swap writes.

Why copy-and-swap: DuckDB lets one read-write process exclude every other process from a
file. A load therefore never opens the live file for writing. It copies the live file to a
temporary file beside it, writes there (migrations, data, journal), checkpoints, and
`os.replace`s the copy over the live path, an atomic rename. Readers hold the old inode open
and keep answering from it; their next query (see `ReaderPool`) notices the new inode and
reopens, so the dashboard shows a whole load or none of it, without a restart. Writers are
serialised by an advisory lock file; a crash leaves the live file untouched. The write of a
generation itself (copy, write, store the pages' opening reads, swap) is
pipelines/generation.py, above the indicators those reads run.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.errors import LoadFailed, UsageError
from pipelines.nomenclatures import all_names, nomenclature
from pipelines.readers.encoding import printable
from pipelines.settings import SQL_DIR, private_dir

# The bounds of a writer's in-memory DuckDB instance (a file's staging, a lot, the stored
# results of a generation): it runs beside the live dashboard on a small machine. No
# temporary directory: staged rows still hold NIRs and names, and DuckDB would otherwise
# spill them to `.tmp` under the working directory when the memory limit is reached. Past
# the limit a write fails (journalled as failed) instead of writing them.
WRITER_CONFIG: dict[str, object] = {"threads": 2, "memory_limit": "1536MB", "temp_directory": ""}


def connect(database: str = ":memory:", **config: object) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection without the progress bar on stdout: loads run under a CLI, a web
    page or a scheduler, not a REPL."""
    con = duckdb.connect(database, config=config) if config else duckdb.connect(database)
    con.execute("SET enable_progress_bar = false")
    return con


MIGRATIONS_DIR = SQL_DIR / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    """Numbered migration files, in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


def latest_version() -> int:
    return migrations()[-1][0]


def schema_version(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int:
    """The schema version stored in the database (0 for a new file).

    The table is looked up in the catalogue first: a query of a missing table lets DuckDB's
    Python client look for a Python variable of that name (a replacement scan), which
    finds this very function and fails, where a file without the table means 0."""
    [(found,)] = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = "
        "coalesce(?, current_database()) AND schema_name = 'main' "
        "AND table_name = 'schema_version'",
        [catalog],
    ).fetchall()
    if not found:
        return 0
    prefix = f"{catalog}." if catalog else ""
    [(version,)] = con.execute(f"SELECT max(version) FROM {prefix}schema_version").fetchall()
    return int(version or 0)


def migrate(con: duckdb.DuckDBPyConnection, upto: int | None = None) -> int:
    """Apply the migrations the database has not seen yet (up to `upto`, for the tests of
    an upgrade); returns the new version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    for version, path in migrations():
        if version <= current or (upto is not None and version > upto):
            continue
        con.execute("BEGIN TRANSACTION")
        con.execute(path.read_text(encoding="utf-8"))
        con.execute(
            "INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, path.stem]
        )
        con.execute("COMMIT")
        current = version
    return current


_BLANK_LOCK = threading.Lock()
_BLANK: dict[str, Path] = {}  # digest of the migration files -> this process's blank file


def _migrations_digest() -> str:
    """What a blank warehouse depends on: the names and texts of the migrations."""
    digest = hashlib.sha256()
    for _version, path in migrations():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def copy_blank(target: Path) -> bool:
    """Write at `target` an empty warehouse at the code's schema; False, with nothing
    written, when no blank file can be made (the temporary folder full or missing): the
    caller then migrates the new file itself.

    Why a copy: the migrations of an empty warehouse cost about 0.1 s of DuckDB binding
    (macros and views), paid again by every new warehouse a process creates (the demo's
    départements, a test's, an upgrade test's). The process migrates one blank warehouse
    per set of migration files, in a private temporary folder removed at exit, and each
    new warehouse starts as a byte copy of it. The blank file holds the schema and the
    code lists of when it was made (the copy's generation refreshes them, as any
    generation does: mostly a comparison, where an empty table cost an insert)."""
    digest = _migrations_digest()
    with _BLANK_LOCK:
        blank = _BLANK.get(digest)
        if blank is None or not blank.exists():
            try:
                blank = _make_blank()
            except (OSError, duckdb.IOException):
                return False
            _BLANK[digest] = blank
        shutil.copyfile(blank, target)
    return True


def _make_blank() -> Path:
    """A migrated empty warehouse in a new private temporary folder (0700), removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="pilotage-vierge-"))
    atexit.register(shutil.rmtree, folder, True)
    blank = folder / "vierge.duckdb"
    with connect(str(blank)) as con:
        migrate(con)
        refresh_nomenclatures(con)
    return blank


# What a warehouse's catalog holds, per kind of object: (French name, query over the
# catalog functions of the attached database `?`, rows of (schema, name, definition)).
# Sequences are compared by name only: their definition shows how far they have counted.
_CATALOG = (
    ("schéma", "SELECT schema_name, schema_name, '' FROM duckdb_schemas() "
     "WHERE database_name = ? AND NOT internal"),
    ("table", "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = ?"),
    ("vue", "SELECT schema_name, view_name, sql FROM duckdb_views() "
     "WHERE database_name = ? AND NOT internal"),
    ("macro", "SELECT schema_name, function_name, function_type || CAST(parameters AS VARCHAR) "
     "|| coalesce(macro_definition, '') FROM duckdb_functions() "
     "WHERE database_name = ? AND NOT internal"),
    ("séquence", "SELECT schema_name, sequence_name, '' FROM duckdb_sequences() "
     "WHERE database_name = ?"),
    ("index", "SELECT schema_name, index_name, sql FROM duckdb_indexes() WHERE database_name = ?"),
    ("type", "SELECT schema_name, type_name, logical_type FROM duckdb_types() "
     "WHERE database_name = ? AND NOT internal"),
)  # fmt: skip


def catalog(con: duckdb.DuckDBPyConnection, database: str) -> set[tuple[str, str, str, str]]:
    """Every object of an attached database: (kind, schema, name, definition)."""
    return {
        (kind, *map(str, row))
        for kind, query in _CATALOG
        for row in con.execute(query, [database]).fetchall()
    }


def schema_differences(db_path: Path, version: int) -> list[str]:
    """How a warehouse file's schema differs from what the code's migrations build up to
    `version`: objects it has and they do not (a view, a macro, a table planted in a
    backup, run by whoever queries it next), objects defined otherwise, objects missing.
    Empty when the file is exactly what the migrations make. The file is only read."""
    con = connect()
    try:
        con.execute("ATTACH ':memory:' AS reference")
        con.execute("USE reference")
        migrate(con, upto=version)
        con.execute("ATTACH ? AS restored (READ_ONLY)", [str(db_path)])
        expected, found = catalog(con, "reference"), catalog(con, "restored")
    finally:
        con.close()
    known = {(k, sch, name) for k, sch, name, _ in expected}
    present = {(k, sch, name) for k, sch, name, _ in found}
    out = [
        f"{k} « {sch}.{name} » " + ("définie autrement" if (k, sch, name) in known else "en trop")
        for k, sch, name, _ in sorted(found - expected)
    ]
    out += [f"{k} « {sch}.{name} » manquante" for k, sch, name in sorted(known - present)]
    return out


def refresh_nomenclatures(con: duckdb.DuckDBPyConnection) -> None:
    """Mirror the shipped code lists into the warehouse, so SQL can join labels.

    Every write generation calls it, and the lists change only with a release: when the
    table already holds them, nothing is written. One INSERT of all the rows otherwise
    (`executemany` costs a statement per row, a third of a second)."""
    rows = [
        (
            name,
            row["code"],
            row["libelle"],
            row.get("libelle_court") or row["libelle"],
            row.get("groupe") or row.get("type_parcours"),
        )
        for name in all_names()
        for row in nomenclature(name)
    ]
    stored = con.execute("SELECT * FROM nomenclature").fetchall()
    if len(stored) == len(rows) and set(stored) == set(rows):
        return
    con.execute("DELETE FROM nomenclature")
    placeholders = ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
    con.execute(f"INSERT INTO nomenclature VALUES {placeholders}", [v for row in rows for v in row])


def open_reader(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live file, as its own database instance.

    ATTACH from a fresh in-memory instance, rather than `duckdb.connect(path)`, because the
    Python client caches instances by path: after a swap it would hand back the old file.
    """
    if not db_path.exists():
        raise UsageError(f"Entrepôt introuvable : {db_path}. Lancez « python -m pipelines demo ».")
    con = connect()
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(db_path)])
    con.execute("USE wh")
    return con


def sibling(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another cursor on `con`'s database, reading the same catalog (a cursor does not
    inherit its parent's `USE`), for a query run beside `con`'s on another thread. It
    sees what is committed, not a transaction `con` has open: for readers."""
    catalog = con.execute("SELECT current_database()").fetchone()[0]
    cursor = con.cursor()
    quoted = '"' + catalog.replace('"', '""') + '"'
    cursor.execute(f"USE {quoted}")
    return cursor


@dataclass
class _Opened:
    identity: tuple[int, int, int]
    con: duckdb.DuckDBPyConnection


class ReaderPool:
    """One shared read-only connection per warehouse generation, thread-safe.

    `cursor()` stats the file (a cheap syscall) and reopens when a load has swapped a new
    file in. Old connections are dropped, not closed, so a query still running on another
    thread finishes on the generation it started with.
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self._lock = threading.Lock()
        self._opened: _Opened | None = None

    def _identity(self) -> tuple[int, int, int]:
        st = os.stat(self.db_path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            identity = self._identity()
            if self._opened is None or self._opened.identity != identity:
                self._opened = _Opened(identity, open_reader(self.db_path))
            cursor = self._opened.con.cursor()
        cursor.execute("USE wh")  # a cursor does not inherit its parent's default catalog
        return cursor

    def generation(self) -> tuple[int, int, int]:
        """Identity of the file generation the pool currently reads (for cache keys)."""
        return self._identity()


@contextlib.contextmanager
def writer_lock(db_path: Path) -> Iterator[None]:
    """Serialise writers: one load at a time per warehouse."""
    private_dir(db_path.parent)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# A working copy is `.<name>.<random>.tmp` (beside it, DuckDB's `.wal`); a restore's is
# `.<name>.<random>.restauration`. Under the writer lock none is in use: any found then is
# what a killed writer left (as large as the warehouse, and it would stay forever).
_WORK_SUFFIXES = (".tmp", ".tmp.wal", ".restauration", ".restauration.wal")
MARGIN_BYTES = 32 * 1024 * 1024  # room for the load's own rows and DuckDB's checkpoint
MB = 1024 * 1024


def _work_copies(db_path: Path) -> list[Path]:
    prefix = f".{db_path.name}."
    return [
        p
        for p in db_path.parent.iterdir()
        if p.name.startswith(prefix) and p.name.endswith(_WORK_SUFFIXES) and not p.is_symlink()
    ]


def remove_stale_copies(db_path: Path) -> list[Path]:
    """Delete the working copies a killed writer left; the caller holds the writer lock."""
    removed = []
    for path in _work_copies(db_path):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def free_bytes(folder: Path) -> int:
    """Free space for this account on the file system of `folder`."""
    return shutil.disk_usage(folder).free


def no_space_message(needed: int, free: int, folder: Path) -> str:
    return (
        f"espace disque insuffisant : {-(-needed // MB)} Mo nécessaires, {free // MB} Mo "
        f"libres sur {folder}. Rien n'a été écrit ; libérez de la place puis relancez."
    )


def needed_bytes(db_path: Path) -> int:
    live = sum(p.stat().st_size for p in (db_path, db_path.with_name(db_path.name + ".wal"))
               if p.exists())  # fmt: skip
    return live + live // 10 + MARGIN_BYTES


def check_space(db_path: Path) -> None:
    """Refuse before copying when the working copy would not fit: a full disk met during
    the copy or the load fails deep in DuckDB (« IOException »), which says nothing useful.
    Needed: the live file and its WAL, plus 10 % and a fixed margin for the new rows."""
    needed = needed_bytes(db_path)
    free = free_bytes(db_path.parent)
    if free < needed:
        raise LoadFailed(no_space_message(needed, free, db_path.parent))


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return True
    return isinstance(error, duckdb.Error) and "No space left on device" in str(error)


# A writer in progress leaves this marker beside the warehouse (its command, its start);
# the next writer that finds it knows the previous one was killed and journals it.
def marker_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.en_cours")


INTERRUPTED_SOURCE = "inconnue"
INTERRUPTED_FILE = "(écriture interrompue)"


def read_interrupted(db_path: Path) -> list[dict]:
    """The writers that started and never finished (the marker's own, and those it
    carried forward from earlier interrupted attempts)."""
    marker = marker_path(db_path)
    try:
        raw = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return [{"debut": None, "commande": None}]
    if not isinstance(raw, dict):
        return [{"debut": None, "commande": None}]
    carried = raw.get("interrompus") if isinstance(raw.get("interrompus"), list) else []
    if "debut" not in raw:  # only earlier interruptions, carried forward
        return carried
    own = {"debut": raw.get("debut"), "commande": raw.get("commande"), "pid": raw.get("pid")}
    return [*carried, own]


def write_marker(db_path: Path, interrupted: list[dict], own: bool) -> None:
    """Write the marker: this writer's (`own`), or only the interrupted ones not journaled."""
    if not own and not interrupted:
        marker_path(db_path).unlink(missing_ok=True)
        return
    body: dict = {"interrompus": interrupted}
    if own:
        # the command and its file names (never a folder: names are what the journal shows)
        command = " ".join(Path(a).name if "/" in a else a for a in sys.argv)[:300]
        body |= {"debut": datetime.now().isoformat(timespec="seconds"), "pid": os.getpid(),
                 "commande": printable(command)}  # fmt: skip
    tmp = marker_path(db_path).with_suffix(".nouveau")
    tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    tmp.rename(marker_path(db_path))  # atomic; os.replace stays the swap's alone


def interrupted_message(entry: dict) -> str:
    when = entry.get("debut") or "date inconnue"
    command = f" ({entry['commande']})" if entry.get("commande") else ""
    return (
        f"Écriture interrompue{command}, commencée le {when} : le processus s'est arrêté "
        "sans finir (arrêt brutal, mémoire épuisée, coupure). L'entrepôt en service n'a pas "
        "été modifié et rien de cette écriture n'a été gardé ; relancez-la."
    )


def journal_interrupted(con: duckdb.DuckDBPyConnection, interrupted: list[dict]) -> None:
    """One 'failed' journal row per interrupted writer, in the new generation."""
    for entry in interrupted:
        try:
            started = datetime.fromisoformat(str(entry.get("debut")))
        except ValueError:
            started = datetime.now()
        con.execute(
            "INSERT INTO load_journal (source, file_name, sha256, size_bytes, status, "
            "started_at, ended_at, message) VALUES (?, ?, '', 0, 'failed', ?, ?, ?)",
            [INTERRUPTED_SOURCE, INTERRUPTED_FILE, started, datetime.now(),
             interrupted_message(entry)],
        )  # fmt: skip


def swap_in(tmp: Path, db_path: Path) -> None:
    """Make a complete file the live warehouse: durable first, then an atomic rename (the
    end of every write generation, and of a restore)."""
    _fsync(tmp)
    os.replace(tmp, db_path)
    _fsync(db_path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
