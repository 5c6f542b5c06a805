"""Words from the definitions: every caption, tooltip and PDF note that defines an
indicator quotes `pipelines/glossary.py` (the YAML beside its SQL); none restates one by
hand in dashboard/ or pages/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pipelines import glossary

ROOT = Path(__file__).resolve().parents[1]
SHINGLE = 7  # words in a row shared with a definition: a definition copied by hand


def _strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (f-strings: their literal parts, joined)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            out.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’]+", text.lower().replace("`", ""))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def _definitions() -> list[str]:
    texts = list(glossary.entries().values())
    texts += [v for family in glossary.families().values() for v in family.values()]
    return texts


def _sources() -> list[Path]:
    return sorted([*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "pages").glob("*.py")])


def test_no_caption_restates_a_definition_by_hand() -> None:
    known = set().union(*(_shingles(t) for t in _definitions()))
    keys = "|".join(sorted(map(re.escape, glossary.entries()), key=len, reverse=True))
    typed = re.compile(rf"^\s*(?:{keys})(?:\s*,\s*(?:{keys}))*\s*:")
    found = []
    for path in _sources():
        for line, text in _strings(path):
            if typed.match(text) or _shingles(text) & known:
                found.append(f"{path.relative_to(ROOT)}:{line}: {text[:70]}")
    assert not found, "définition recopiée à la main :\n" + "\n".join(found)


def test_the_scan_finds_a_definition_typed_by_hand(tmp_path) -> None:
    """The scan itself can fail: a caption copied from the YAML is found."""
    copied = tmp_path / "copie.py"
    words = " ".join(_words(glossary.definition("orientes_30j_share"))[:SHINGLE])
    copied.write_text(f'CAPTION = "Légende : {words}."\nOTHER = "stock_total : à la main"\n')
    known = set().union(*(_shingles(t) for t in _definitions()))
    strings = [t for _, t in _strings(copied)]
    assert _shingles(strings[0]) & known
    assert re.match(r"^\s*stock_total\s*:", strings[1])


def test_a_key_is_worded_once_on_every_surface() -> None:
    """`orientes_30j_share` was worded three ways (page, tiles, PDF): one text now."""
    from dashboard import headlines

    tile = next(f for f in headlines.COHORTE_FIGURES if f.key == "orientes_30j_share")
    assert glossary.definition("orientes_30j_share") in tile.help
    assert glossary.caption("orientes_30j_share", "orientes_6sem_share").count(":") >= 1


def test_no_masking_note_types_the_threshold() -> None:
    """Every note about masking reads PILOTAGE_SEUIL_MASQUAGE (`masking.masking_note`,
    `withheld_note`): with the threshold at 5, a typed « 11 » would lie."""
    typed = re.compile(r"(masqu|sous|moins de|au moins|1 à)\D{0,25}\b(10|11)\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text[:70]}"
        for path in _sources()
        for line, text in _strings(path)
        if typed.search(text)
    ]
    assert not found, "seuil de masquage écrit en dur :\n" + "\n".join(found)


def test_the_france_travail_tooltips_quote_their_definitions() -> None:
    """The « part réellement inscrite » tile says its numerator and denominator in the
    words of inscrits_orientes_ft.yaml, not in a paraphrase of its own."""
    from dashboard import france_travail

    words = glossary.families()["inscrits_orientes_ft"]
    assert words["numerateur"] in france_travail.share_help()
    assert words["denominateur"] in france_travail.share_help()
