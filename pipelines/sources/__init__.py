"""One module per source file format. `SOURCES` maps the command-line name to its reader.

Each reader meets `protocol.Source` (name, table, what a new file replaces, stage, insert,
quarantine); `TABLES` when a load writes to several tables. `pecgm` is a module; the
tabular sources are `TabularSource` objects built from their template; `parcours` reads
three files as one unit (`MULTI_FILE`); `caf` (CAF/MSA flux bénéficiaires, XML) is a
module like `pecgm`.
"""

from __future__ import annotations

from pipelines.errors import FileRefused, FileUnusable, UsageError
from pipelines.readers.encoding import FileFacts, read_head
from pipelines.readers.tabular import match_columns, read_table, template
from pipelines.readers.xml_safe import root_tag
from pipelines.sources import caf, pecgm, pecgm_xml
from pipelines.sources.cgpem import cgpem
from pipelines.sources.lrsa import lrsa
from pipelines.sources.parcours import parcours, role_of
from pipelines.sources.protocol import Source
from pipelines.sources.stock import stock

SOURCES: dict[str, Source] = {
    "pecgm": pecgm,
    "cgpem": cgpem,
    "lrsa": lrsa,
    "stock": stock,
    "parcours": parcours,
    "caf": caf,
}
PLANNED: tuple[str, ...] = ()
TABULAR = ("cgpem", "lrsa", "stock")


def get_source(name: str) -> Source:
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
    if pecgm_xml.is_xml(facts) and root_tag(facts.path) == pecgm_xml.root_element():
        return pecgm.SOURCE  # the XML form, read by the same source
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
    raise FileUnusable(unrecognised(headers, best))


def unrecognised(headers: list[str], closest: str) -> str:
    """Why detection failed, in words: what was tried, the nearest template and the
    columns it expected but did not find, and what to do."""
    tried = ", ".join(template(s).description for s in TABULAR)
    text = (
        "Source non reconnue d'après le contenu. Essayé : en-tête PECGM (largeur fixe ou "
        f"XML), flux CAF / MSA (XML), puis les fichiers tabulaires ({tried})."
    )
    if not headers:
        return (
            text + " Aucune ligne d'en-tête lisible : vérifiez qu'il s'agit bien d'un "
            "fichier délimité (; , ou tabulation) ou d'un classeur .xlsx."
        )
    tpl = template(closest)
    found = set(match_columns(headers, tpl, {}).fields)
    missing = [c.name for c in tpl.columns if c.required and c.name not in found]
    if tpl.variants:  # the columns of the nearest variant (an LRSA list) count too
        missing += min(([n for n in cols if n not in found] for cols in tpl.variants.values()),
                       key=len)  # fmt: skip
    missing = [tpl.column(n).label for n in dict.fromkeys(missing)]
    return text + (
        f" Le plus proche : {tpl.description}"
        + (f", à qui il manque les colonnes « {' », « '.join(missing)} »" if missing else "")
        + ". Choisissez la source à la main, renommez les colonnes, ou joignez une "
        "correspondance d'en-têtes (YAML)."
    )


def detect_file(facts: FileFacts) -> str:
    """The source of one file met on its own (an arrivals folder): as `detect_source`, and
    "parcours" for one of the three files of the parcours unit (told by its columns)."""
    try:
        return detect_source(facts)
    except FileUnusable:
        if role_of(facts) is None:
            raise
        return "parcours"
