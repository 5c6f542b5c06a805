"""AES-256 7z archives: files exchanged encrypted, as the experimentation agreements have
them (« un outil de chiffrement à l'état de l'art, par exemple 7Zip », the password sent by
another channel).

An archive is opened with its password (typed on the Chargement page, or read from the
0600 file named by PILOTAGE_7Z_MOT_DE_PASSE_FILE for the arrivals folder), checked whole,
then each member is written to a private folder and loaded like a file of its own. Before a
byte is written: every member must be encrypted (AES-256) unless
PILOTAGE_7Z_CHIFFREMENT_OBLIGATOIRE=0, have a plain relative name (no `..`, no absolute
path, no link), and not be an archive itself; the declared sizes and, while inflating, the
real ones stay under the decompression limits (`encoding.inflate_limit`). Any refusal is
one French sentence naming the archive and nothing is loaded. The password is never
stored, logged or part of a message, and py7zr's own messages (which show the archive's
coder properties) never reach the user.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pipelines.errors import FileRefused
from pipelines.readers.encoding import (
    MAX_ENV,
    RATIO_ENV,
    TooLarge,
    inflate_limit,
    open_regular,
    printable,
    too_large_message,
)
from pipelines.settings import private_dir, read_private_file

MAGIC = b"7z\xbc\xaf\x27\x1c"
AES256 = b"\x06\xf1\x07\x01"  # the 7z coder id of AES-256 + SHA-256 key derivation
PASSWORD_FILE_ENV = "PILOTAGE_7Z_MOT_DE_PASSE_FILE"
REQUIRED_ENV = "PILOTAGE_7Z_CHIFFREMENT_OBLIGATOIRE"
SUFFIX = ".7z"


def is_7z(path: Path) -> bool:
    """True when the file starts with the 7z signature, whatever its name."""
    with open_regular(path) as f:
        return f.read(len(MAGIC)) == MAGIC


def encryption_required() -> bool:
    return os.environ.get(REQUIRED_ENV, "1") not in ("0", "non", "false")


def configured_password() -> str | None:
    """The password of the arrivals folder's archives, from the 0600 file the settings
    name; None when none is configured."""
    path = os.environ.get(PASSWORD_FILE_ENV)
    return read_private_file(Path(path), "Mot de passe des archives 7z") if path else None


def _plain_member_name(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name)
        and "\\" not in name
        and not name.startswith("/")
        and all(p not in ("", ".", "..") for p in parts)
        and name.isprintable()
    )


def _check_members(archive, name: str, limit: int, compressed: int) -> list:
    """The archive's files, checked before anything is written (see the module)."""
    members = [f for f in archive.files if not f.is_directory]
    if not members:
        raise FileRefused(f"{name} : archive 7z vide, rien n'est chargé.")
    for member in members:
        shown = printable(member.filename)
        if not _plain_member_name(member.filename):
            raise FileRefused(
                f"{name} : le membre « {shown} » sort de l'archive (chemin absolu ou « .. ») : "
                "archive refusée, rien n'est chargé."
            )
        if member.is_symlink:
            raise FileRefused(f"{name} : le membre « {shown} » est un lien, archive refusée.")
        if member.filename.lower().endswith(SUFFIX):
            raise FileRefused(
                f"{name} : le membre « {shown} » est lui-même une archive 7z, refusée : "
                "déposez les fichiers dans une seule archive."
            )
        folder = getattr(member, "folder", None)
        coders = [c.get("method") for c in folder.coders] if folder is not None else []
        if encryption_required() and not member.emptystream and AES256 not in coders:
            raise FileRefused(
                f"{name} : le membre « {shown} » n'est pas chiffré (AES-256) alors que le "
                f"chiffrement est exigé ({REQUIRED_ENV}) : archive refusée, rien n'est chargé."
            )
    if sum(int(m.uncompressed or 0) for m in members) > limit:
        raise TooLarge(too_large_message(name, limit, compressed))
    return members


def unpack(path: Path, password: str | None, dest: Path) -> list[Path]:
    """Check the archive and write its members under `dest` (a private folder created
    here); returns their paths, in the archive's order. FileRefused on any problem."""
    import py7zr
    from py7zr.exceptions import DecompressionBombError

    name = printable(path.name)
    if not password:
        raise FileRefused(
            f"{name} : archive 7z chiffrée : saisissez son mot de passe (ou configurez "
            f"{PASSWORD_FILE_ENV} pour le dossier d'arrivée) ; rien n'est chargé."
        )
    private_dir(dest)
    with open_regular(path) as raw:
        compressed = os.fstat(raw.fileno()).st_size
        limit = inflate_limit(compressed)
        try:
            with py7zr.SevenZipFile(raw, password=password, max_extract_size=limit) as archive:
                members = _check_members(archive, name, limit, compressed)
                archive.extractall(path=dest)
        except FileRefused:
            raise
        except DecompressionBombError as error:
            raise TooLarge(too_large_message(name, limit, compressed)) from error
        except Exception as error:  # wrong password, damaged: py7zr's words show coder data
            raise FileRefused(
                f"{name} : mot de passe incorrect, ou archive 7z endommagée : rien n'est chargé."
            ) from error
    paths = [dest / m.filename for m in members]
    for p in paths:
        if not stat.S_ISREG(p.lstat().st_mode):
            raise FileRefused(f"{name} : membre « {printable(p.name)} » illisible.")
    return paths


__all__ = ["MAX_ENV", "RATIO_ENV", "configured_password", "is_7z", "unpack"]
