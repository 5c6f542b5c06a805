"""PECGM in its XML form: golden files load to the fixed-width golden rows, the tag map is
declarative and replaceable, and a fixed-width and an XML file of the same persons give the
same warehouse rows and indicators."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines import indicators, loader
from pipelines.cli import main
from pipelines.readers.encoding import inspect_file
from pipelines.readers.layout import available_layouts
from pipelines.settings import Settings
from pipelines.sources import detect_source, pecgm_xml
from sample_data import pecgm_xml as xml_writer
from tests.conftest import GOLDEN, pecgm_lines, table_rows, write_pecgm
from tests.test_pecgm_golden import stock_rows

FILES = GOLDEN / "pecgm_xml"
EXPECTED = json.loads((GOLDEN / "pecgm" / "expected_rows.json").read_text(encoding="utf-8"))
LAYOUT = available_layouts("pecgm")["001,0"]
LINE_NO = 3  # position of line_no in a pecgm_stock row once load_id is dropped
ENCODINGS = {
    "iso8859.xml": "ISO-8859-1",
    "crlf.xml": "ISO-8859-1",
    "windows1252.xml": "Windows-1252",
    "utf8.xml": "UTF-8",
    "utf8.xml.gz": "UTF-8",
    "unknown_elements.xml": "ISO-8859-1",
}


def _as_fixed_width(rows: list[list]) -> list[list]:
    """XML rows numbered like the fixed-width file: dossier k is line k + 1 there."""
    return [[*r[:LINE_NO], str(int(r[LINE_NO]) + 1), *r[LINE_NO + 1 :]] for r in rows]


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_golden_xml_loads_to_the_fixed_width_rows(name, settings) -> None:
    outcome = loader.load("pecgm", FILES / name, settings)
    assert outcome.status == "loaded", outcome.message
    assert outcome.report.encoding == ENCODINGS[name]
    assert outcome.rows_loaded == 5 and outcome.report.rows_rejected == 0
    rows = stock_rows(settings)
    assert [r[LINE_NO] for r in rows] == ["1", "2", "3", "4", "5"]  # the dossiers' ordinals
    assert _as_fixed_width(rows) == EXPECTED


def test_golden_inputs_are_the_shapes_they_claim() -> None:
    assert b"\r\n" in (FILES / "crlf.xml").read_bytes()
    assert b"\r\n" not in (FILES / "iso8859.xml").read_bytes()
    assert (FILES / "utf8.xml.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert b'encoding="ISO-8859-1"' in (FILES / "iso8859.xml").read_bytes()[:60]
    assert "HÉLÈNE".encode("latin-1") in (FILES / "iso8859.xml").read_bytes()
    assert "Œ".encode("cp1252") in (FILES / "windows1252.xml").read_bytes()
    assert "HÉLÈNE".encode() in (FILES / "utf8.xml").read_bytes()
    assert (FILES / "missing_group.xml").read_bytes().count(b"<suivi>") == 4


def test_unknown_elements_are_one_warning_per_path_without_values(settings) -> None:
    outcome = loader.load("pecgm", FILES / "unknown_elements.xml", settings)
    warnings = [f for f in outcome.report.findings if f.code == "element_inconnu"]
    assert sorted(f.field for f in warnings) == [
        "contacts-agence",
        "entete/emetteur",
        "inscription/zone-competence",
    ]
    by_path = {f.field: f.message for f in warnings}
    assert by_path["contacts-agence"].startswith(
        "unknown_elements.xml, dossier 1 (ligne 12), élément dossier/contacts-agence : "
        "élément inconnu de la carte des balises pecgm-xml_001_0.yaml, ignoré"
    )
    assert "SECRET" not in outcome.report.summary_text() + outcome.report.to_json()


def test_missing_group_is_nulls_not_errors(settings) -> None:
    outcome = loader.load("pecgm", FILES / "missing_group.xml", settings)
    assert outcome.status == "loaded" and outcome.report.rows_rejected == 0
    rows = _as_fixed_width(stock_rows(settings))
    assert rows[:2] == EXPECTED[:2] and rows[3:] == EXPECTED[3:]
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        third = con.execute(
            "SELECT structure_principale_nom, structure_principale_code_postal, "
            "niveau_formation, code_categorie FROM pecgm_stock WHERE line_no = 3"
        ).fetchone()
    assert third[:3] == (None, None, None) and third[3] is not None


def test_departement_map_file_replaces_paths(settings, capsys) -> None:
    renamed = FILES / "renamed_tags.xml"
    assert (
        main(["load", "pecgm", str(renamed), "--mapping", str(FILES / "carte_balises.yaml")]) == 0
    )
    assert _as_fixed_width(stock_rows(settings)) == EXPECTED
    assert "élément inconnu" not in capsys.readouterr().out


def test_without_the_map_file_renamed_tags_are_reported(settings) -> None:
    outcome = loader.load("pecgm", FILES / "renamed_tags.xml", settings)
    unknown = sorted(f.field for f in outcome.report.findings if f.code == "element_inconnu")
    assert unknown == ["individu/numero-insee", "ppae/dernier-contact"]


def test_map_naming_an_unknown_field_is_a_usage_error(tmp_path, capsys) -> None:
    bad = tmp_path / "carte.yaml"
    bad.write_text("individu/nir: numero_secu\n", encoding="utf-8")
    assert main(["validate", "pecgm", str(FILES / "iso8859.xml"), "--mapping", str(bad)]) == 2
    assert "numero_secu" in capsys.readouterr().err


def test_header_version_selects_the_map() -> None:
    assert set(pecgm_xml.available_maps()) == set(available_layouts("pecgm"))
    paths = pecgm_xml.tag_map("001,0").paths_of()
    assert paths["date_dernier_contact"] == "ppae/date-dernier-ent"
    assert paths["structure_principale_nom"] == "suivi/structure-principale/nom"
    every_field = {f.name for f in LAYOUT.fields("D") if f.usage != "drop"} - {
        "type_enregistrement",
        "libelle_secteur_formation",
    }
    assert every_field <= set(paths)


def test_auto_tells_xml_from_fixed_width(tmp_path) -> None:
    fixed = write_pecgm(tmp_path / "f.txt", pecgm_lines(persons=5))
    assert detect_source(inspect_file(fixed)) == "pecgm"
    assert detect_source(inspect_file(FILES / "utf8.xml.gz")) == "pecgm"
    assert detect_source(inspect_file(FILES / "iso8859.xml")) == "pecgm"


def _same_month_both_forms(tmp_path, persons: int = 300):
    """One simulated month, written fixed width and XML, each loaded into its own warehouse."""
    from sample_data import generate

    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, persons, 5, ref))[-1]
    for i, p in enumerate(people):  # the new codes, in both forms
        p.categorie = ("F", "G", "6", "7", "8", "1")[i % 6]
    fixed = write_pecgm(
        tmp_path / "PECGM_2A_202610.txt", generate.pecgm_lines(LAYOUT, "2A", ref, people)
    )
    records = [generate.detail_values(p, ref) for p in people]
    xml = xml_writer.write(
        tmp_path / "PECGM_2A_202610.xml",
        xml_writer.document(LAYOUT, "2A", ref, records, len(records)),
    )
    out = []
    for path in (fixed, xml):
        settings = Settings.from_env(tmp_path / path.suffix.strip(".") / "pilotage.duckdb")
        outcome = loader.load("auto", path, settings)
        assert outcome.status == "loaded", outcome.message
        assert outcome.report.rows_rejected == 0
        out.append(settings)
    return out


def test_fixed_width_and_xml_of_the_same_persons_give_the_same_rows_and_indicators(
    tmp_path,
) -> None:
    fixed, xml = _same_month_both_forms(tmp_path)
    assert _as_fixed_width(stock_rows(xml)) == stock_rows(fixed)
    figures = []
    for settings in (fixed, xml):
        with duckdb.connect(str(settings.db_path), read_only=True) as con:
            figures.append(indicators.stock(con, "2A", "2026-10"))
    assert figures[0] == figures[1]
    assert set(figures[0]["categorie"]) == {"F", "G", "6", "7", "8", "1"}


def test_new_categories_load_in_fixed_width_and_unknown_codes_are_warnings(
    tmp_path, settings, capsys
) -> None:
    """A third of the persons in G no longer refuses the file; a code newer than the code
    list is a warning naming the code, counted under its own key with the file's label."""
    from sample_data.generate import set_field

    lines = pecgm_lines(persons=300, month="2026-10")
    for i in range(1, len(lines) - 1):
        if i % 3 == 0:
            lines[i] = set_field(lines[i], LAYOUT, "D", "code_categorie", "G")
    lines[4] = set_field(lines[4], LAYOUT, "D", "code_categorie", "H")
    lines[4] = set_field(lines[4], LAYOUT, "D", "libelle_categorie", "CATEGORIE H NOUVELLE")
    lines[5] = set_field(lines[5], LAYOUT, "D", "modalite", "INT")
    lines[6] = set_field(lines[6], LAYOUT, "D", "axe_travail", "08")
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", lines)
    assert main(["load", "pecgm", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ligne 5, champ CODE CATEGORIE D'INSCRIPTION" in out and "(valeurs : H)" in out
    assert "(valeurs : INT)" in out and "(valeurs : 08)" in out
    assert table_rows(settings, "quarantine") == []
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        stock = indicators.stock(con, "2A", "2026-10")
        labels = con.execute(
            "SELECT code_categorie, libelle_categorie FROM pecgm_stock "
            "WHERE libelle_categorie IS NOT NULL"
        ).fetchall()
    field = LAYOUT.field("D", "code_categorie")
    in_g = sum(line[field.start - 1 : field.end] == "G" for line in lines[1:-1])
    assert in_g >= (len(lines) - 2) // 3 and stock["categorie"]["G"] == in_g
    assert stock["categorie"]["H"] == 1 and stock["modalite"]["INT"] == 1
    assert stock["axe"]["08"] == 1
    assert labels == [("H", "CATEGORIE H NOUVELLE")]  # listed codes take the code list's label


def test_category_chart_shows_every_code_present() -> None:
    from dashboard import palette, widgets

    frame = widgets.masked_frame(
        {"1": 20, "G": 15, "F": 14, "H": 12}, widgets.short_labels("categorie")
    )
    labels = dict(zip(frame["code"], frame["libelle"], strict=True))
    assert labels["G"] == "Catégorie G (attente d'orientation)"
    assert labels["F"] == "Catégorie F (social)"
    assert labels["H"] == "H"  # outside the code list: shown under its own code
    assert {"6", "7", "8", "F", "G"} <= set(palette.COLOURS["categorie"])
