"""Backup and restore (`python -m pipelines sauvegarde DIR`, `restauration DIR`).

A backup is a folder: the warehouse file, the access file (accounts, audit trail), the
report folder, and `manifeste.json` (sha256 and size of each file, schema version, key
fingerprint). It is taken without stopping readers:

- the warehouse is never written in place (copy-and-swap, pipelines/warehouse.py): the
  live file is always one whole generation, so copying it is consistent; the copy is taken
  under the writer lock, so that no load swaps in meanwhile and the journal, the reports
  and the warehouse agree;
- the access file takes writes from the app at any time (audit rows): SQLite's backup
  API copies a consistent snapshot while they go on.

The folder is built under a hidden name and renamed when complete: a backup that exists
is whole. A restore checks every checksum, refuses a file the manifest does not list, a
schema version that is not the file's own or is newer than this version of the product,
then swaps the warehouse in (migrated if older), writes the access file through the
backup API and replaces the reports. The pseudonymisation key is never read, copied or
written: it is kept apart (README) and must be put back by its custodian.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import access, warehouse
from pipelines.errors import FileRefused, UsageError
from pipelines.settings import Settings
from pipelines.validation import archive

MANIFEST = "manifeste.json"
FORMAT = 1
REPORTS = "rapports"


class BackupRefused(FileRefused):
    """A backup that does not match its manifest, or this product: nothing restored (exit 1)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (SQLite's online backup API)."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _warehouse_facts(path: Path) -> tuple[int, str | None]:
    """(schema version, key fingerprint) of a warehouse file, opened read-only."""
    con = warehouse.open_reader(path)
    try:
        version = warehouse.schema_version(con)
        try:
            row = con.execute(
                "SELECT value FROM warehouse_meta WHERE key = 'key_fingerprint'"
            ).fetchone()
        except duckdb.CatalogException:  # a warehouse older than its meta table
            row = None
    finally:
        con.close()
    return version, (row[0] if row else None)


def _files(folder: Path) -> dict[str, Path]:
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def backup(settings: Settings, target: Path) -> dict:
    """Write a backup folder at `target` (which must not exist, or be empty); returns the
    manifest."""
    db = settings.db_path
    if not db.exists():
        raise UsageError(f"Entrepôt introuvable : {db}.")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"Le dossier de sauvegarde {target} existe déjà et n'est pas vide.")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with warehouse.writer_lock(db):
            shutil.copyfile(db, work / db.name)
            acces = access.access_path(db)
            if acces.exists():
                _sqlite_copy(acces, work / acces.name)
            reports = archive.reports_dir(db)
            if reports.is_dir():
                shutil.copytree(reports, work / REPORTS)
        version, key_fingerprint = _warehouse_facts(work / db.name)
        manifest = {
            "format": FORMAT,
            "cree_le": datetime.now().isoformat(timespec="seconds"),
            "entrepot": db.name,
            "acces": acces.name if acces.exists() else None,
            "version_schema": version,
            "empreinte_cle": key_fingerprint,
            "fichiers": {
                name: {"sha256": _sha256(path), "octets": path.stat().st_size}
                for name, path in _files(work).items()
            },
        }
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def verify(source: Path) -> dict:
    """The manifest of a backup whose files all match it and this product; refuses otherwise."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        listed = manifest["fichiers"]
        db_name = manifest["entrepot"]
        version = int(manifest["version_schema"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupRefused(f"{source} : manifeste absent ou illisible ({MANIFEST}).") from error
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source} : format de sauvegarde inconnu.")
    present = _files(source)
    unlisted = sorted(set(present) - set(listed))
    if unlisted:
        raise BackupRefused(f"{source} : fichier « {unlisted[0]} » absent du manifeste.")
    for name, facts in sorted(listed.items()):
        path = present.get(name)
        if path is None:
            raise BackupRefused(f"{source} : fichier « {name} » manquant.")
        if path.stat().st_size != facts["octets"] or _sha256(path) != facts["sha256"]:
            raise BackupRefused(
                f"{source} : l'empreinte sha256 de « {name} » ne correspond pas au manifeste "
                "(fichier modifié ou abîmé)."
            )
    if db_name not in listed:
        raise BackupRefused(f"{source} : l'entrepôt « {db_name} » manque à la sauvegarde.")
    actual, _ = _warehouse_facts(source / db_name)
    if actual != version:
        raise BackupRefused(
            f"{source} : version de schéma {actual} dans l'entrepôt, {version} dans le manifeste."
        )
    if version > warehouse.latest_version():
        raise BackupRefused(
            f"{source} : sauvegarde d'une version plus récente du produit (schéma {version}, "
            f"celui-ci connaît jusqu'à {warehouse.latest_version()})."
        )
    return manifest


def _install_warehouse(copy: Path, db: Path, sha256: str) -> None:
    """Copy beside the live path, check the copy, migrate it if older, swap it in."""
    fd, name = tempfile.mkstemp(prefix=f".{db.name}.", suffix=".restauration", dir=db.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(copy, tmp)
        if _sha256(tmp) != sha256:
            raise BackupRefused(f"Copie de {copy.name} altérée pendant la restauration.")
        with warehouse.connect(str(tmp)) as con:
            if warehouse.schema_version(con) < warehouse.latest_version():
                warehouse.migrate(con)
                warehouse.refresh_nomenclatures(con)
            con.execute("CHECKPOINT")
        warehouse.swap_in(tmp, db)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _install_reports(copy: Path, live: Path) -> None:
    """Replace the report folder by the backup's (renames, so never half of each)."""
    staged = live.with_name(f".{live.name}.restauration")
    old = live.with_name(f".{live.name}.ancien")
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
    if copy.is_dir():
        shutil.copytree(copy, staged)
    if live.exists():
        live.rename(old)
    if staged.exists():
        staged.rename(live)
    shutil.rmtree(old, ignore_errors=True)


def restore(settings: Settings, source: Path, replace: bool = False) -> dict:
    """Restore a verified backup into the configured warehouse path; returns its manifest."""
    manifest = verify(source)
    db = settings.db_path
    if db.exists() and not replace:
        raise UsageError(
            f"Un entrepôt existe déjà : {db}. Ajoutez --remplacer pour le remplacer par la "
            "sauvegarde (faites d'abord une sauvegarde de l'état actuel)."
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    with warehouse.writer_lock(db):
        _install_warehouse(
            source / manifest["entrepot"], db, manifest["fichiers"][manifest["entrepot"]]["sha256"]
        )
        if manifest.get("acces"):
            _sqlite_copy(source / manifest["acces"], access.access_path(db))
        _install_reports(source / REPORTS, archive.reports_dir(db))
    access.audit(
        db, settings.operator, "restauration", "ok",
        sauvegarde=str(source), cree_le=manifest.get("cree_le"),
        version_schema=manifest["version_schema"],
    )  # fmt: skip
    return manifest
