"""Warehouse: migrations, idempotent reloads, replacement, and reads during loads."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import duckdb
import pytest

from pipelines import generation, indicators, loader, warehouse
from pipelines.cli import main
from pipelines.nomenclatures import codes
from tests.conftest import pecgm_lines, table_rows, write_pecgm

REPO = Path(__file__).resolve().parents[1]


def test_migrations_are_numbered_and_recorded(settings, tmp_path) -> None:
    versions = [v for v, _ in warehouse.migrations()]
    assert versions == sorted(set(versions)) and versions[0] == 1
    with generation.write_generation(settings.db_path):
        pass
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert warehouse.schema_version(con) == warehouse.latest_version()
        names = [
            r[0] for r in con.execute("SELECT name FROM schema_version ORDER BY version").fetchall()
        ]
        assert names == [p.stem for _, p in warehouse.migrations()]
        assert con.execute(
            "SELECT list(code ORDER BY code) FROM nomenclature WHERE nom = 'categorie'"
        ).fetchone()[0] == sorted(codes("categorie"))


def test_a_new_warehouse_starts_from_the_blank_one_migrated_once(tmp_path, monkeypatch) -> None:
    """Every new warehouse of a process is a copy of one blank warehouse migrated once (the
    migrations cost 0.1 s each time): it has exactly the schema the migrations make, its
    own nomenclatures and dates of its own, and the blank file is made again when a
    migration changes."""
    monkeypatch.setattr(warehouse, "_BLANK", {})
    started: list[int] = []  # the version each migrate() call found
    real_migrate = warehouse.migrate

    def spying(con, upto=None):
        started.append(warehouse.schema_version(con))
        return real_migrate(con, upto)

    monkeypatch.setattr(warehouse, "migrate", spying)
    made = []
    for name in ("a", "b"):
        moment = con_now()
        with generation.write_generation(tmp_path / name / "w.duckdb"):
            pass
        made.append((tmp_path / name / "w.duckdb", moment))
    latest = warehouse.latest_version()
    assert started == [0, latest, latest]  # the blank file, then two copies with nothing to do
    for path, moment in made:
        assert warehouse.schema_differences(path, latest) == []
        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("SELECT min(applied_at) FROM schema_version").fetchone()[0] >= moment
            assert con.execute("SELECT count(*) FROM nomenclature").fetchone()[0] > 0
    # A new migration file (a release): the next new warehouse gets its own blank file.
    extra = tmp_path / "migrations"
    extra.mkdir()
    for _version, path in warehouse.migrations():
        (extra / path.name).write_bytes(path.read_bytes())
    (extra / f"{latest + 1:04d}_essai.sql").write_text("CREATE TABLE essai (x INTEGER);")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", extra)
    del started[:]
    with generation.write_generation(tmp_path / "c" / "w.duckdb"):
        pass
    assert started == [0, latest + 1]
    assert len(warehouse._BLANK) == 2


def test_without_a_temporary_folder_a_new_warehouse_is_migrated_in_place(
    tmp_path, monkeypatch
) -> None:
    """No blank file can be made (the temporary folder full): the new warehouse is
    migrated itself, as it was before the blank copy, and nothing says otherwise."""
    monkeypatch.setattr(warehouse, "_BLANK", {})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(warehouse.tempfile, "mkdtemp", full)
    path = tmp_path / "w.duckdb"
    with generation.write_generation(path):
        pass
    assert warehouse.schema_differences(path, warehouse.latest_version()) == []
    assert warehouse._BLANK == {}


def con_now():
    """DuckDB's clock (current_timestamp is local time without a zone in schema_version)."""
    with duckdb.connect() as con:
        return con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]


def test_a_database_without_the_version_table_is_at_version_0(tmp_path) -> None:
    """A new file, an empty one attached under another name, or a file of something else:
    version 0, as the callers expect (a query of the missing table used to fail, DuckDB's
    client finding the Python function of that name instead)."""
    with duckdb.connect() as con:
        assert warehouse.schema_version(con) == 0
        con.execute("ATTACH ? AS autre", [str(tmp_path / "autre.duckdb")])
        con.execute("CREATE TABLE autre.t (x INTEGER)")
        assert warehouse.schema_version(con, "autre") == 0
        warehouse.migrate(con)
        assert warehouse.schema_version(con) == warehouse.latest_version()
        assert warehouse.schema_version(con, "autre") == 0


def test_migrate_is_incremental(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert warehouse.migrate(con) == warehouse.latest_version()
    assert warehouse.migrate(con) == warehouse.latest_version()
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(
        warehouse.migrations()
    )


def test_migrer_brings_a_warehouse_of_the_previous_release_up_to_date(
    tmp_path, settings, capsys
) -> None:
    """A new release adds migrations (0015: the territoire macros every indicator calls): the
    service runs `migrer` before the dashboard reads, and the indicators answer again."""
    write_pecgm(tmp_path / "p.txt", pecgm_lines())
    assert loader.load("pecgm", tmp_path / "p.txt", settings).status == "loaded"
    with duckdb.connect(str(settings.db_path)) as con:  # as the previous release left it
        for table_macro in ("territoire_personnes", "contrat_par_cle"):
            con.execute(f"DROP MACRO TABLE {table_macro}")
        for macro in ("dans_territoire", "arrondi", "part", "cles_personne"):
            con.execute(f"DROP MACRO {macro}")
        con.execute(
            "ALTER TABLE ft_statut DROP COLUMN identite_certifiee"
        )  # 0016 undone (0017, OARSA, is idempotent)
        con.execute("ALTER TABLE ft_contrainte DROP COLUMN valeur")
        con.execute("DELETE FROM schema_version WHERE version >= 15")
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        try:
            indicators.stock(con, "2A", "2026-10")
        except duckdb.CatalogException:
            pass
        else:
            raise AssertionError("the test's old warehouse should lack the territoire macros")
    assert main(["migrer"]) == 0
    assert "mis à jour : version 14 -> " in capsys.readouterr().out
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        assert warehouse.schema_version(con) == warehouse.latest_version()
        assert indicators.stock(con, "2A", "2026-10")["stock_total"] == 40
    assert main(["migrer"]) == 0
    assert "à jour (version" in capsys.readouterr().out


def test_migrer_leaves_a_missing_warehouse_missing(settings, capsys) -> None:
    assert main(["migrer"]) == 0 and not settings.db_path.exists()
    assert "rien à migrer" in capsys.readouterr().out


def test_same_file_twice_changes_nothing(tmp_path, settings, capsys) -> None:
    path = write_pecgm(tmp_path / "PECGM.txt", pecgm_lines())
    assert main(["load", "pecgm", str(path)]) == 0
    before = settings.db_path.read_bytes()
    capsys.readouterr()
    assert main(["load", "pecgm", str(path)]) == 0
    assert "est déjà chargé (chargement n° 1" in capsys.readouterr().out
    assert settings.db_path.read_bytes() == before


class _SlowHash(Future):
    """A background hash still running when the load starts writing (a big file)."""

    def __init__(self, compute) -> None:
        super().__init__()
        self._compute = compute

    def result(self, timeout=None):
        if not super().done():
            self.set_result(self._compute())
        return super().result(timeout)


def test_same_file_recognised_after_the_writing_is_rolled_back(
    tmp_path, settings, monkeypatch
) -> None:
    """When the hash is not ready before writing, the same check runs inside the write
    transaction: the duplicate is rolled back, the warehouse file is left as it was."""
    from pipelines.readers import encoding

    path = write_pecgm(tmp_path / "PECGM.txt", pecgm_lines())
    assert loader.load("pecgm", path, settings).status == "loaded"
    before = settings.db_path.read_bytes()
    monkeypatch.setattr(encoding._HASHER, "submit", lambda fn, *args: _SlowHash(lambda: fn(*args)))
    again = write_pecgm(tmp_path / "PECGM_copie.txt", pecgm_lines())  # same bytes
    outcome = loader.load("pecgm", again, settings)
    assert outcome.status == loader.ALREADY_LOADED and outcome.load_id == 1
    assert settings.db_path.read_bytes() == before
    other = write_pecgm(tmp_path / "PECGM_autre.txt", pecgm_lines(persons=41))
    assert loader.load("pecgm", other, settings).status == "loaded"  # a new file still loads
    con = warehouse.open_reader(settings.db_path)
    hashes = [r[0] for r in con.execute("SELECT sha256 FROM load_journal ORDER BY id").fetchall()]
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)  # never the placeholder


def test_new_file_for_same_month_supersedes(tmp_path, settings) -> None:
    first = write_pecgm(tmp_path / "v1.txt", pecgm_lines(persons=40, seed=1))
    second = write_pecgm(tmp_path / "v2.txt", pecgm_lines(persons=60, seed=2))
    assert loader.load("pecgm", first, settings).status == "loaded"
    outcome = loader.load("pecgm", second, settings)
    assert (
        outcome.status == "loaded"
        and "Remplace le chargement n° 1" in table_rows(settings, "load_journal")[1][15]
    )
    journal = {r[0]: (r[11], r[16]) for r in table_rows(settings, "load_journal")}
    assert journal == {1: ("superseded", 2), 2: ("loaded", None)}
    stock = table_rows(settings, "pecgm_stock")
    assert {r[0] for r in stock} == {2} and len(stock) == outcome.rows_loaded


def test_failed_write_leaves_live_file_untouched(tmp_path, settings) -> None:
    path = write_pecgm(tmp_path / "a.txt", pecgm_lines())
    loader.load("pecgm", path, settings)
    before = settings.db_path.read_bytes()
    try:
        with generation.write_generation(settings.db_path) as tmp:
            with duckdb.connect(str(tmp)) as con:
                con.execute("DELETE FROM pecgm_stock")
            raise RuntimeError("crash in the middle of a load")
    except RuntimeError:
        pass
    assert settings.db_path.read_bytes() == before
    assert not list(settings.db_path.parent.glob("*.tmp"))


LOAD_EACH = """
import sys
from pipelines.cli import main
for path in sys.argv[1:]:
    if main(["load", "pecgm", path]) != 0:
        raise SystemExit(1)
"""


def test_reader_keeps_answering_during_loads_and_sees_new_data(tmp_path, settings) -> None:
    """The dashboard's reader pool, hammered while another process loads four months."""
    files = [
        write_pecgm(
            tmp_path / f"m{m}.txt", pecgm_lines(persons=3000, month=f"2026-{m:02d}", seed=m)
        )
        for m in (6, 7, 8, 9)
    ]
    assert loader.load("pecgm", files[0], settings).status == "loaded"
    pool = warehouse.ReaderPool(settings.db_path)
    observations, errors, done = [], [], threading.Event()

    def read_loop() -> None:
        while not done.is_set():
            try:
                cur = pool.cursor()
                observations.append(
                    cur.execute(
                        "SELECT (SELECT count(*) FROM pecgm_stock), "
                        "(SELECT coalesce(sum(rows_loaded), 0) FROM load_journal WHERE status = 'loaded'), "
                        "(SELECT count(DISTINCT mois) FROM pecgm_stock)"
                    ).fetchone()
                )
            except Exception as error:
                errors.append(error)
            time.sleep(0.002)

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        # one other process loads the three months one after the other (one interpreter:
        # each start imports Great Expectations' renderer, seconds that prove nothing here)
        subprocess.run(
            [sys.executable, "-c", LOAD_EACH, *map(str, files[1:])],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
    finally:
        time.sleep(0.1)
        done.set()
        reader.join()
    assert not errors
    assert len(observations) > 20
    # Never half a load: the rows always match the journal of the same generation.
    assert all(rows == journaled for rows, journaled, _ in observations)
    months_seen = [m for _, _, m in observations]
    assert months_seen == sorted(months_seen) and months_seen[0] == 1 and months_seen[-1] == 4


def test_a_lot_is_one_generation_all_or_nothing(tmp_path, settings, monkeypatch) -> None:
    """load --lot: several départements' files, one swap; a failure keeps none of them."""
    from pipelines import loader
    from pipelines.cli import main
    from tests.conftest import pecgm_lines, write_pecgm

    paths = [
        str(write_pecgm(tmp_path / f"PECGM_{d}_202610.txt", pecgm_lines(40, departement=d)))
        for d in ("2A", "2B", "75")
    ]
    swaps = []
    real_replace = loader.warehouse.os.replace

    def counting_replace(a, b):
        swaps.append(b)
        return real_replace(a, b)

    monkeypatch.setattr(loader.warehouse.os, "replace", counting_replace)
    assert main(["load", "pecgm", *paths, "--lot"]) == 0
    assert len(swaps) == 1
    assert {r[1] for r in table_rows(settings, "pecgm_stock")} == {"2A", "2B", "75"}

    before = settings.db_path.read_bytes()
    more = [
        str(write_pecgm(tmp_path / f"PECGM_{d}_202611.txt", pecgm_lines(40, "2026-11", d)))
        for d in ("2A", "2B")
    ]
    calls = {"n": 0}
    real_insert = loader.get_source("pecgm").insert

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disque plein")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(loader.get_source("pecgm"), "insert", failing)
    assert main(["load", "pecgm", *more, "--lot"]) == 1
    assert settings.db_path.read_bytes() == before  # the lot's first file is not kept either


def test_a_file_of_a_lot_leaves_nothing_of_itself_when_its_write_is_undone(
    tmp_path, settings, monkeypatch
) -> None:
    """The files of a lot share one working copy, each in a transaction of its own: a file
    recognised as already loaded only once its rows are written (its hash came late) is
    rolled back alone, and the lot goes on with one copy and one swap."""
    first = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines(40, departement="2A"))
    other = write_pecgm(tmp_path / "PECGM_2B_202610.txt", pecgm_lines(30, departement="2B"))
    again = tmp_path / "PECGM_2A_202610_renvoi.txt"
    again.write_bytes(first.read_bytes())
    monkeypatch.setattr(loader, "_already_loaded", lambda *args: None)  # as if hashed late
    loaded = loader.load("pecgm", first, settings)  # the lot copies an existing warehouse
    copies = []
    real_copy = warehouse.shutil.copyfile
    monkeypatch.setattr(
        warehouse.shutil, "copyfile", lambda a, b: copies.append(b) or real_copy(a, b)
    )
    outcomes = loader.load_batch("pecgm", [first, other, again], settings)
    assert [o.status for o in outcomes] == ["already_loaded", "loaded", loader.ALREADY_LOADED]
    assert len(copies) == 1
    rows = table_rows(settings, "pecgm_stock")
    assert {r[1] for r in rows} == {"2A", "2B"}
    assert len(rows) == loaded.rows_loaded + outcomes[1].rows_loaded  # none of the file sent again
    journal = table_rows(settings, "load_journal")
    assert sorted(r[11] for r in journal) == ["loaded", "loaded"]


def test_a_sibling_cursor_reads_the_same_catalog_beside_its_parent(tmp_path) -> None:
    """`warehouse.sibling`: the OARSA tables run two at a time on such cursors. A bare
    `cursor()` would read the in-memory catalog, where the warehouse's tables are not."""
    db = tmp_path / "w.duckdb"
    con = warehouse.connect(str(db))
    warehouse.migrate(con)
    con.execute("INSERT INTO nomenclature VALUES ('essai', 'x', 'un essai', 'essai', NULL)")
    con.close()
    reader = warehouse.open_reader(db)
    sibling = warehouse.sibling(reader)
    query = "SELECT libelle FROM nomenclature WHERE nom = 'essai'"
    assert sibling.execute(query).fetchall() == [("un essai",)]
    assert sibling.execute("SELECT current_database()").fetchone() == ("wh",)
    with pytest.raises(duckdb.CatalogException):  # what a bare cursor would do
        reader.cursor().execute(query)
    quoted = duckdb.connect()
    quoted.execute("""ATTACH ':memory:' AS "un ""nom"" " """)
    quoted.execute("""USE "un ""nom"" " """)
    assert warehouse.sibling(quoted).execute("SELECT current_database()").fetchone() == (
        'un "nom" ',
    )
