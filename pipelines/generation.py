"""A new generation of the warehouse: written on a private copy, its opening reads stored,
then swapped in atomically (the copy-and-swap of pipelines/warehouse.py).

Every writer goes through here (loads, lots, territoires, organismes, purges, schema
upgrades), so that every generation stores the results the pages open with, computed from
its own data (pipelines/precalcul.py), or none (storing off or deferred; the journal row
of a refused file alone keeps them as they were): this module sits above both the
warehouse's low-level functions and the indicators that compute those results.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines import warehouse
from pipelines.errors import LoadFailed, UsageError

T = TypeVar("T")


def _precalcul():
    """pipelines/precalcul.py, imported when a generation is written, not with this module:
    it imports the indicators and the DREES return (a fifth of a second), which a command
    that only validates a file never needs."""
    from pipelines import precalcul

    return precalcul


def upgrade(db_path: Path) -> tuple[int, int]:
    """Bring a live warehouse to the code's schema (a new release adds migrations): the
    migrations run on a copy swapped in atomically, so readers never see a half-migrated
    file. Returns (version before, version after); a missing warehouse is left missing (the
    first load creates it). Run before each start of the dashboard (`migrer`): it stores
    no results (minutes for a national warehouse, on the start's path); the arrivals
    pass that follows does (`store_if_outdated`)."""
    db_path = Path(db_path)
    if not db_path.exists():
        return 0, 0
    con = warehouse.open_reader(db_path)
    try:
        before = warehouse.schema_version(con)
    finally:
        con.close()
    if before >= warehouse.latest_version():
        return before, before
    with _precalcul().deferred(), write_generation(db_path):  # migrates the copy, swaps it in
        pass
    return before, warehouse.latest_version()


@contextlib.contextmanager
def write_generation(db_path: Path, *, results_kept: bool = False) -> Iterator[Path]:
    """Yield the path of a migrated private copy of the warehouse; swap it in on success.

    The caller writes to the yielded path (ATTACH or connect) and must have closed or
    detached it when the block ends. The copy starts without the results stored from the
    old data; the pages' opening reads are then computed from the copy and stored in it
    (pipelines/precalcul.py, unless storing is off), before the swap. `results_kept`: a
    write that changes nothing those reads read (the journal row of a refused file)
    keeps the copy's stored results as they are. On any exception the
    copy is deleted and the live file is left exactly as it was. Under the lock, first:
    the copies a killed writer left are deleted, its interruption is journaled in this
    generation (« Écriture interrompue »), and the free space is checked before copying.
    """
    db_path = Path(db_path)
    precalcul = _precalcul()
    with warehouse.writer_lock(db_path):
        warehouse.remove_stale_copies(db_path)
        interrupted = warehouse.read_interrupted(db_path)
        warehouse.check_space(db_path)
        warehouse.write_marker(db_path, interrupted, own=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{db_path.name}.", suffix=".tmp", dir=db_path.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            blank = False
            if db_path.exists():
                shutil.copyfile(db_path, tmp)
            else:
                tmp.unlink()
                blank = warehouse.copy_blank(tmp)  # else the new file is migrated here
            with warehouse.connect(str(tmp)) as con:
                warehouse.migrate(con)
                if blank:  # the blank file's migrations were applied when it was made
                    con.execute("UPDATE schema_version SET applied_at = current_timestamp")
                warehouse.refresh_nomenclatures(con)
                if not results_kept:  # results of the old data: none
                    con.execute(f"DELETE FROM {precalcul.TABLE}")
                warehouse.journal_interrupted(con, interrupted)
            yield tmp
            if precalcul.enabled() and not results_kept:
                precalcul.refresh(tmp)  # the pages' opening reads, from this generation's data
            if tmp.with_name(tmp.name + ".wal").exists():  # a writer that did not checkpoint
                with warehouse.connect(str(tmp)) as con:
                    con.execute("CHECKPOINT")
            warehouse.swap_in(tmp, db_path)
        except BaseException as error:
            warehouse.write_marker(db_path, interrupted, own=False)  # still to journal, next time
            if warehouse.is_disk_full(error):  # filled meanwhile (another program, a large load)
                free = warehouse.free_bytes(db_path.parent)
                needed = max(warehouse.needed_bytes(db_path), free + warehouse.MB)
                raise LoadFailed(
                    warehouse.no_space_message(needed, free, db_path.parent)
                ) from error
            raise
        else:
            warehouse.marker_path(db_path).unlink(missing_ok=True)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()


@contextlib.contextmanager
def working_copy(db_path: Path, **config: object) -> Iterator[duckdb.DuckDBPyConnection]:
    """A new generation (see `write_generation`) attached as `wh` to one in-memory DuckDB
    instance (`config`), for many writes: a lot of files, each written by a connection of
    its own (`con.cursor()`) in a transaction of its own. The instance, the migrations and
    the copy are paid once; the copy is checkpointed, closed and swapped in at the end, or
    deleted, with the live file untouched, if the block raises."""
    with write_generation(db_path) as tmp:
        con = warehouse.connect(**config)
        try:
            con.execute("ATTACH ? AS wh", [str(tmp)])
            yield con
            con.execute("CHECKPOINT wh")
        finally:
            con.close()


def in_generation(db_path: Path, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run `work(con)` on a new generation attached as `wh`, in one transaction, and swap
    it in: a small administrative write (purge, territoires) that is all or nothing."""
    if not db_path.exists():
        raise UsageError(f"Entrepôt introuvable : {db_path}.")
    with working_copy(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        result = work(con)
        con.execute("COMMIT")
    return result


def store_results(db_path: Path) -> None:
    """A new generation whose only change is its stored results (pipelines/precalcul.py):
    after writes made `precalcul.deferred` (the demo build, an upgrade)."""
    with write_generation(db_path):
        pass


def store_if_outdated(db_path: Path) -> bool:
    """`store_results` when the warehouse's results are missing or of other code
    (`precalcul.outdated`: a release, an upgrade, a restored backup); whether it did.
    Run by the command `precalcul`, which the arrivals service runs after each pass. A
    load that stores them meanwhile only makes this one redundant, never wrong."""
    if not db_path.exists():
        return False
    con = warehouse.open_reader(db_path)
    try:
        stale = _precalcul().outdated(con)
    finally:
        con.close()
    if stale:
        store_results(db_path)
    return stale
