"""The suites are genuine GX suites, consistent with the code lists, and the SQL engine
agrees with Great Expectations itself on the same data."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import great_expectations as gx
import pytest

from pipelines.francetravail import collecte
from pipelines.nomenclatures import codes
from pipelines.readers.encoding import inspect_file, unit_facts
from pipelines.settings import EXPECTATIONS_DIR
from pipelines.sources import get_source
from pipelines.sources.parcours import PARTS
from pipelines.validation.gx_engine import run_with_gx
from pipelines.validation.suite import Suite, load_suite
from sample_data.generate import generate, month_end


def test_suite_file_is_a_gx_suite() -> None:
    raw = json.loads((EXPECTATIONS_DIR / "pecgm.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**raw)
    assert len(suite.expectations) == len(raw["expectations"]) > 20
    assert {e.severity.value for e in suite.expectations} == {"critical", "warning"}


@pytest.mark.parametrize(
    ("column", "codelist"),
    [
        ("code_categorie", "categorie"),
        ("modalite", "modalite"),
        ("axe_travail", "axe"),
        ("motif_cessation_ide", "motif_cessation"),
        ("motif_radiation", "motif_radiation"),
        ("niveau_formation", "niveau_formation"),
    ],
)
def test_value_sets_match_code_lists(column: str, codelist: str) -> None:
    sets = [
        e.kwargs["value_set"]
        for e in load_suite("pecgm").expectations
        if e.type == "expect_column_values_to_be_in_set" and e.column == column
    ]
    assert sets == [codes(codelist)]


@pytest.fixture(scope="module")
def dirty_files(tmp_path_factory) -> dict[str, list]:
    """The dirty sample (PECGM, CGPEM, LRSA DE, reprise de stock, parcours) with more
    defects in the parcours persons and appointments, a CAF/MSA flux and a file for the
    France Travail collection, each with defects: the files of every suite, by source."""
    out = tmp_path_factory.mktemp("dirty")
    paths = generate("2A", 6, 200, 11, out, month_end(2026, 10), is_dirty=True)
    by_source: dict[str, list] = {"pecgm": [p for p in paths if p.parent.name == "pecgm"]}
    for source, prefix in (("cgpem", "CGPEM"), ("lrsa", "LRSA"), ("stock", "REPRISE")):
        by_source[source] = [p for p in paths if p.name.startswith(prefix)]
    parcours = [p for p in paths if p.name.startswith("PARCOURS")]
    for path in parcours:
        lines = path.read_text(encoding="utf-8").splitlines()
        if "personnes" in path.name:  # a birth date that is no date, an unknown sex code
            lines[1] = lines[1].replace(lines[1].split(";")[2], "31/02/1964", 1)
            lines[2] = ";".join(c if i != 3 else "X" for i, c in enumerate(lines[2].split(";")))
        elif "rendez_vous" in path.name:  # a missing appointment date
            lines[1] = ";".join(c if i != 1 else "" for i, c in enumerate(lines[1].split(";")))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    by_source["parcours"] = [parcours]
    by_source["caf"] = [_bad_flux(out / "RSABEM_2A_202605.xml")]
    by_source["statut"] = [_bad_statut_input(out / "personnes.csv")]
    return by_source


def _bad_flux(path):
    """A household without a person, a bad NIR, an unknown role and a future birth date."""
    from sample_data.caf_flux import Foyer, Personne, fake_nir, write_flux

    foyers = [
        Foyer(
            f"9000000{n:04d}",
            date(2026, 1, 5),
            personnes=[Personne(fake_nir(n), date(1985, 7, 1), "1")],
        )
        for n in range(1, 7)
    ]
    foyers[1].personnes = []
    foyers[2].personnes[0].nir = "ABC"
    foyers[3].personnes[0].role = "XYZ"
    foyers[4].personnes[0].date_naissance = date(2099, 1, 1)
    return write_flux(path, "2A", date(2026, 5, 31), foyers)


def _bad_statut_input(path):
    """Persons to look up: a missing NIR, a bad NIR, a date that is no date, a duplicate."""
    nir = "1850799912{:03d}"
    rows = [
        "Nom;Prénom;NIR;Date de naissance",
        f"Nomfictif;Prenom;{nir.format(345)};01/07/1985",
        "Nomfictif;Prenom;;01/07/1985",
        "Nomfictif;Prenom;ABC;01/07/1985",
        f"Nomfictif;Prenom;{nir.format(346)};31/02/1985",
        f"Nomfictif;Prenom;{nir.format(345)};01/07/1985",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _suites_of(report) -> list[tuple[str, Suite, list]]:
    """(staged table, suite, the product's results) of each table a report checked."""
    parts = PARTS if report.source == "parcours" else (report.source,)
    out = []
    for part in parts:
        suite = load_suite(part)
        mine = {id(e) for e in suite.expectations}
        checks = [c for c in report.checks if id(c.expectation) in mine]
        ran = suite.only(tuple(c.expectation for c in checks))
        out.append((f"{part}_fields", ran, checks))
    return out


def assert_engines_agree(con, table: str, suite: Suite, checks) -> set[str]:
    """GX, run on the staged `table`, finds what the SQL engine found (counts, first lines,
    success); returns the expectations that found something."""
    theirs = run_with_gx(con.execute(f"SELECT * FROM {table}").df(), suite)
    found = set()
    for ours, gx_result in zip(checks, theirs, strict=True):
        assert ours.expectation.name == gx_result["name"]
        what = (table, ours.expectation.name)
        assert ours.unexpected_count == gx_result["unexpected_count"], what
        assert ours.line_numbers == gx_result["line_numbers"][: len(ours.line_numbers)], what
        assert ours.success == gx_result["success"], what
        if ours.unexpected_count:
            found.add(ours.expectation.name)
    return found


SUITES = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))
SOURCE_OF = {s: "parcours" if s in PARTS else s for s in SUITES}


@pytest.mark.parametrize("suite_name", SUITES)
def test_sql_engine_agrees_with_great_expectations(dirty_files, suite_name) -> None:
    """Every suite, on files with defects staged by the real readers: the SQL engine and GX
    count and place the unexpected rows alike, and the comparison is not vacuous."""
    source = SOURCE_OF[suite_name]
    staging = collecte.statut_source if source == "statut" else get_source(source)
    found: set[str] = set()
    for path in dirty_files[source]:
        con = duckdb.connect()
        facts = unit_facts(path) if isinstance(path, list) else inspect_file(path)
        report = staging.stage(con, facts, departement="2A")
        for table, suite, checks in _suites_of(report):
            if checks and table == f"{suite_name}_fields":
                found |= assert_engines_agree(con, table, suite, checks)
        con.close()
    assert len(found) >= (4 if suite_name == "pecgm" else 1), found


@pytest.mark.parametrize("source", SUITES)
def test_every_source_suite_is_a_gx_suite(source) -> None:
    raw = json.loads((EXPECTATIONS_DIR / f"{source}.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**raw)
    assert len(suite.expectations) == len(raw["expectations"]) >= 5


def test_cgpem_nature_set_matches_code_list() -> None:
    sets = [
        e.kwargs["value_set"]
        for e in load_suite("cgpem").expectations
        if e.type == "expect_column_values_to_be_in_set" and e.column == "nature_accompagnement"
    ]
    assert sets == [codes("nature_accompagnement")]


def test_sql_engine_agrees_with_gx_on_a_bad_tabular_file(tmp_path) -> None:
    """Invalid and future dates, unknown parcours type, duplicate person, orientation before
    entry, missing mandatory value: both engines count and place them alike."""
    from pipelines.sources.stock import stock

    nir = "1850199901{:03d}"
    rows = [
        "Nom;Prénom;Date de naissance;NIR ou NIA;Date d'entrée RSA;Type de parcours;Date d'orientation;Statut",
        f"FICTIF;ALEX;01/05/1985;{nir.format(1)};01/01/2026;Social;20/01/2026;Demandeur",
        f"FICTIF;ALEX;01/05/1985;{nir.format(2)};31/02/2026;PSP;20/01/2026;Conjoint",
        f"FICTIF;ALEX;01/05/1985;{nir.format(3)};01/01/2026;Intensif;20/01/2026;Autre",
        f"FICTIF;ALEX;01/05/1985;{nir.format(1)};01/01/2026;PRO;01/01/2099;Demandeur",
        f"FICTIF;ALEX;01/05/1985;{nir.format(5)};01/02/2026;;20/01/2026;",  # no parcours
        "FICTIF;ALEX;01/05/1985;ABC;01/01/2026;PED;20/01/2026;",
    ]
    path = tmp_path / "reprise.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    con = duckdb.connect()
    report = stock.stage(con, inspect_file(path), departement="2A")
    [(table, suite, checks)] = _suites_of(report)
    assert len(assert_engines_agree(con, table, suite, checks)) >= 7
    assert report.rows_rejected == 5 and not report.loadable
