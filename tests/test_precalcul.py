"""The pages' opening reads stored by the writer of each generation (pipelines/precalcul.py):
exactly what the pages would compute, what each data page's first view after a load finds
without computing, never outliving the data they come from, and a stored form that gives
back the very value it was given (types and key order)."""

from __future__ import annotations

import errno
import logging
import math
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import db
from pipelines import generation, indicators, oarsa, precalcul, territoires, warehouse
from pipelines.access import User
from pipelines.errors import LoadFailed
from pipelines.settings import SAMPLE_DIR, Settings
from sample_data.demo import SAMPLE_DEPARTEMENT, sample_files
from tests.conftest import build_demo_into, forget_cached_views, run_app

ANALYST = User("a", "analyste", ("2A",))
DATA_PAGES = ("synthese", "orientations", "demandeurs", "accompagnement", "delais",
              "cohortes", "oarsa")  # fmt: skip


def stored_rows(path: Path) -> dict[tuple[str, str], str]:
    """(read, key) -> stored value of a warehouse file (its storing's marker left out)."""
    con = warehouse.open_reader(path)
    try:
        rows = con.execute(
            f"SELECT lecture, cle, valeur FROM {precalcul.TABLE} WHERE lecture <> ?",
            [precalcul.MARKER],
        ).fetchall()
    finally:
        con.close()
    return {(read, key): value for read, key, value in rows}


def opening(path: Path) -> list[tuple[str, str, tuple]]:
    con = warehouse.open_reader(path)
    try:
        return list(precalcul.opening_reads(con))
    finally:
        con.close()


# --- The stored form -------------------------------------------------------------------

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8)
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=30,
)


@given(VALUES)
def test_a_storable_value_comes_back_the_same(value):
    """Lists stay lists, tuples tuples, 1 stays an int, key order is kept, NaN is NaN."""
    text = precalcul.storable(value)
    assert text is not None
    assert precalcul.same(precalcul.decode(text), value)


@pytest.mark.parametrize(
    "value",
    [
        {1: "une clé entière"},  # JSON would give back "1"
        {"d": __import__("datetime").date(2026, 1, 1)},  # no JSON form
        {precalcul._TUPLE: [1, 2]},  # a dictionary shaped as the tuple tag
    ],
)
def test_a_value_json_cannot_carry_is_not_stored(value):
    assert precalcul.storable(value) is None


def test_same_tells_apart_what_equality_does_not():
    assert not precalcul.same(1, 1.0)
    assert not precalcul.same(True, 1)
    assert not precalcul.same([1], (1,))
    assert not precalcul.same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert precalcul.same(math.nan, math.nan)
    assert precalcul.same({"a": (1, [2.5, None])}, {"a": (1, [2.5, None])})


# --- The demo warehouse ------------------------------------------------------------------


def test_the_demo_stores_every_opening_read(sample_db):
    """Each read of READS is stored, for each key `opening_reads` lists, none left out."""
    stored = stored_rows(sample_db)
    wanted = {(read, precalcul.key_text(key)) for read, _, key in opening(sample_db)}
    assert set(stored) == wanted
    assert {read for read, _ in stored} == set(precalcul.READS)


def _computed_by_the_pages(read: str, key: tuple):
    """What the pages' cached read computes for (read, key) when nothing is stored."""
    path, gen = str(db.db_path()), db.generation()
    if read == "bilan":
        return oarsa.compute(db.pool().cursor(), *key)
    function = {
        "periode": db._span,
        "famille": db._family,
        "departement_entier": db._departement_wide,
        "grille_stock": db._stock_grille,
        "grilles_familles": db._familles_grille,
        "synthese": db._summary,
        "cohorte": db._cohorte,
    }[read]
    return function(path, gen, *key)


def test_each_stored_result_is_what_the_page_computes(sample_db, monkeypatch):
    """Stored by the load, read back: the same value (types, key order) as the pages
    compute through their own cached reads, which share some reads between families
    (the Synthèse's months, a grid's loaded months) where the writer reads each alone."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    stored = stored_rows(sample_db)
    forget_cached_views()
    monkeypatch.setattr(db, "_stored", lambda *_: {})  # the pages' computation alone
    try:
        for read, _, key in opening(sample_db):
            value = precalcul.decode(stored[(read, precalcul.key_text(key))])
            assert precalcul.same(value, _computed_by_the_pages(read, key)), (read, key)
    finally:
        forget_cached_views()


@pytest.mark.parametrize("slug", DATA_PAGES)
def test_a_first_view_after_a_load_computes_no_opening_read(slug, sample_db, monkeypatch):
    """Caches emptied as by a load: every read of the page's first view that the load
    may store is an opening read, and is found stored by the pages' own lookup (before,
    each was a DuckDB query: 0.5 to 1.2 s a view)."""
    monkeypatch.setenv("PILOTAGE_DB", str(sample_db))
    keys = {(read, precalcul.key_text(key)) for read, _, key in opening(sample_db)}
    asked, missed = [], []
    real = db.stored_or_computed

    def counted(path, gen, read, departement, key, *args, **kwargs):
        asked.append(read)
        text = precalcul.key_text(key)
        if (read, text) not in keys or text not in db._stored(path, gen, read, departement):
            missed.append((read, key))  # not an opening read, or not found where stored
        return real(path, gen, read, departement, key, *args, **kwargs)

    monkeypatch.setattr(db, "stored_or_computed", counted)
    forget_cached_views()
    try:
        at = run_app(ANALYST, {"dep": "2A"}, f"pages/{slug}.py")
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
    finally:
        forget_cached_views()
    assert asked, "la page n'a lu aucun résultat"
    assert missed == []


# --- Never older than the data -----------------------------------------------------------


SMALL_DEMO_MONTHS = ("202607", "202608", "202609", "202610")  # the last one is XML


def _build_small_demo(settings: Settings, folder: Path) -> None:
    """The demo build (`build_demo`, its results stored) on the sample's PECGM and CGPEM
    files of four months, its territoires and organismes: every opening read has keys
    (grids, periods, cohortes, bilan), at a fraction of the whole demo's storing cost."""
    root = folder / "exemple"
    picked = [
        path
        for source, path in sample_files()
        if source in ("pecgm", "cgpem") and path.name.split(".")[0][-6:] in SMALL_DEMO_MONTHS
    ]
    mappings = [
        SAMPLE_DIR / kind / f"{SAMPLE_DEPARTEMENT}.csv" for kind in ("territoires", "organismes")
    ]
    assert len(picked) == 2 * len(SMALL_DEMO_MONTHS), picked  # one PECGM, one CGPEM a month
    for path in [*picked, *mappings]:
        target = root / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)  # copies: a symbolic link is never read
    build_demo_into(settings.db_path.parent, root)


@pytest.fixture
def demo_copy(built_warehouses) -> Path:
    """A copy, at the test's PILOTAGE_DB, of a demo warehouse of four months (built once
    per run): what these tests check is how a write stores, keeps or drops the results,
    which does not need the whole demo's eighteen months (each storing of those cost
    about 5 s per test)."""
    return built_warehouses("demo-quatre-mois", _build_small_demo).db_path


def _new_territoires(tmp_path: Path) -> Path:
    """The demo's communes in one territoire: a partition the stored grids do not have."""
    mapping = tmp_path / "territoires.csv"
    con = warehouse.open_reader(Path(db.db_path()))
    try:
        communes = [c for cs in indicators.communes_par_territoire(con, "2A").values() for c in cs]
    finally:
        con.close()
    mapping.write_text("code_commune;territoire\n" + "".join(f"{c};Corse-du-Sud entière\n"
                                                            for c in communes))  # fmt: skip
    return mapping


def test_a_write_without_storing_empties_the_table(demo_copy, tmp_path):
    """PILOTAGE_PRECALCUL=0 (this suite's default): the new generation keeps no result
    of the old data; the pages compute theirs."""
    assert stored_rows(demo_copy)
    territoires.load_file(demo_copy, _new_territoires(tmp_path), "2A")
    assert stored_rows(demo_copy) == {}


def test_a_write_stores_the_results_of_its_own_data(demo_copy, tmp_path, monkeypatch):
    """After a new territoire file, the grids are stored under the new partition, with
    the new counts."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    territoires.load_file(demo_copy, _new_territoires(tmp_path), "2A")
    stored = stored_rows(demo_copy)
    assert set(stored) == {(r, precalcul.key_text(k)) for r, _, k in opening(demo_copy)}
    grids = [key for read, _, key in opening(demo_copy) if read == "grille_stock"]
    assert [[label for label, _ in partition] for _, partition, _ in grids] == [
        ["Corse-du-Sud entière"]
    ]
    con = warehouse.open_reader(demo_copy)
    try:
        for read, _, key in opening(demo_copy):
            value = precalcul.decode(stored[(read, precalcul.key_text(key))])
            if read.startswith("grille"):
                assert precalcul.same(value, precalcul.READS[read](con, *key))
    finally:
        con.close()


def test_deferred_writes_store_nothing_until_asked(demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    with precalcul.deferred():
        territoires.load_file(demo_copy, _new_territoires(tmp_path), "2A")
    assert stored_rows(demo_copy) == {}
    generation.store_results(demo_copy)
    assert {read for read, _ in stored_rows(demo_copy)} == set(precalcul.READS)


def test_a_failing_read_is_left_to_the_page_and_the_write_done(
    demo_copy, tmp_path, monkeypatch, caplog
):
    """A read that raises: the territoires are written all the same, every other result
    is stored, and the log names the read and the département, not the data."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")

    def broken(*_):
        raise duckdb.InvalidInputException("valeur 2A004 illisible")

    monkeypatch.setitem(precalcul.READS, "bilan", broken)
    with caplog.at_level(logging.ERROR, logger=precalcul.LOG.name):
        territoires.load_file(demo_copy, _new_territoires(tmp_path), "2A")
    assert {read for read, _ in stored_rows(demo_copy)} == set(precalcul.READS) - {"bilan"}
    con = warehouse.open_reader(demo_copy)
    try:
        assert list(indicators.communes_par_territoire(con, "2A")) == ["Corse-du-Sud entière"]
    finally:
        con.close()
    assert "bilan de 2A non enregistré (InvalidInputException)" in caplog.text
    assert "2A004" not in caplog.text


def test_a_full_disk_while_storing_keeps_the_live_file(demo_copy, tmp_path, monkeypatch):
    """No space left while the results are computed: the write is refused with the
    product's message, and the live warehouse (its data and its results) is untouched."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    before = demo_copy.read_bytes()

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(precalcul.READS, "bilan", full)
    with pytest.raises(LoadFailed, match="espace disque insuffisant"):
        territoires.load_file(demo_copy, _new_territoires(tmp_path), "2A")
    assert demo_copy.read_bytes() == before


def test_results_of_other_code_are_not_read_and_stored_anew(demo_copy, monkeypatch, capsys):
    """A release since the results were stored (another `code_version`): the pages do not
    read them, `migrer` (before each start of the dashboard) writes nothing, and the
    command `precalcul` (after each arrivals pass) stores them anew, once."""
    from pipelines import cli

    monkeypatch.setenv("PILOTAGE_DB", str(demo_copy))
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    with duckdb.connect(str(demo_copy)) as con:  # as an older release would have left it
        con.execute(f"UPDATE {precalcul.TABLE} SET version_code = 'version-precedente'")
    con = warehouse.open_reader(demo_copy)
    try:
        assert precalcul.stored(con, "famille", "2A") == {}
        assert precalcul.outdated(con)
    finally:
        con.close()
    written = demo_copy.stat().st_ino
    assert cli.main(["migrer"]) == 0
    assert demo_copy.stat().st_ino == written  # the start's path stores nothing
    assert cli.main(["precalcul"]) == 0
    assert "rangés de nouveau" in capsys.readouterr().out
    con = warehouse.open_reader(demo_copy)
    try:
        assert precalcul.stored(con, "famille", "2A")
        assert not precalcul.outdated(con)
        assert con.execute(f"SELECT DISTINCT version_code FROM {precalcul.TABLE}").fetchall() == [
            (precalcul.code_version(),)
        ]
    finally:
        con.close()
    assert cli.main(["precalcul"]) == 0
    assert "à jour : rien à faire" in capsys.readouterr().out


def test_a_storing_whose_reads_all_failed_is_not_tried_at_every_pass(demo_copy, monkeypatch):
    """Every read failing (memory, say): the pages compute, and the next arrivals pass
    does not compute them all again for nothing (the storing left its marker)."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")

    def broken(*_):
        raise duckdb.OutOfMemoryException("simulé")

    for read in precalcul.READS:
        monkeypatch.setitem(precalcul.READS, read, broken)
    generation.store_results(demo_copy)
    assert stored_rows(demo_copy) == {}
    assert not generation.store_if_outdated(demo_copy)


def test_an_upgrade_leaves_the_results_to_the_next_pass(demo_copy, monkeypatch):
    """A pending migration: `migrer` writes the migrated generation without results (not on
    the dashboard's start path), and `precalcul` stores them."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    with duckdb.connect(str(demo_copy)) as con:  # one migration behind
        con.execute(
            "DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)"
        )
    latest = warehouse.latest_version()
    assert generation.upgrade(demo_copy) == (latest - 1, latest)
    assert stored_rows(demo_copy) == {}
    assert generation.store_if_outdated(demo_copy)
    assert {read for read, _ in stored_rows(demo_copy)} == set(precalcul.READS)


def test_a_lot_stores_the_results_of_its_generation(demo_copy, monkeypatch):
    """The lot's path (`generation.working_copy`, the demo build's and the arrivals'):
    every opening read stored once it is swapped in."""
    monkeypatch.setenv(precalcul.VARIABLE, "1")
    with duckdb.connect(str(demo_copy)) as con:
        con.execute(f"DELETE FROM {precalcul.TABLE}")
    with generation.working_copy(demo_copy):
        pass
    wanted = {(r, precalcul.key_text(k)) for r, _, k in opening(demo_copy)}
    assert set(stored_rows(demo_copy)) == wanted


def test_a_refused_file_keeps_the_stored_results(demo_copy, tmp_path, monkeypatch):
    """A refused file writes its journal row alone, which no stored read reads: the new
    generation keeps the results as they are, without computing them again."""
    from pipelines import loader

    monkeypatch.setenv(precalcul.VARIABLE, "1")
    before = stored_rows(demo_copy)
    monkeypatch.setattr(precalcul, "refresh", lambda _: pytest.fail("résultats recalculés"))
    missing = tmp_path / "sans_parcours.csv"  # synthetic NIR (département 99)
    missing.write_text(
        "NIR;Date de naissance;DATE DEMANDE RSA\n1850799912345;01/07/1985;05/01/2026\n"
    )
    refused = loader.load("stock", missing, Settings.from_env(), "2A")
    assert refused.status == "refused"
    assert stored_rows(demo_copy) == before
