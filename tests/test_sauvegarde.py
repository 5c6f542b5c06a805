"""Backup while readers query and the app audits, restore into a fresh folder (same
indicators), and backups that do not match their manifest or this product refused."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from pipelines import access, indicators, sauvegarde, warehouse
from pipelines.cli import main
from pipelines.sauvegarde import MANIFEST
from pipelines.settings import Settings
from tests.conftest import TEST_KEY

MONTH = "2026-10"


@pytest.fixture
def live(tmp_path, sample_db, monkeypatch) -> Path:
    """A private copy of the demo warehouse and its access file, as PILOTAGE_DB."""
    db = tmp_path / "service" / "pilotage.duckdb"
    db.parent.mkdir()
    shutil.copyfile(sample_db, db)
    shutil.copyfile(access.access_path(sample_db), access.access_path(db))
    (db.parent / "rapports" / "chargement_1").mkdir(parents=True)
    (db.parent / "rapports" / "chargement_1" / "rapport.html").write_text("<p>r</p>", "utf-8")
    monkeypatch.setenv("PILOTAGE_DB", str(db))
    return db


def _indicators_json(capsys, db: Path) -> dict:
    capsys.readouterr()
    assert main(["indicators", "--db", str(db), "--departement", "2A", "--month", MONTH]) == 0
    return json.loads(capsys.readouterr().out)


def test_backup_while_reading_then_restore_gives_the_same_indicators(
    tmp_path, live, capsys, monkeypatch
) -> None:
    key_file = tmp_path / "garde" / "cle"
    key_file.parent.mkdir()
    key_file.write_text(TEST_KEY + "\n", encoding="ascii")
    monkeypatch.setenv("PILOTAGE_KEY_FILE", str(key_file))
    key_stat = key_file.stat()
    expected = _indicators_json(capsys, live)

    stop, errors, queries, audits = threading.Event(), [], [0], [0]

    def reader() -> None:  # the dashboard answering meanwhile
        pool = warehouse.ReaderPool(live)
        while not stop.is_set():
            try:
                indicators.summary(pool.cursor(), "2A", MONTH)
                queries[0] += 1
            except Exception as error:  # any error fails the test below
                errors.append(error)
                return

    def auditor() -> None:  # page views written to the access file meanwhile
        while not stop.is_set():
            access.audit(live, "analyste", "consultation", page="synthese")
            audits[0] += 1

    threads = [threading.Thread(target=reader), threading.Thread(target=auditor)]
    for t in threads:
        t.start()
    try:
        while queries[0] == 0 and not errors:
            stop.wait(0.05)
        assert main(["sauvegarde", str(tmp_path / "sauvegarde")]) == 0
        before = queries[0]
        while queries[0] == before and not errors:  # the readers still answer afterwards
            stop.wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors and queries[0] > 1 and audits[0] > 0

    backup = tmp_path / "sauvegarde"
    manifest = json.loads((backup / MANIFEST).read_text("utf-8"))
    assert manifest["version_schema"] == warehouse.latest_version()
    assert set(manifest["fichiers"]) == {
        "pilotage.duckdb",
        "pilotage.duckdb.acces.sqlite",
        "rapports/chargement_1/rapport.html",
    }
    backup_key = (key_file.parent / "cle_sauvegarde").read_bytes().strip()
    for path in backup.rglob("*"):  # the keys are kept apart, never in a backup
        assert not path.is_file() or TEST_KEY.encode() not in path.read_bytes()
        assert not path.is_file() or backup_key not in path.read_bytes()

    fresh = tmp_path / "neuf" / "pilotage.duckdb"
    monkeypatch.setenv("PILOTAGE_DB", str(fresh))
    assert main(["restauration", str(backup)]) == 0
    assert _indicators_json(capsys, fresh) == expected
    assert access.list_users(fresh) == access.list_users(live)
    assert (fresh.parent / "rapports" / "chargement_1" / "rapport.html").exists()
    assert key_file.read_text("ascii").strip() == TEST_KEY
    assert key_file.stat().st_mtime_ns == key_stat.st_mtime_ns
    # Restoring over an existing warehouse needs --remplacer.
    assert main(["restauration", str(backup)]) == 2
    assert main(["restauration", str(backup), "--remplacer"]) == 0


def _backup(tmp_path, live) -> Path:
    target = tmp_path / "sauvegarde"
    assert main(["sauvegarde", str(target), "--db", str(live)]) == 0
    return target


def _refused(tmp_path, backup: Path, capsys, words: str) -> None:
    fresh = tmp_path / "neuf" / "pilotage.duckdb"
    capsys.readouterr()
    assert main(["restauration", str(backup), "--db", str(fresh)]) == 1
    assert words in capsys.readouterr().err
    assert not fresh.exists() and not access.access_path(fresh).exists()


def test_a_tampered_warehouse_is_refused(tmp_path, live, capsys) -> None:
    backup = _backup(tmp_path, live)
    copy = backup / "pilotage.duckdb"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    _refused(tmp_path, backup, capsys, "sha256 de « pilotage.duckdb »")


def resign(backup: Path, manifest: dict) -> None:
    """Write a manifest signed with the backup key, as only its custodian can: what the
    restore checks after the signature is then tested on its own."""
    settings = Settings.from_env()
    manifest[sauvegarde.SIGNATURE] = sauvegarde._signature(
        sauvegarde._key(settings, create=False), manifest
    )
    (backup / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def test_a_schema_that_does_not_match_is_refused(tmp_path, live, capsys) -> None:
    backup = _backup(tmp_path, live)
    manifest = json.loads((backup / MANIFEST).read_text("utf-8"))
    manifest["version_schema"] += 1
    resign(backup, manifest)
    _refused(tmp_path, backup, capsys, "version de schéma")


def test_a_file_the_manifest_does_not_list_is_refused(tmp_path, live, capsys) -> None:
    backup = _backup(tmp_path, live)
    (backup / "rapports" / "ajout.html").write_text("<p>x</p>", "utf-8")
    _refused(tmp_path, backup, capsys, "absent du manifeste")


def test_backup_into_a_non_empty_folder_is_refused(tmp_path, live) -> None:
    target = tmp_path / "occupe"
    target.mkdir()
    (target / "autre").write_text("x", "utf-8")
    assert main(["sauvegarde", str(target)]) == 2
    assert sorted(p.name for p in target.iterdir()) == ["autre"]
