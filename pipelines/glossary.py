"""The words of every indicator, read from its definition (`sql/indicators/<name>.yaml`):
captions, tooltips, PDF notes and « définition » lines quote them from here, so no
definition is written twice (tests/test_glossary.py scans dashboard/ and pages/ for a
definition typed by hand)."""

from __future__ import annotations

from functools import cache

from pipelines import indicateurs_doc


def _text(value: str) -> str:
    return " ".join(str(value).split())


@cache
def entries() -> dict[str, str]:
    """Indicator key (`orientes_30j_share`) -> its definition; an entry naming several
    keys (`orientes_30j_share, orientes_6sem_share`) gives each the same text."""
    out: dict[str, str] = {}
    for family in indicateurs_doc.definitions():
        for entry in family.get("indicateurs") or []:
            if "definition" not in entry:
                continue
            for name in entry["nom"].split(","):
                out[name.strip()] = _text(entry["definition"])
    return out


@cache
def families() -> dict[str, dict[str, str]]:
    """Indicator file (`delai_orientation`) -> its libelle, definition, numerateur,
    denominateur, reference, as written in its YAML."""
    fields = ("libelle", "definition", "numerateur", "denominateur", "reference")
    return {
        f["fichier"]: {k: _text(f[k]) for k in fields if f.get(k)}
        for f in indicateurs_doc.definitions()
    }


def definition(name: str) -> str:
    """The definition of one indicator key (KeyError: not an indicator)."""
    return entries()[name]


def caption(*names: str) -> str:
    """'key : its definition' for each key, as a caption or a tooltip prints it; keys
    sharing one definition are named together."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(definition(name), []).append(name)
    return " ".join(
        f"{', '.join(keys)} : {text}" + ("" if text.endswith(".") else ".")
        for text, keys in groups.items()
    )


@cache
def units() -> dict[str, str]:
    """Indicator key -> its unit as its YAML writes it (« part (0 à 1) », « jours »...)."""
    out: dict[str, str] = {}
    for family in indicateurs_doc.definitions():
        for entry in family.get("indicateurs") or []:
            for name in entry["nom"].split(","):
                out[name.strip()] = _text(entry.get("unite") or "")
    return out
