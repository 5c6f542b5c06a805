"""The committee's yardsticks: the targets each département sets itself (`objectifs.yaml`,
edited by its administrator) and the national figures published by the DREES and others
(`references_nationales.yaml`, versioned with the product). Both are small YAML files
keyed by our indicator keys (`pipelines/sql/indicators/*.yaml`), read through the settings
(`settings.objectifs_file`, `settings.references_file`) and checked whole on load: a bad
file is refused with a French message naming the file, the line and the field, and
nothing of it is used (never half a file). docs/objectifs.md says how to edit them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines import glossary, settings
from pipelines.errors import UsageError
from pipelines.nomenclatures import departement_code

SENS = {">=": "≥", "≥": "≥", "<=": "≤", "≤": "≤"}  # as written -> as printed
SHARE, DAYS, NUMBER = "part", "jours", "nombre"  # the kinds of value a yardstick holds
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Objectif:
    """One target of a département: `indicateur` `sens` `valeur` (a share in 0..1, days or
    a number, in the indicator's unit)."""

    departement: str
    indicateur: str
    sens: str  # "≥" or "≤"
    valeur: float
    kind: str  # SHARE, DAYS or NUMBER

    def met(self, value: float | None) -> bool | None:
        """Whether `value` reaches the target; None when there is no value."""
        if value is None:
            return None
        return value >= self.valeur if self.sens == "≥" else value <= self.valeur


@dataclass(frozen=True)
class Reference:
    """One published national figure. `indicateur` names our indicator of the same
    definition, and only then is the figure printed beside ours (`detail`: the group of
    that indicator it matches, `population`: the population our figure must count)."""

    ident: str
    libelle: str
    valeur: float
    kind: str
    source: str  # « DREES »
    publication: str  # « OARSA 2023 »
    date: str  # the date the figure describes, as written (« 31/12/2023 »)
    definition: str
    indicateur: str | None = None
    detail: str | None = None
    population: str | None = None
    adresse: str | None = None

    @property
    def cite(self) -> str:
        """« DREES, OARSA 2023 »: what the label puts in parentheses."""
        return f"{self.source}, {self.publication}"


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line they start on (for messages)."""


class _Entry(dict):
    line: int = 0


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Entry:
    entry = _Entry(loader.construct_mapping(node, deep=True))
    entry.line = node.start_mark.line + 1
    return entry


_LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _read(path: Path, what: str):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UsageError(f"{what} introuvable : {path}.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{what} illisible : {path} ({error}).") from error
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", ligne {mark.line + 1}" if mark else ""
        raise UsageError(f"{what} {path}{where} : YAML illisible.") from error


def _where(path: Path, entry: dict, field: str) -> str:
    return f"{path}, ligne {getattr(entry, 'line', '?')}, champ « {field} »"


def kind_of(indicateur: str) -> str:
    """The kind of value an indicator key holds, from the unit its YAML gives."""
    unit = glossary.units()[indicateur]
    if unit.startswith("part"):
        return SHARE
    return DAYS if unit == "jours" else NUMBER


def _indicator(path: Path, entry: dict, field: str = "indicateur") -> str:
    key = str(entry.get(field) or "").strip()
    if key not in glossary.units():
        raise UsageError(
            f"{_where(path, entry, field)} : indicateur « {key} » inconnu (clés des "
            "définitions pipelines/sql/indicators/*.yaml, par exemple orientes_30j_share)."
        )
    return key


def parse_value(raw: object, kind: str | None, where: str) -> tuple[float, str]:
    """A value as an administrator writes it (« 80 % », « 30 jours », « 30 », « 12,5 % »)
    -> (its number in the indicator's unit, its kind). A share must carry « % »."""
    text = str(raw).strip() if raw is not None else ""
    found = SHARE if text.endswith("%") else None
    for suffix in ("jours", "jour", "j"):
        if found is None and text.endswith(suffix):
            found = DAYS
            text = text[: -len(suffix)]
            break
    text = text.rstrip("%").strip().replace("\u202f", "").replace("\xa0", "")
    if not _NUMBER.match(text):
        raise UsageError(f"{where} : « {raw} » n'est pas un nombre (par exemple « 80 % »).")
    number = float(text.replace(",", "."))
    if found is None and kind == SHARE:
        raise UsageError(f"{where} : « {raw} » : une part s'écrit en pourcentage (« 80 % »).")
    found = found or kind or NUMBER
    if kind is not None and found != kind:
        expected = {SHARE: "une part (« 80 % »)", DAYS: "des jours (« 30 jours »)"}
        raise UsageError(
            f"{where} : « {raw} » ne convient pas à cet indicateur, qui attend "
            f"{expected.get(kind, 'un nombre')}."
        )
    if number < 0 or (found == SHARE and number > 100):
        raise UsageError(f"{where} : « {raw} » hors des valeurs possibles.")
    return (number / 100 if found == SHARE else number), found


def _departement(path: Path, key: object, entries: object) -> str:
    """The département a key names (the one rule: nomenclatures/departement.csv); YAML
    reads an unquoted 01 as the number 1, given back its two digits."""
    code = f"{key:02d}" if isinstance(key, int) else str(key)
    first = entries[0] if isinstance(entries, list) and entries else None
    line = max(getattr(first, "line", 2) - 1, 1)
    return departement_code(code, f"{path}, ligne {line} : département")


def _objectifs_of(path: Path, data) -> tuple[Objectif, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise UsageError(
            f"{path} : le fichier doit associer à chaque code de département sa liste "
            'd\'objectifs (« "2A": » puis des lignes « - indicateur: … »).'
        )
    out: list[Objectif] = []
    for key, entries in data.items():
        departement = _departement(path, key, entries)
        if not isinstance(entries, list):
            raise UsageError(
                f"{path} : département {departement} : une liste d'objectifs attendue."
            )
        seen: set[str] = set()
        for entry in entries:
            if not isinstance(entry, dict):
                raise UsageError(f"{path}, département {departement} : un objectif attendu.")
            unknown = set(entry) - {"indicateur", "sens", "valeur"}
            if unknown:
                raise UsageError(f"{_where(path, entry, sorted(unknown)[0])} : champ inconnu.")
            key_ = _indicator(path, entry)
            if key_ in seen:
                raise UsageError(
                    f"{_where(path, entry, 'indicateur')} : deux objectifs pour « {key_} »."
                )
            seen.add(key_)
            sens = SENS.get(str(entry.get("sens") or "").strip())
            if sens is None:
                raise UsageError(
                    f"{_where(path, entry, 'sens')} : « {entry.get('sens')} » : "
                    "« >= » (au moins) ou « <= » (au plus) attendu."
                )
            value, kind = parse_value(
                entry.get("valeur"), kind_of(key_), _where(path, entry, "valeur")
            )
            out.append(Objectif(departement, key_, sens, value, kind))
    return tuple(out)


@lru_cache(maxsize=8)
def _objectifs_cached(path: Path, stamp: tuple[int, int]) -> tuple[Objectif, ...]:
    return _objectifs_of(path, _read(path, "Fichier d'objectifs"))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def files_stamp() -> tuple[tuple[int, int], tuple[int, int]]:
    """The modification stamps of the objectifs and references files in force: a cache of
    what is built from them (the Synthèse's tiles) keys on it, so an edited file shows at
    the next view without a load."""
    return _stamp(settings.objectifs_file()), _stamp(settings.references_file())


def objectifs(path: Path | None = None) -> tuple[Objectif, ...]:
    """Every target of the file in force (checked whole; UsageError in French); no file
    at all is no target."""
    path = settings.objectifs_file() if path is None else Path(path)
    if not path.exists() and path == settings.DEFAULT_OBJECTIFS:
        return ()
    return _objectifs_cached(path, _stamp(path))


def objectifs_of(departement: str, path: Path | None = None) -> dict[str, Objectif]:
    """The targets of one département, by indicator key."""
    return {o.indicateur: o for o in objectifs(path) if o.departement == departement}


REFERENCE_FIELDS = ("libelle", "valeur", "source", "publication", "date", "definition")
REFERENCE_OPTIONAL = ("indicateur", "detail", "population", "adresse")


def _reference(path: Path, ident: str, entry: dict) -> Reference:
    for name in REFERENCE_FIELDS:
        if entry.get(name) in (None, ""):
            raise UsageError(f"{_where(path, entry, name)} : champ obligatoire manquant.")
    unknown = set(entry) - {*REFERENCE_FIELDS, *REFERENCE_OPTIONAL}
    if unknown:
        raise UsageError(f"{_where(path, entry, sorted(unknown)[0])} : champ inconnu.")
    key = _indicator(path, entry) if entry.get("indicateur") else None
    value, kind = parse_value(
        entry["valeur"], kind_of(key) if key else None, _where(path, entry, "valeur")
    )
    text = {n: " ".join(str(entry[n]).split()) for n in REFERENCE_FIELDS if n != "valeur"}
    optional = {n: str(entry[n]).strip() for n in REFERENCE_OPTIONAL[1:] if entry.get(n)}
    return Reference(ident, valeur=value, kind=kind, indicateur=key, **text, **optional)


@lru_cache(maxsize=8)
def _references_cached(path: Path, stamp: tuple[int, int]) -> tuple[Reference, ...]:
    data = _read(path, "Fichier des références nationales")
    if not isinstance(data, dict) or not isinstance(data.get("references"), dict):
        raise UsageError(
            f"{path} : une rubrique « references: » attendue, chaque chiffre sous un "
            "identifiant (« drees_oarsa_2023_orientes: »)."
        )
    out = []
    for ident, entry in data["references"].items():
        if not isinstance(entry, dict):
            raise UsageError(f"{path} : référence « {ident} » : des champs attendus.")
        out.append(_reference(path, str(ident), entry))
    return tuple(out)


def references(path: Path | None = None) -> tuple[Reference, ...]:
    """Every national figure of the file in force (checked whole; UsageError in French)."""
    path = settings.references_file() if path is None else Path(path)
    return _references_cached(path, _stamp(path))


def references_of(indicateur: str, path: Path | None = None) -> list[Reference]:
    """The figures whose definition matches our indicator `indicateur` (the others are
    never printed beside ours)."""
    return [r for r in references(path) if r.indicateur == indicateur]
