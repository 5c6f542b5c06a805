"""Build the demo warehouse from the committed sample files, through the real pipelines."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from pipelines import loader
from pipelines.errors import UsageError
from pipelines.settings import SAMPLE_DIR, Settings

# Source name -> glob of its committed sample files, loaded in this order (PECGM first, so
# that the link rates of the other sources are measured), each in name (= month) order.
SAMPLE_FILES = {
    "pecgm": "pecgm/PECGM_*.txt.gz",
    "stock": "stock/REPRISE_STOCK_*.csv",
    "cgpem": "cgpem/CGPEM_*.csv",
    "lrsa": "lrsa/LRSA_*.csv",
}
SAMPLE_DEPARTEMENT = "2A"  # the files other than PECGM do not name their département


def sample_files(root: Path = SAMPLE_DIR) -> list[tuple[str, Path]]:
    return [
        (source, path)
        for source, pattern in SAMPLE_FILES.items()
        for path in sorted(root.glob(pattern))
    ]


def build_demo(
    settings: Settings, echo: Callable[[str], None] = print, root: Path = SAMPLE_DIR
) -> int:
    """Delete and rebuild the warehouse from the sample files; returns the number loaded."""
    files = sample_files(root)
    if not files:
        raise UsageError(f"Aucun fichier d'exemple dans {root}.")
    for leftover in (settings.db_path, settings.db_path.with_name(settings.db_path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    loaded = 0
    for source, path in files:
        outcome = loader.load(source, path, settings, departement=SAMPLE_DEPARTEMENT)
        echo(outcome.message)
        if outcome.status != "loaded":
            raise UsageError(
                f"Le fichier d'exemple {path.name} n'a pas été chargé : {outcome.message}"
            )
        loaded += 1
    echo(f"Entrepôt de démonstration prêt : {settings.db_path} ({loaded} fichiers).")
    return loaded
