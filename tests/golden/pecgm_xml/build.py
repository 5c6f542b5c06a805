"""Rebuild the PECGM XML golden files (run by hand: python tests/golden/pecgm_xml/build.py).

The five synthetic people of the fixed-width golden files (tests/golden/pecgm), written in
the XML form in each shape met in practice; every file but `missing_group.xml` loads to the
fixed-width files' rows (tests/golden/pecgm/expected_rows.json).
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))

from pipelines.readers.layout import available_layouts  # noqa: E402
from sample_data import generate, pecgm_xml  # noqa: E402
from tests.golden.pecgm.build import base_people  # noqa: E402

LAYOUT = available_layouts("pecgm")["001,0"]
# A département's own tag names for two fields, and the map file that reads them.
RENAMED = {"individu/nir": "individu/numero-insee", "ppae/date-dernier-ent": "ppae/dernier-contact"}


def _records(people, ref, latin1: bool) -> list[dict]:
    records = [generate.detail_values(p, ref) for p in people]
    if latin1:
        for r in records:
            r["nom_naissance"] = r["nom_naissance"].replace("Œ", "O")
    return records


def _text(encoding: str, records: list[dict], ref) -> str:
    return "".join(pecgm_xml.document(LAYOUT, "2A", ref, records, len(records), encoding))


def main() -> None:
    ref, people = base_people()
    latin1 = _records(people, ref, latin1=True)
    full = _records(people, ref, latin1=False)
    iso = _text("ISO-8859-1", latin1, ref)
    (HERE / "iso8859.xml").write_bytes(iso.encode("latin-1"))
    (HERE / "crlf.xml").write_bytes(iso.replace("\n", "\r\n").encode("latin-1"))
    (HERE / "windows1252.xml").write_bytes(_text("windows-1252", full, ref).encode("cp1252"))
    utf8 = _text("UTF-8", full, ref).encode("utf-8")
    (HERE / "utf8.xml").write_bytes(utf8)
    (HERE / "utf8.xml.gz").write_bytes(gzip.compress(utf8, mtime=0))
    # Unknown elements: a group, a field inside a known group, a child of the header.
    unknown = iso.replace(
        "    <ppae>",
        "    <contacts-agence>\n      <canal>CANAL-SECRET</canal>\n    </contacts-agence>\n    <ppae>",
    ).replace(
        "      <code-categorie>",
        "      <zone-competence>ZONE-SECRETE</zone-competence>\n      <code-categorie>",
    )
    unknown = unknown.replace(
        "    <version>", "    <emetteur>EMETTEUR-SECRET</emetteur>\n    <version>"
    )
    (HERE / "unknown_elements.xml").write_bytes(unknown.encode("latin-1"))
    # The third dossier without its <suivi> group (structures, formation): nulls, not errors.
    start = iso.index(
        "<suivi>", iso.index("<dossier>", iso.index("</dossier>", iso.index("</dossier>") + 1))
    )
    end = iso.index("</suivi>", start) + len("</suivi>\n")
    line_start = iso.rindex("\n", 0, start) + 1
    (HERE / "missing_group.xml").write_bytes((iso[:line_start] + iso[end:]).encode("latin-1"))
    renamed = iso
    for old, new in RENAMED.items():
        a, b = old.rsplit("/", 1)[1], new.rsplit("/", 1)[1]
        renamed = renamed.replace(f"<{a}>", f"<{b}>").replace(f"</{a}>", f"</{b}>")
    (HERE / "renamed_tags.xml").write_bytes(renamed.encode("latin-1"))
    (HERE / "carte_balises.yaml").write_text(
        "# Carte des balises propre au département : chemin sous <dossier> -> champ PECGM.\n"
        + "".join(
            f"{new}: {LAYOUT.field('D', LAYOUT_NAMES[old]).name}\n" for old, new in RENAMED.items()
        ),
        encoding="utf-8",
    )


LAYOUT_NAMES = {"individu/nir": "nir", "ppae/date-dernier-ent": "date_dernier_contact"}


if __name__ == "__main__":
    main()
