"""The indicators' reference (`docs/indicateurs.md`), generated from the definitions beside
each indicator SQL file (`sql/indicators/<name>.yaml`) and the page's frame
(`sql/indicators/_page.yaml`: introduction, families, cross-cutting sections).

    python -m pipelines.indicateurs_doc            # print the reference
    python -m pipelines.indicateurs_doc --write    # rewrite docs/indicateurs.md
    python -m pipelines.indicateurs_doc --check    # exit 1 when docs/indicateurs.md is out of date

As for the command-line reference (`pipelines/cli_doc.py`): one definition per indicator,
in the repository beside its SQL, with the unit tests that pin it (tests/
test_indicator_definitions.py); the page cannot drift from them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipelines import generated_doc
from pipelines.readers.yaml_file import read_yaml
from pipelines.settings import SQL_DIR

INDICATORS_DIR = SQL_DIR / "indicators"
PAGE = INDICATORS_DIR / "_page.yaml"
DOC = Path(__file__).resolve().parents[1] / "docs" / "indicateurs.md"

# What every definition says, in this order on the page.
FIELDS = {
    "definition": "Définition",
    "numerateur": "Numérateur",
    "denominateur": "Dénominateur",
    "evenements": "Événements et dates",
    "champ": "Champ",
    "reference": "Référence",
}
REQUIRED = ("libelle", *FIELDS)


def _load(path: Path) -> dict:
    return read_yaml(path)  # libyaml: a page's first view reads every definition


@cache
def _definitions() -> tuple[dict, ...]:
    out = []
    for path in sorted(INDICATORS_DIR.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        out.append({"fichier": path.stem, **_load(path)})
    return tuple(out)


def definitions() -> list[dict]:
    """Each indicator SQL file's definition (its YAML, with `fichier` = the file's stem)."""
    return list(_definitions())


def _text(value: str) -> str:
    return " ".join(str(value).split())


def _definition(d: dict) -> list[str]:
    lines = [f"### {d['libelle']} — `{d['fichier']}.sql`", ""]
    lines += [f"- **{label}** : {_text(d[key])}" for key, label in FIELDS.items()]
    items = d.get("indicateurs") or []
    if items:
        lines.append(f"- **Unités** : {_units(items)}")
    lines.append("")
    if items:  # two columns: each key and its definition
        lines += ["| indicateur | définition |", "|---|---|"]
        for item in items:
            lines.append(f"| {_names(item)} | {_text(item['definition'])} |")
        lines.append("")
    return lines


def _names(item: dict) -> str:
    """'orientes_30j_share, orientes_6sem_share' -> '`orientes_30j_share`, `orientes_6sem_share`'."""
    return ", ".join(f"`{name.strip()}`" for name in item["nom"].split(","))


def _units(items: list[dict]) -> str:
    """The indicators of a file grouped by unit: '`a`, `b` : personnes ; `c` : part (0 à 1)'."""
    by_unit: dict[str, list[str]] = {}
    for item in items:
        by_unit.setdefault(item["unite"], []).append(_names(item))
    return " ; ".join(f"{', '.join(names)} : {unit}" for unit, names in by_unit.items())


def _section(section: dict, level: str) -> list[str]:
    lines = [f"{level} {section['titre']}", ""]
    if section.get("texte"):
        lines += [section["texte"].rstrip(), ""]
    return lines


def render() -> str:
    page = _load(PAGE)
    by_file = {d["fichier"]: d for d in _definitions()}
    lines = [f"# {page['titre']}", "", page["introduction"].rstrip(), ""]
    for family in page["familles"]:
        files = ", ".join(f"`{f}.sql`" for f in family["fichiers"])
        lines += _section({**family, "titre": f"{family['titre']} — {files}"}, "##")
        for name in family["fichiers"]:
            lines += _definition(by_file[name])
        for part in family.get("complements", []):
            lines += _section(part, "###")
    for section in page["annexes"]:
        lines += _section(section, "##")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    return generated_doc.main(argv, "python -m pipelines.indicateurs_doc", DOC, render)


if __name__ == "__main__":
    raise SystemExit(main())
