"""The suites are genuine GX suites, consistent with the code lists, and the SQL engine
agrees with Great Expectations itself on the same data."""

from __future__ import annotations

import json

import duckdb
import great_expectations as gx
import pytest

from pipelines.encoding import inspect_file
from pipelines.nomenclatures import codes
from pipelines.settings import EXPECTATIONS_DIR
from pipelines.sources import pecgm
from pipelines.validation.gx_engine import run_with_gx
from pipelines.validation.suite import load_suite
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
def dirty_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("dirty")
    paths = generate("2A", 6, 200, 11, out, month_end(2026, 10), is_dirty=True)
    return [p for p in paths if p.parent.name == "pecgm"]


def test_sql_engine_agrees_with_great_expectations(dirty_files) -> None:
    suite = load_suite("pecgm")
    compared = 0
    for path in dirty_files:
        con = duckdb.connect()
        report = pecgm.stage(con, inspect_file(path))
        if not report.checks:
            continue
        frame = con.execute(f"SELECT * FROM {pecgm.FIELDS}").df()
        gx_results = run_with_gx(frame, suite)
        for ours, theirs in zip(report.checks, gx_results, strict=True):
            assert ours.expectation.name == theirs["name"]
            assert ours.unexpected_count == theirs["unexpected_count"], (
                path.name,
                ours.expectation.name,
            )
            assert ours.line_numbers == theirs["line_numbers"][: len(ours.line_numbers)]
            assert ours.success == theirs["success"]
            compared += ours.unexpected_count
    assert compared >= 6  # the dirty files do trip expectations: the comparison is not vacuous


@pytest.mark.parametrize("source", ["cgpem", "lrsa", "stock", "caf"])
def test_every_source_suite_is_a_gx_suite(source) -> None:
    raw = json.loads((EXPECTATIONS_DIR / f"{source}.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**raw)
    assert len(suite.expectations) == len(raw["expectations"]) >= 10


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
        f"FICTIF;;01/05/1985;{nir.format(5)};01/02/2026;PED;20/01/2026;",
        "FICTIF;ALEX;01/05/1985;ABC;01/01/2026;PED;20/01/2026;",
    ]
    path = tmp_path / "reprise.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    con = duckdb.connect()
    report = stock.stage(con, inspect_file(path), departement="2A")
    suite = load_suite("stock")
    gx_results = run_with_gx(con.execute("SELECT * FROM stock_fields").df(), suite)
    failed = 0
    for ours, theirs in zip(report.checks, gx_results, strict=True):
        assert ours.unexpected_count == theirs["unexpected_count"], ours.expectation.name
        assert ours.line_numbers == theirs["line_numbers"][: len(ours.line_numbers)]
        failed += bool(ours.unexpected_count)
    assert failed >= 7
    assert report.rows_rejected == 5 and not report.loadable
