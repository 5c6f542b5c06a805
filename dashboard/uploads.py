"""Uploaded files on the Chargement page: where they are staged and under what name."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pipelines import retention
from pipelines.arrivees import candidates
from pipelines.settings import private_dir


def safe_name(name: str) -> str:
    """The uploaded file's name reduced to letters, digits, dot, dash and underscore: it
    names the staged copy (the report shows it) but never chooses where it is written."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    return (base or "fichier")[-120:]


def new_staging_dir(db_path: Path) -> str:
    """A private folder under <warehouse dir>/depots (purged with `purge --all`)."""
    base = private_dir(retention.uploads_dir(db_path))
    return tempfile.mkdtemp(prefix="depot_", dir=base)


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
        return f"{self.path.name} · {size} · reçu le {when}"


def arrivals(folder: Path) -> list[Arrival]:
    """Files waiting in the arrivals folder, newest first (the files an arrivals run would
    take: hidden and partial ones, '.part' or '.tmp', left out)."""
    found = [Arrival(p, st.st_size, st.st_mtime) for p, st in candidates(folder).items()]
    return sorted(found, key=lambda a: (-a.modified, a.path.name))
