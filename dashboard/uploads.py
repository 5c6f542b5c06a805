"""Uploaded files on the Chargement page (and its France Travail panel): where they are
staged, under what name, and the département typed beside them."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pipelines import retention
from pipelines.arrivees import candidates
from pipelines.readers import archive7z
from pipelines.readers.encoding import printable
from pipelines.readers.tabular import read_mapping
from pipelines.settings import private_dir


class Upload(Protocol):
    """What the pages use of a Streamlit UploadedFile."""

    name: str

    def getvalue(self) -> bytes: ...


def safe_name(name: str) -> str:
    """The uploaded file's name reduced to letters, digits, dot, dash and underscore: it
    names the staged copy (the report shows it) but never chooses where it is written."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    return (base or "fichier")[-120:]


def new_staging_dir(db_path: Path) -> str:
    """A private folder under <warehouse dir>/depots (purged with `purge --all`)."""
    base = private_dir(retention.uploads_dir(db_path))
    return tempfile.mkdtemp(prefix="depot_", dir=base)


def stage(folder: Path, upload: Upload) -> Path:
    """Write an uploaded file into a staging folder, under its safe name."""
    path = folder / safe_name(upload.name)
    path.write_bytes(upload.getvalue())
    return path


def stage_all(folder: Path, upload: Upload, password: str | None = None) -> list[Path]:
    """The files an upload brings: itself, or the members of an encrypted 7z archive (told
    by its content), each then checked and loaded like a file of its own. The archive is
    deleted once opened; its members live in the session's private folder. A refused
    archive (wrong password, member not encrypted or outside the archive, bomb) raises
    FileRefused and leaves no member behind. The password is used, never kept."""
    path = stage(folder, upload)
    if not archive7z.is_7z(path):
        return [path]
    members = folder / f"{path.name}.membres"
    shutil.rmtree(members, ignore_errors=True)  # the page runs again: unpacked again
    try:
        return archive7z.unpack(path, password, members)
    except BaseException:
        shutil.rmtree(members, ignore_errors=True)
        raise
    finally:
        path.unlink(missing_ok=True)


def uploaded_mapping(folder: Path, mapping_file: Upload | None) -> dict:
    """The header mapping of an uploaded YAML file ({} when none), staged in `folder`
    and read as the command line reads `--mapping` (pipelines/readers/tabular.py)."""
    if mapping_file is None:
        return {}
    path = folder / "correspondance.yaml"
    path.write_bytes(mapping_file.getvalue())
    return read_mapping(path)


def departement_field(where, label: str, default: str | None, **widget) -> str | None:
    """A département code typed in a text input drawn in `where` (streamlit, a column, an
    expander), trimmed and upper-cased; None while empty."""
    return where.text_input(label, value=default or "", **widget).strip().upper() or None


@dataclass(frozen=True)
class Arrival:
    """A file of the arrivals folder; size and time are part of its identity, so that a
    file replaced under the same name is checked again."""

    path: Path
    size: int
    modified: float

    def label(self) -> str:
        when = datetime.fromtimestamp(self.modified).strftime("%d/%m/%Y %H:%M")
        size = f"{self.size / 1_000_000:.1f} Mo".replace(".", ",")
        return f"{printable(self.path.name)} · {size} · reçu le {when}"


def arrivals(folder: Path) -> list[Arrival]:
    """Files waiting in the arrivals folder, newest first (the files an arrivals run would
    take: hidden and partial ones, '.part' or '.tmp', left out)."""
    found = [Arrival(p, st.st_size, st.st_mtime) for p, st in candidates(folder).items()]
    return sorted(found, key=lambda a: (-a.modified, a.path.name))


def size_label(megabytes: int) -> str:
    """The upload limit as French units: 1024 -> '1 Go', 200 -> '200 Mo'."""
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return f"{megabytes // 1024} Go"
    return f"{megabytes} Mo"


def french_uploader_css(key: str, max_mb: int, types: list[str] | None = None) -> str:
    """CSS that writes the file uploader's own words in French.

    Streamlit 1.67 hard-codes « Upload » on the button and « 1GB per file » under it, with
    no option or translation to change them (only the label is ours). The rules, scoped to
    the widget of `key` (Streamlit gives it the class st-key-<key>), hide those two texts
    and draw French ones in their place; the input, the drop area and the file list are
    untouched."""
    limit = f"{size_label(max_mb)} au plus par fichier" + (
        " • " + ", ".join(t.upper() for t in types) if types else ""
    )
    scope = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    return (
        "<style>"
        f"{scope} button [data-testid='stMarkdownContainer'] p {{font-size: 0;}}"
        f"{scope} button [data-testid='stMarkdownContainer'] p::after"
        " {content: 'Parcourir'; font-size: 0.875rem;}"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0;}}"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span::after"
        f" {{content: '{limit}'; font-size: 0.875rem;}}"
        "</style>"
    )
