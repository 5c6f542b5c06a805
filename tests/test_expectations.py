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
    return generate("2A", 6, 200, 11, out, month_end(2026, 10), is_dirty=True)


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
