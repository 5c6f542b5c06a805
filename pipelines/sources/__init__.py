"""One module per source file format. `SOURCES` maps the command-line name to its module.

Each module exposes `SOURCE`, `stage(con, facts, *, departement, threshold) -> Report`,
`insert(con, report, load_id, catalog) -> int` and `quarantine_sql() -> str`.
"""

from __future__ import annotations

from types import ModuleType

from pipelines.errors import UsageError
from pipelines.sources import pecgm

SOURCES: dict[str, ModuleType] = {pecgm.SOURCE: pecgm}
PLANNED = ("cgpem", "lrsa", "stock", "parcours")  # read by later modules (issue: other sources)


def get_source(name: str) -> ModuleType:
    if name in SOURCES:
        return SOURCES[name]
    if name in PLANNED:
        raise UsageError(
            f"La source « {name} » n'est pas encore prise en charge par cette version."
        )
    raise UsageError(
        f"Source inconnue : « {name} » (attendu : {', '.join([*SOURCES, *PLANNED, 'auto'])})."
    )


def detect_source(head: str) -> str:
    """Guess the source from the first line of a file (`auto`)."""
    if head.startswith("EPECG"):
        return pecgm.SOURCE
    raise UsageError(
        "Source non reconnue d'après le contenu : précisez-la (pecgm, cgpem, lrsa, stock, parcours)."
    )
