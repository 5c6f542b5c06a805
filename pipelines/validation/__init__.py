"""Validation: Great Expectations suites (expectations/*.json) run in DuckDB, and the report."""
