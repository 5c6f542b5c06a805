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
is whole. The manifest carries an HMAC-SHA256 keyed by the backup key, a secret kept
apart from the backups (`backup_key_path`): whoever can write a backup folder (a copy
kept off the machine, say) can change files and recompute their sha256, but not sign the
manifest, so a restore refuses tampering, not only damage.

A restore trusts nothing in the folder before the signature holds, then: every file it
installs is listed in the manifest with its sha256 and size, under a plain relative name
inside the folder (no `..`, no absolute path, no link, nothing but regular files); the
schema version is the file's own and not newer than this product; the warehouse's catalog
is exactly what the code's migrations build (`warehouse.schema_differences`: a planted
view or macro would run as whoever reads the warehouse next). Only then does it swap the
warehouse in (migrated if older), write the access file through the backup API from a
checked copy, and replace the reports. The pseudonymisation key is never read, copied or
written: it is kept apart (README) and must be put back by its custodian.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import stat
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import access, warehouse
from pipelines.errors import FileRefused, UsageError
from pipelines.readers.encoding import open_regular
from pipelines.settings import Settings, private_dir, read_private_file
from pipelines.validation import archive

MANIFEST = "manifeste.json"
FORMAT = 2  # 2: the manifest is signed (HMAC); format 1 backups are refused
REPORTS = "rapports"
SIGNATURE = "hmac_sha256"
KEY_ENV = "PILOTAGE_SAUVEGARDE_CLE_FILE"
KEY_WHAT = "Clé des sauvegardes"


class BackupRefused(FileRefused):
    """A backup that does not match its manifest, or this product: nothing restored (exit 1)."""


def backup_key_path(settings: Settings) -> Path:
    """Where the backup key lives: PILOTAGE_SAUVEGARDE_CLE_FILE, else beside the
    pseudonymisation key (`cle_sauvegarde`). Never in a backup: its custodian keeps a copy
    apart, as for the pseudonymisation key, and puts it back before a restore elsewhere."""
    return Path(os.environ.get(KEY_ENV) or settings.key_file.with_name("cle_sauvegarde"))


def _key(settings: Settings, create: bool) -> bytes:
    """The backup key (created 0600 by the first backup; a restore never creates it)."""
    path = backup_key_path(settings)
    if create and not os.path.lexists(path):
        private_dir(path.parent)
        with contextlib.suppress(FileExistsError):  # a concurrent backup created it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_hex(32) + "\n")
    try:
        text = read_private_file(path, KEY_WHAT)
    except UsageError as error:
        if create:
            raise
        raise BackupRefused(
            f"{error} Sans elle, la signature du manifeste ne peut être vérifiée : remettez "
            f"la copie gardée à part ({KEY_ENV})."
        ) from error
    if len(text) < 32:
        raise UsageError(f"{KEY_WHAT} : {path} contient moins de 32 caractères, refusée.")
    return text.encode("utf-8")


def _signature(key: bytes, manifest: dict) -> str:
    """HMAC-SHA256 of the manifest without its signature, in one canonical JSON form."""
    body = {k: v for k, v in manifest.items() if k != SIGNATURE}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as f:
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
    """Every regular file under `folder` (the manifest aside), by relative name; a link or
    a special file anywhere is refused: a restore never reads through one."""
    found = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root) / name
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            relative = path.relative_to(folder).as_posix()
            if not stat.S_ISREG(mode):
                kind = "lien symbolique" if stat.S_ISLNK(mode) else "fichier spécial"
                raise BackupRefused(f"{folder} : « {relative} » est un {kind}, refusé.")
            if relative != MANIFEST:
                found[relative] = path
    return dict(sorted(found.items()))


def _plain_name(name: object, top_level: bool = False) -> bool:
    """A name the manifest may list: relative, in the folder, no `..`, no backslash."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    if top_level and len(parts) != 1:
        return False
    return not name.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def backup(settings: Settings, target: Path) -> dict:
    """Write a backup folder at `target` (which must not exist, or be empty); returns the
    manifest."""
    db = settings.db_path
    if not db.exists():
        raise UsageError(f"Entrepôt introuvable : {db}.")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"Le dossier de sauvegarde {target} existe déjà et n'est pas vide.")
    target.parent.mkdir(parents=True, exist_ok=True)
    key = _key(settings, create=True)
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
        manifest[SIGNATURE] = _signature(key, manifest)
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


def verify(source: Path, settings: Settings) -> dict:
    """The manifest of a backup whose files all match it and this product; refuses otherwise
    (see the module: signature first, then names, files, checksums, schema)."""
    if not source.is_dir() or source.is_symlink():
        raise BackupRefused(f"{source} : pas un dossier de sauvegarde.")
    try:
        with open_regular(source / MANIFEST) as f:
            manifest = json.loads(f.read(16 * 1024 * 1024).decode("utf-8"))
        listed = manifest["fichiers"]
        db_name = manifest["entrepot"]
        acces = manifest.get("acces")
        version = int(manifest["version_schema"])
        signature = str(manifest[SIGNATURE])
        if not isinstance(listed, dict):
            raise TypeError(listed)
    except (OSError, ValueError, KeyError, TypeError, FileRefused) as error:
        raise BackupRefused(
            f"{source} : manifeste absent, illisible ou non signé ({MANIFEST}) ; une "
            "sauvegarde d'une version antérieure à la signature doit être refaite."
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source} : format de sauvegarde inconnu.")
    if not hmac.compare_digest(signature, _signature(_key(settings, create=False), manifest)):
        raise BackupRefused(
            f"{source} : signature du manifeste invalide : sauvegarde modifiée, ou signée avec "
            f"une autre clé des sauvegardes que {backup_key_path(settings)}. Rien n'est restauré."
        )
    bad = sorted(str(n) for n in listed if not _plain_name(n))
    if (
        bad
        or not _plain_name(db_name, top_level=True)
        or (acces is not None and not _plain_name(acces, top_level=True))
    ):
        raise BackupRefused(
            f"{source} : le manifeste nomme un fichier hors du dossier de sauvegarde "
            "(chemin absolu ou « .. »), refusé."
        )
    for role, name in (("l'entrepôt", db_name), ("le fichier d'accès", acces)):
        if name is not None and name not in listed:
            raise BackupRefused(f"{source} : {role} « {name} » n'est pas listé au manifeste.")
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
    differences = warehouse.schema_differences(source / db_name, version)
    if differences:
        raise BackupRefused(
            f"{source} : le schéma de l'entrepôt n'est pas celui que construisent les "
            f"migrations du produit ({', '.join(differences[:5])}"
            + (f", et {len(differences) - 5} autre(s)" if len(differences) > 5 else "")
            + ") : rien n'est restauré."
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


def _install_access(copy: Path, live: Path, manifest: dict) -> None:
    """Write the access file from a private copy checked against the manifest (the backup
    folder may change between the check and the copy)."""
    expected = manifest["fichiers"][manifest["acces"]]["sha256"]
    with tempfile.TemporaryDirectory(prefix=".acces.", dir=live.parent) as tmp:
        checked = Path(tmp) / "acces.sqlite"
        with open_regular(copy) as src, checked.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        if _sha256(checked) != expected:
            raise BackupRefused(f"Copie de {copy.name} altérée pendant la restauration.")
        _sqlite_copy(checked, live)


def _install_reports(copy: Path, live: Path) -> None:
    """Replace the report folder by the backup's (renames, so never half of each)."""
    staged = live.with_name(f".{live.name}.restauration")
    old = live.with_name(f".{live.name}.ancien")
    for leftover in (staged, old):
        shutil.rmtree(leftover, ignore_errors=True)
    if copy.is_dir():
        shutil.copytree(copy, staged, symlinks=True)  # never through a link (none passed verify)
    if live.exists():
        live.rename(old)
    if staged.exists():
        staged.rename(live)
    shutil.rmtree(old, ignore_errors=True)


def restore(settings: Settings, source: Path, replace: bool = False) -> dict:
    """Restore a verified backup into the configured warehouse path; returns its manifest."""
    manifest = verify(source, settings)
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
            _install_access(source / manifest["acces"], access.access_path(db), manifest)
        _install_reports(source / REPORTS, archive.reports_dir(db))
    access.audit(
        db, settings.operator, "restauration", "ok",
        sauvegarde=str(source), cree_le=manifest.get("cree_le"),
        version_schema=manifest["version_schema"],
    )  # fmt: skip
    return manifest
