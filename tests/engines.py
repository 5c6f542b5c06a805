"""The two engines of the expectation suites side by side: the product's SQL engine (the
report of a staging) and Great Expectations run on the same staged table."""

from __future__ import annotations

import duckdb

from pipelines.validation.gx_engine import run_with_gx
from pipelines.validation.report import Report
from pipelines.validation.suite import Suite


def assert_engines_agree(
    con: duckdb.DuckDBPyConnection, report: Report, table: str, suite: Suite
) -> int:
    """Run `suite` with GX on `table` and check that each expectation found what the SQL
    engine found: same name, count, first line numbers and verdict. Returns the number of
    expectations that failed, so a test can show the comparison was not vacuous."""
    theirs = run_with_gx(con.execute(f"SELECT * FROM {table}").df(), suite)
    failed = 0
    for ours, result in zip(report.checks, theirs, strict=True):
        name = ours.expectation.name
        assert name == result["name"]
        assert ours.unexpected_count == result["unexpected_count"], name
        assert ours.line_numbers == result["line_numbers"][: len(ours.line_numbers)], name
        assert ours.success == result["success"], name
        failed += bool(ours.unexpected_count)
    return failed
