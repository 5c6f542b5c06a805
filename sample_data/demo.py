"""Build the demo warehouse from the committed sample files, through the real pipelines."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from pipelines import loader
from pipelines.errors import UsageError
from pipelines.settings import SAMPLE_DIR, Settings
from pipelines.sources import get_source

# Source name -> glob of its committed sample files, loaded in this order (PECGM first, so
# that the link rates of the other sources are measured), each in name (= month) order.
SAMPLE_FILES = {
    "pecgm": "pecgm/PECGM_*.gz",  # fixed width (.txt.gz) and the XML form (.xml.gz)
    "stock": "stock/REPRISE_STOCK_*.csv",
    "cgpem": "cgpem/CGPEM_*.csv",
    "lrsa": "lrsa/LRSA_*.csv",
    "parcours": "parcours/PARCOURS_*.csv",  # three files, loaded together as one unit
    "caf": "caf/RSABE*.xml.gz",  # last: its link rate with the orientation files is measured
}
SAMPLE_DEPARTEMENT = "2A"  # the files other than PECGM do not name their département


def sample_files(root: Path = SAMPLE_DIR) -> list[tuple[str, Path | list[Path]]]:
    """(source, file) in load order; the parcours unit is one entry holding its files."""
    out: list[tuple[str, Path | list[Path]]] = []
    for source, pattern in SAMPLE_FILES.items():
        paths = sorted(root.glob(pattern))
        if getattr(get_source(source), "MULTI_FILE", False):
            if paths:  # a unit of no file is no load (a folder without that source)
                out.append((source, paths))
        else:
            out += [(source, p) for p in paths]
    return out


def build_demo(
    settings: Settings, echo: Callable[[str], None] = print, root: Path = SAMPLE_DIR
) -> int:
    """Delete and rebuild the warehouse from the sample files; returns the number loaded."""
    files = sample_files(root)
    if not files:
        raise UsageError(f"Aucun fichier d'exemple dans {root}.")
    from pipelines import access

    leftovers = (
        settings.db_path,
        settings.db_path.with_name(settings.db_path.name + ".wal"),
        access.access_path(settings.db_path),
        access.access_path(settings.db_path).with_name(
            access.access_path(settings.db_path).name + "-wal"
        ),
    )
    for leftover in leftovers:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    from pipelines import generation, precalcul

    with precalcul.deferred():  # three generations in a row: the results stored once, below
        # One lot: the start-up, the warehouse copy and its swap are paid once, not 118 times.
        outcomes = loader.load_batch(
            "auto",
            [path for _, path in files],
            settings,
            SAMPLE_DEPARTEMENT,
            sources=[source for source, _ in files],
        )
        for outcome in outcomes:
            echo(outcome.message)
            if outcome.status != "loaded":
                raise UsageError(f"Un fichier d'exemple n'a pas été chargé : {outcome.message}")
        loaded = len(outcomes)
        from pipelines import territoires

        mapping = root / "territoires" / f"{SAMPLE_DEPARTEMENT}.csv"
        if mapping.exists():  # the sample's (synthetic) territoires, as a département gives them
            territoires.load_file(settings.db_path, mapping, SAMPLE_DEPARTEMENT)
        from pipelines import organismes

        classes = root / "organismes" / f"{SAMPLE_DEPARTEMENT}.csv"
        if classes.exists():  # the DREES categories of the sample's organismes (bilan OARSA)
            organismes.load_file(settings.db_path, classes, SAMPLE_DEPARTEMENT)
    generation.store_results(settings.db_path)
    access.create_demo_users(settings.db_path)
    echo(f"Entrepôt de démonstration prêt : {settings.db_path} ({loaded} fichiers).")
    echo(
        "Comptes de démonstration (mot de passe « "
        f"{access.DEMO_PASSWORD} ») : {', '.join(access.DEMO_USERS)}."
    )
    return loaded
