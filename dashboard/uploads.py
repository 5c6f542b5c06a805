"""Uploaded files on the Chargement page: where they are staged and under what name."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from pipelines import retention


def safe_name(name: str) -> str:
    """The uploaded file's name reduced to letters, digits, dot, dash and underscore: it
    names the staged copy (the report shows it) but never chooses where it is written."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name.replace("\\", "/")).name).lstrip(".")
    return (base or "fichier")[-120:]


def new_staging_dir(db_path: Path) -> str:
    """A private folder under <warehouse dir>/depots (purged with `purge --all`)."""
    base = retention.uploads_dir(db_path)
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return tempfile.mkdtemp(prefix="depot_", dir=base)
