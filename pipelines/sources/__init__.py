"""One module per source file format. `SOURCES` maps the command-line name to its reader.

Each reader meets `protocol.Source` (name, table, what a new file replaces, staged table
and drift families, stage, insert, quarantine), checked when first handed out
(`protocol.check_source`); `TABLES` when a load writes to several tables. `pecgm` is a module; the
tabular sources are `TabularSource` objects built from their template; `parcours` reads
three files as one unit (`MULTI_FILE`); `caf` (CAF/MSA flux bénéficiaires, XML) is a
module like `pecgm`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from pipelines.errors import FileRefused, FileUnusable, UsageError
from pipelines.readers.encoding import FileFacts, TooLarge, read_head
from pipelines.sources.protocol import Source, check_source

# name -> (module, attribute or None for the module itself). Imported on first use: a
# check of a CGPEM file need not import lxml (XML sources) nor numpy (fixed width).
_REGISTRY: dict[str, tuple[str, str | None]] = {
    "pecgm": ("pipelines.sources.pecgm", None),
    "cgpem": ("pipelines.sources.cgpem", "cgpem"),
    "lrsa": ("pipelines.sources.lrsa", "lrsa"),
    "stock": ("pipelines.sources.stock", "stock"),
    "parcours": ("pipelines.sources.parcours", "parcours"),
    "caf": ("pipelines.sources.caf", None),
}


class _Sources(Mapping[str, Source]):
    """The registered sources, each imported when first asked for."""

    def __getitem__(self, name: str) -> Source:
        module, attribute = _REGISTRY[name]
        loaded = importlib.import_module(module)
        return check_source(name, getattr(loaded, attribute) if attribute else loaded)

    def __iter__(self) -> Iterator[str]:
        return iter(_REGISTRY)

    def __len__(self) -> int:
        return len(_REGISTRY)


SOURCES: Mapping[str, Source] = _Sources()
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
    from pipelines.readers.tabular import match_columns, template

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
    from pipelines.readers.tabular import read_table
    from pipelines.readers.xml_safe import root_tag
    from pipelines.sources import caf, pecgm, pecgm_xml

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
    except TooLarge as error:  # a bomb is refused as such, not as an unknown source
        raise FileUnusable(str(error).removeprefix(f"{facts.file_name} : ")) from error
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
    from pipelines.readers.tabular import match_columns, template

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
        from pipelines.sources.parcours import role_of

        if role_of(facts) is None:
            raise
        return "parcours"
