"""Restore against a hostile backup folder (issue #32, items 8 and 11): a manifest that
points outside the folder, files changed with their sha256 recomputed, links, a warehouse
carrying views or macros the migrations never made. Nothing is restored, exit 1."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines import access, sauvegarde
from pipelines.cli import main
from pipelines.sauvegarde import MANIFEST
from pipelines.settings import Settings
from tests.test_sauvegarde import resign


@pytest.fixture(scope="module")
def pristine(sample_db, tmp_path_factory) -> tuple[Path, Path]:
    """(one backup of the demo warehouse, the backup key that signed it), made once."""
    root = tmp_path_factory.mktemp("pristine")
    db = root / "service" / "pilotage.duckdb"
    db.parent.mkdir()
    shutil.copyfile(sample_db, db)
    shutil.copyfile(access.access_path(sample_db), access.access_path(db))
    (db.parent / "rapports" / "chargement_1").mkdir(parents=True)
    (db.parent / "rapports" / "chargement_1" / "rapport.html").write_text("<p>r</p>", "utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv(sauvegarde.KEY_ENV, str(root / "garde" / "cle_sauvegarde"))
    sauvegarde.backup(Settings.from_env(db), root / "sauvegarde")
    mp.undo()
    return root / "sauvegarde", root / "garde" / "cle_sauvegarde"


@pytest.fixture
def backup(pristine, tmp_path, monkeypatch) -> Path:
    """A private copy of the backup; the key that signed it configured."""
    copy = tmp_path / "sauvegarde"
    shutil.copytree(pristine[0], copy)
    monkeypatch.setenv(sauvegarde.KEY_ENV, str(pristine[1]))
    return copy


def _manifest(backup: Path) -> dict:
    return json.loads((backup / MANIFEST).read_text("utf-8"))


def _relist(backup: Path, manifest: dict, name: str) -> None:
    """Recompute a file's sha256 and size in the manifest, as a forger would."""
    data = (backup / name).read_bytes()
    manifest["fichiers"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "octets": len(data)}


def _refused(tmp_path, backup: Path, capsys, words: str) -> None:
    fresh = tmp_path / "neuf" / "pilotage.duckdb"
    capsys.readouterr()
    assert main(["restauration", str(backup), "--db", str(fresh)]) == 1
    err = capsys.readouterr().err
    assert words in err, err
    assert not fresh.exists() and not access.access_path(fresh).exists()


def _add_admin(path: Path) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE utilisateur SET role = 'admin'")
    con.close()


def test_an_accounts_file_outside_the_folder_is_refused(tmp_path, backup, capsys) -> None:
    """The audit's case: `acces` -> ../elsewhere.sqlite, an accounts file with an extra
    admin. Unsigned, the signature refuses it; signed (as if the key had leaked), the
    name is still refused: every installed file is listed and inside the folder."""
    elsewhere = tmp_path / "elsewhere.sqlite"
    shutil.copyfile(backup / "pilotage.duckdb.acces.sqlite", elsewhere)
    _add_admin(elsewhere)
    manifest = _manifest(backup)
    manifest["acces"] = "../elsewhere.sqlite"
    (backup / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    _refused(tmp_path, backup, capsys, "signature du manifeste invalide")
    resign(backup, manifest)
    _refused(tmp_path, backup, capsys, "hors du dossier de sauvegarde")
    manifest["acces"] = str(elsewhere)  # absolute
    resign(backup, manifest)
    _refused(tmp_path, backup, capsys, "hors du dossier de sauvegarde")
    manifest["acces"] = "autre.sqlite"  # inside, but not listed
    resign(backup, manifest)
    _refused(tmp_path, backup, capsys, "n'est pas listé au manifeste")


def test_a_changed_file_with_its_sha256_recomputed_is_refused(tmp_path, backup, capsys) -> None:
    """The accounts file (an admin added) and the warehouse, each with a matching sha256:
    damage would pass a checksum; only the signature catches tampering."""
    manifest = _manifest(backup)
    _add_admin(backup / "pilotage.duckdb.acces.sqlite")
    _relist(backup, manifest, "pilotage.duckdb.acces.sqlite")
    (backup / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    _refused(tmp_path, backup, capsys, "signature du manifeste invalide")


def test_a_backup_signed_with_another_key_is_refused(tmp_path, backup, capsys, monkeypatch) -> None:
    other = tmp_path / "autre_cle"
    other.write_text("f" * 64, "ascii")
    other.chmod(0o600)
    monkeypatch.setenv(sauvegarde.KEY_ENV, str(other))
    _refused(tmp_path, backup, capsys, "signature du manifeste invalide")
    monkeypatch.setenv(sauvegarde.KEY_ENV, str(tmp_path / "absente"))
    _refused(tmp_path, backup, capsys, "Clé des sauvegardes introuvable")


def test_a_link_in_the_backup_is_refused(tmp_path, backup, capsys) -> None:
    """A report replaced by a link to a secret of the service, listed and signed."""
    secret = tmp_path / "secret"
    secret.write_text("<p>r</p>", "utf-8")
    report = backup / "rapports" / "chargement_1" / "rapport.html"
    report.unlink()
    report.symlink_to(secret)
    resign(backup, _manifest(backup))
    _refused(tmp_path, backup, capsys, "« rapports/chargement_1/rapport.html » est un lien")


@pytest.mark.parametrize(
    "planted, named",
    [
        ("CREATE VIEW espion AS SELECT * FROM load_journal", "vue « main.espion » en trop"),
        (
            "CREATE OR REPLACE MACRO arrondi(x, decimales) AS 0",
            "macro « main.arrondi » définie autrement",
        ),
        ("CREATE TABLE en_trop (x INTEGER)", "table « main.en_trop » en trop"),
        ("CREATE SCHEMA cache; CREATE VIEW cache.v AS SELECT 1", "vue « cache.v » en trop"),
        ("CREATE OR REPLACE VIEW entrant AS SELECT 1 AS x", "vue « main.entrant » définie"),
    ],
)
def test_a_warehouse_with_objects_the_migrations_never_made_is_refused(
    tmp_path, backup, capsys, planted, named
) -> None:
    """Signed and with its sha256 right (the key holder's own mistake, or a leaked key):
    the catalog itself is compared with what the code's migrations build."""
    with duckdb.connect(str(backup / "pilotage.duckdb")) as con:
        con.execute(planted)
    manifest = _manifest(backup)
    _relist(backup, manifest, "pilotage.duckdb")
    resign(backup, manifest)
    _refused(tmp_path, backup, capsys, named)


def test_an_untouched_backup_restores(tmp_path, backup, capsys) -> None:
    """The same copy, untouched, restores: the refusals above are the changes' doing."""
    fresh = tmp_path / "neuf" / "pilotage.duckdb"
    assert main(["restauration", str(backup), "--db", str(fresh)]) == 0
    assert access.list_users(fresh)
