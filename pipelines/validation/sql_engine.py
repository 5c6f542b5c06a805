"""Run a GX suite as SQL in DuckDB: every expectation becomes one boolean column.

One scan computes, for each line, whether it is unexpected for each expectation; a second
aggregates counts and the first line numbers. That keeps validation of a million-line file
inside the load budget, where GX's pandas engine would copy the table and scan it once per
expectation. Semantics follow GX's (nulls are skipped except by not-null checks; `mostly`
is honoured); `gx_engine` runs the same suite through GX itself and the tests compare both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipelines.validation.suite import Expectation, Suite

if TYPE_CHECKING:  # annotations only: a child parsing XML needs no DuckDB
    import duckdb

MAX_LINES_LISTED = 20
MAX_CODES_LISTED = 10
CODE_MAX_CHARS = 5  # digits of a commune code: the longest value the report may list


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _not_null(e: Expectation, table: str) -> str:
    return f"{_q(e.column)} IS NULL"


def _null(e: Expectation, table: str) -> str:
    return f"{_q(e.column)} IS NOT NULL"


def _in_set(e: Expectation, table: str) -> str:
    values = ", ".join(_lit(v) for v in e.kwargs["value_set"])
    return f"{_q(e.column)} IS NOT NULL AND {_q(e.column)} NOT IN ({values})"


def _not_in_set(e: Expectation, table: str) -> str:
    values = ", ".join(_lit(v) for v in e.kwargs["value_set"])
    return f"{_q(e.column)} IS NOT NULL AND {_q(e.column)} IN ({values})"


def _regex(e: Expectation, table: str) -> str:
    return f"{_q(e.column)} IS NOT NULL AND NOT regexp_matches({_q(e.column)}, {_lit(e.kwargs['regex'])})"


def _strftime(e: Expectation, table: str) -> str:
    fmt = _lit(e.kwargs["strftime_format"])
    return f"{_q(e.column)} IS NOT NULL AND try_strptime({_q(e.column)}, {fmt}) IS NULL"


def _length_equal(e: Expectation, table: str) -> str:
    return f"{_q(e.column)} IS NOT NULL AND length({_q(e.column)}) <> {int(e.kwargs['value'])}"


def _between(e: Expectation, table: str) -> str:
    """Out of range; bounds written as dates compare the column as a date
    (`Expectation.compares_dates`)."""
    col, parts = _q(e.column), []
    dated = e.compares_dates
    value = f"try_cast({col} AS DATE)" if dated else col

    def bound(key: str) -> str:
        return f"DATE {_lit(e.kwargs[key])}" if dated else _lit(e.kwargs[key])

    if e.kwargs.get("min_value") is not None:
        parts.append(f"{value} < {bound('min_value')}")
    if e.kwargs.get("max_value") is not None:
        parts.append(f"{value} > {bound('max_value')}")
    return f"{col} IS NOT NULL AND ({' OR '.join(parts) or 'FALSE'})"


def _unique(e: Expectation, table: str) -> str:
    col = _q(e.column)
    return (
        f"{col} IS NOT NULL AND {col} IN "
        f"(SELECT {col} FROM {table} WHERE {col} IS NOT NULL GROUP BY {col} HAVING count(*) > 1)"
    )


def _pair_greater(e: Expectation, table: str) -> str:
    """A not after (or equal to) B. A row with a missing value is judged as GX judges it
    (`ignore_row_if`): skipped when both are missing (GX's default), or either."""
    a, b = _q(e.kwargs["column_A"]), _q(e.kwargs["column_B"])
    op = "<" if e.kwargs.get("or_equal") else "<="
    ignore = e.kwargs.get("ignore_row_if", "both_values_are_missing")
    if ignore == "either_value_is_missing":
        return f"{a} IS NOT NULL AND {b} IS NOT NULL AND {a} {op} {b}"
    if ignore == "both_values_are_missing":
        return f"({a} IS NULL) <> ({b} IS NULL) OR {a} {op} {b}"
    raise ValueError(f"ignore_row_if not supported by the SQL engine: {ignore}")


ROW_CHECKS: dict[str, Callable[[Expectation, str], str]] = {
    "expect_column_values_to_not_be_null": _not_null,
    "expect_column_values_to_be_null": _null,
    "expect_column_values_to_be_in_set": _in_set,
    "expect_column_values_to_not_be_in_set": _not_in_set,
    "expect_column_values_to_match_regex": _regex,
    "expect_column_values_to_match_strftime_format": _strftime,
    "expect_column_value_lengths_to_equal": _length_equal,
    "expect_column_values_to_be_between": _between,
    "expect_column_values_to_be_unique": _unique,
    "expect_column_pair_values_a_to_be_greater_than_b": _pair_greater,
}


@dataclass
class CheckResult:
    """One expectation's outcome, shaped like GX's result, with no personal value."""

    expectation: Expectation
    element_count: int
    unexpected_count: int
    line_numbers: list[int]
    unexpected_codes: list[str]
    file_name: str | None = None  # set when a report covers several files (parcours)

    @property
    def unexpected_share(self) -> float:
        return self.unexpected_count / self.element_count if self.element_count else 0.0

    @property
    def success(self) -> bool:
        mostly = float(self.expectation.kwargs.get("mostly", 1.0))
        if not self.element_count:
            return True
        return (1.0 - self.unexpected_share) >= mostly

    def to_dict(self) -> dict:
        e = self.expectation
        return {
            "expectation_type": e.type,
            "column": e.column,
            "kwargs": e.kwargs,  # the expectation's configuration (value sets, patterns)
            "champ": e.field_label,
            "severity": e.severity,
            "description": e.description,
            "success": self.success,
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": round(100 * self.unexpected_share, 4),
            "line_numbers": self.line_numbers,
            "unexpected_codes": self.unexpected_codes,
            "file_name": self.file_name,
        }


def _code_shaped(e: Expectation) -> str:
    """SQL test that an unexpected value may be listed in the report.

    `codes_publics` lets the report list the unexpected values of a field, but a column of
    a hostile or shifted file may hold anything (a name, a NIR). Listed are: the flags the
    product derives itself (`*_futur`, `doublon`, `champ_tronque`: checked to be null, their
    values are 'oui' or a field label); digits no longer than the longest allowed code and
    at most 5 (a code, a commune); letters and digits of at most 3 characters and no longer
    than the longest code (PSO, CAF, M). Anything else is counted by line, never shown.
    """
    if e.type == "expect_column_values_to_be_null":
        return "TRUE"
    allowed = [str(v) for v in e.kwargs.get("value_set") or []]
    width = max((len(v) for v in allowed), default=CODE_MAX_CHARS)
    digits, alnum = min(width, CODE_MAX_CHARS), min(width, 3)
    value = f"t.{_q(e.column)}::VARCHAR"
    return (
        f"(regexp_full_match({value}, '[0-9]{{1,{digits}}}') "
        f"OR regexp_full_match({value}, '[A-Za-z0-9]{{1,{alnum}}}'))"
    )


def run_suite(con: duckdb.DuckDBPyConnection, table: str, suite: Suite) -> list[CheckResult]:
    """Evaluate every row-level expectation of `suite` on `table` (must have `line_no`).

    Leaves a temp table `<table>_flags(line_no, e0, e1, ...)` for the caller to derive the
    rejected lines from, without a second evaluation.
    """
    exprs = []
    for e in suite.expectations:
        if e.type not in ROW_CHECKS:
            raise ValueError(f"expectation not supported by the SQL engine: {e.type}")
        exprs.append(f"coalesce({ROW_CHECKS[e.type](e, table)}, FALSE) AS e{len(exprs)}")
    flags = f"{table}_flags"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {flags} AS SELECT line_no, {', '.join(exprs)} FROM {table}"
    )
    element_count, *counts = _counts(con, flags, len(exprs))
    lines_of = _first_lines(con, flags, [i for i, count in enumerate(counts) if count])
    results = []
    for i, e in enumerate(suite.expectations):
        count, lines = counts[i], lines_of.get(i, [])
        codes: list[str] = []
        if count and e.meta.get("codes_publics") and e.column:
            codes = [
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT t.{_q(e.column)} FROM {table} t JOIN {flags} f USING (line_no) "
                    f"WHERE f.e{i} AND {_code_shaped(e)} ORDER BY 1 LIMIT {MAX_CODES_LISTED}"
                ).fetchall()
            ]
        results.append(CheckResult(e, element_count, int(count), list(lines), codes))
    return results


def _counts(con: duckdb.DuckDBPyConnection, flags: str, n: int) -> list[int]:
    """[lines, then the unexpected lines of each expectation]: one query (the flags have
    one row per line of the checked table)."""
    counts = ["count(*)", *(f"count(*) FILTER (WHERE e{i})" for i in range(n))]
    return [int(c) for c in con.execute(f"SELECT {', '.join(counts)} FROM {flags}").fetchone()]


def _first_lines(
    con: duckdb.DuckDBPyConnection, flags: str, failing: list[int]
) -> dict[int, list[int]]:
    """First line numbers of each failing expectation; a clean file sorts nothing."""
    if not failing:
        return {}
    lists = ", ".join(
        f"(list(line_no ORDER BY line_no) FILTER (WHERE e{i}))[1:{MAX_LINES_LISTED}]"
        for i in failing
    )
    row = con.execute(f"SELECT {lists} FROM {flags}").fetchone()
    return {i: list(lines or []) for i, lines in zip(failing, row, strict=True)}


def rejected_lines_sql(table: str, suite: Suite) -> str:
    """SELECT of (line_no, field, check_name, reason) for every critical failure, for quarantine."""
    parts = [
        f"SELECT line_no, {_lit(e.field_label)} AS field, {_lit(e.name)} AS check_name, "
        f"{_lit(e.description)} AS reason FROM {table}_flags WHERE e{i}"
        for i, e in enumerate(suite.expectations)
        if e.severity == "critical"
    ]
    return " UNION ALL ".join(parts) if parts else "SELECT NULL::BIGINT AS line_no WHERE FALSE"
