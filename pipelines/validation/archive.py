"""The report folder: every validation leaves its quality report there, as the standalone
HTML page (validation/html.py); the Great Expectations Data Docs of the same report
(validation/data_docs.py) are rendered when someone asks for them.

<warehouse dir>/rapports/controle_<time>_<source>/ for a check that loads nothing,
<warehouse dir>/rapports/chargement_<n°>/ for a load (its journal number). Nothing in it
names a person: line numbers, fields, codes and counts only. `purge --all` deletes it.

Why the Data Docs wait to be asked for: GX's renderer costs seconds to import (more than
checking a small file), and every check and load would pay it before answering. `keep`,
on the path of every answer, writes the HTML page only; `save` and `zipped` (the pages'
download button, `report N --data-docs DIR`) add the Data Docs, imported on first use.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from pipelines.settings import private_dir
from pipelines.validation import html


def reports_dir(db_path: Path) -> Path:
    return db_path.parent / "rapports"


def folder_for(db_path: Path, report: dict, load_id: int | None = None) -> Path:
    """Where one validation's report goes: by load number, else by time and source."""
    if load_id is not None:
        return reports_dir(db_path) / f"chargement_{load_id}"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return reports_dir(db_path) / f"controle_{stamp}_{report.get('source') or 'inconnue'}"


def keep(db_path: Path, report, load_id: int | None = None) -> Path:
    """What every validation does with its report (Report), on the path of its answer:
    rapport.html in its folder, and nothing that imports Great Expectations."""
    data = report.to_dict()
    folder = folder_for(db_path, data, load_id)
    _write_html(data, folder)
    return folder


def _write_html(report: dict, folder: Path) -> None:
    private_dir(folder)
    (folder / "rapport.html").write_text(html.render(report), encoding="utf-8")


def save(report: dict, folder: Path) -> Path:
    """Write rapport.html and data_docs/ (index.html, one page per checked file): asked
    for by a user (`report N --data-docs DIR`, the pages' download)."""
    from pipelines.validation import data_docs  # GX's renderer: seconds, only when asked

    _write_html(report, folder)
    data_docs.render(report, folder / "data_docs")
    return folder


def zipped(report: dict) -> bytes:
    """The same folder as a zip, for a download from the app (built in memory)."""
    import tempfile

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="rapport_") as tmp:
        folder = save(report, Path(tmp) / "rapport")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder))
    return buffer.getvalue()
