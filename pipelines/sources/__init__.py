"""One module per source file format. `SOURCES` maps the command-line name to its reader.

Each reader exposes `SOURCE` (its name), `TABLE` (the warehouse table it fills),
`SUPERSEDE` ("month": a new file replaces the load of the same département and month (and
list); "departement": every earlier load of the département), `stage(con, facts, *,
departement, threshold, options) -> Report`, `insert(con, report, load_id, catalog) ->
int` and `quarantine_sql() -> str`; `TABLES` when a load writes to several tables. `pecgm` is a
module; the tabular sources are `TabularSource` objects built from their template;
`parcours` reads three files as one unit (`MULTI_FILE`); `caf` (CAF/MSA flux
bénéficiaires, XML) is a module like `pecgm`.
"""

from __future__ import annotations

from typing import Any

from pipelines.encoding import FileFacts, read_head
from pipelines.errors import FileRefused, UsageError
from pipelines.sources import caf, pecgm
from pipelines.sources.cgpem import cgpem
from pipelines.sources.lrsa import lrsa
from pipelines.sources.parcours import parcours
from pipelines.sources.stock import stock
from pipelines.tabular import match_columns, read_table, template
from pipelines.xml_safe import root_tag

SOURCES: dict[str, Any] = {
    "pecgm": pecgm,
    "cgpem": cgpem,
    "lrsa": lrsa,
    "stock": stock,
    "parcours": parcours,
    "caf": caf,
}
PLANNED: tuple[str, ...] = ()
TABULAR = ("cgpem", "lrsa", "stock")


def get_source(name: str) -> Any:
    if name in SOURCES:
        return SOURCES[name]
    if name in PLANNED:
        raise UsageError(
            f"La source « {name} » n'est pas encore prise en charge par cette version."
        )
    raise UsageError(
        f"Source inconnue : « {name} » (attendu : {', '.join([*SOURCES, *PLANNED, 'auto'])})."
    )


def _score(headers: list[str], source: str) -> tuple[int, int]:
    """(minus the required fields missing, fields found) of a template for these headers.
    A template with variants (LRSA) requires the columns of one of its variants."""
    tpl = template(source)
    found = set(match_columns(headers, tpl, {}).fields)
    required = {c.name for c in tpl.columns if c.required}
    missing = len(required - found)
    if tpl.variants:
        missing += min(len(set(cols) - found) for cols in tpl.variants.values())
    return (-missing, len(found))


def detect_source(facts: FileFacts) -> str:
    """Guess the source of a file (`auto`): a PECGM header, else the best-matching template;
    several files together are the parcours unit."""
    if facts.parts:
        return "parcours"
    head = read_head(facts)
    if head.startswith("EPECG"):
        return pecgm.SOURCE
    if head.lstrip("\ufeff").startswith("<") and caf.looks_like_flux(root_tag(facts.path)):
        return caf.SOURCE
    try:
        headers = read_table(facts).headers
    except FileRefused:
        headers = []
    scores = {source: _score(headers, source) for source in TABULAR}
    best = max(scores, key=lambda s: scores[s])
    if headers and scores[best][0] == 0 and scores[best][1] >= 3:
        return best
    raise UsageError(
        "Source non reconnue d'après le contenu : précisez-la (pecgm, cgpem, lrsa, stock, parcours, caf)."
    )
