"""Every expectation shows by examples what it accepts and what it refuses
(`meta.exemples` of `expectations/*.json`), and both engines judge each example alike: the
product's DuckDB SQL engine and Great Expectations itself.

An example is put into the suite's valid row (`meta.ligne_valide`), giving the rows that
hold it. Every rule but uniqueness judges each row on its own, so the examples of one kind
of a whole suite are stacked in one table and the suite is run once on it by each engine
(one GX run per suite and kind, not one per expectation: a GX run is most of this file's
time). A valid example passes its expectation in both, an invalid one fails it in both on
each of its rows, and the two engines count and place the unexpected rows alike, every
expectation on every row of the table. Uniqueness compares rows: each of its examples is a
table of its own. An expectation without examples fails here, so none can be added
without them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from pipelines.settings import EXPECTATIONS_DIR
from pipelines.validation.gx_engine import run_with_gx
from pipelines.validation.sql_engine import CheckResult, run_suite
from pipelines.validation.suite import Expectation, Suite, load_suite
from tests.synthetic import is_synthetic_nir

SUITES = sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))
KINDS = ("valides", "invalides")
NIR = re.compile(r"^[1-478][0-9]{4}([0-9]{2}|2[AB])[0-9]{6}")
PHONE = re.compile(r"(\+33 ?|0)[1-9]([ .]?[0-9]{2}){4}")
TABLE = "exemple"
ACROSS_ROWS = {"expect_column_values_to_be_unique"}  # the only rule that compares rows


def _cases():
    for source in SUITES:
        for index, e in enumerate(load_suite(source).expectations):
            short = e.name.removeprefix("expect_column_").replace(":", "-")
            for kind in KINDS:
                yield pytest.param(source, index, kind, id=f"{source}-{index:02d}-{short}-{kind}")


def example_rows(suite: Suite, e: Expectation, example: Any) -> list[dict[str, Any]]:
    """The rows of an example: the suite's valid row with the example's cells put in.

    A value is the expectation's column; an object names several columns of one row; a
    list is several rows (a rule across rows, such as uniqueness).
    """
    rows = []
    for item in example if isinstance(example, list) else [example]:
        if isinstance(item, dict):
            assert set(item) <= set(suite.columns), (suite.name, e.name, sorted(item))
            cells = item
        else:
            assert len(e.columns) == 1, f"{suite.name} {e.name}: an object per row is needed"
            cells = {e.columns[0]: item}
        rows.append({**suite.valid_row, **cells})
    return rows


def _arrow(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    """Numbers as DOUBLE (hours), everything else as text, as in the staged tables."""

    def kind(column: str) -> pa.DataType:
        numeric = any(
            isinstance(r[column], int | float) and not isinstance(r[column], bool) for r in rows
        )
        return pa.float64() if numeric else pa.string()

    arrays = {"line_no": pa.array(range(1, len(rows) + 1), pa.int64())}
    arrays |= {c: pa.array([r[c] for r in rows], kind(c)) for c in columns}
    return pa.table(arrays)


def judge(suite: Suite, rows: list[dict[str, Any]]) -> tuple[list[CheckResult], list[dict]]:
    """The suite run on `rows` by the SQL engine and by GX, on the same DuckDB table."""
    con = duckdb.connect()
    con.register("exemple_arrow", _arrow(rows, suite.columns))
    con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM exemple_arrow")
    ours = run_suite(con, TABLE, suite)
    theirs = run_with_gx(con.execute(f"SELECT * FROM {TABLE}").df(), suite)
    return ours, theirs


def _assert_agree(ours: list[CheckResult], theirs: list[dict], what: str) -> None:
    for mine, gx in zip(ours, theirs, strict=True):
        assert mine.expectation.name == gx["name"]
        assert (mine.unexpected_count, mine.line_numbers, mine.success) == (
            gx["unexpected_count"],
            gx["line_numbers"],
            gx["success"],
        ), (what, mine.expectation.name)


def _values(example: Any):
    if isinstance(example, list):
        for item in example:
            yield from _values(item)
    elif isinstance(example, dict):
        yield from example.values()
    else:
        yield example


def test_every_expectation_has_valid_and_invalid_examples() -> None:
    missing = [
        f"{source} : {e.name} ({kind})"
        for source in SUITES
        for e in load_suite(source).expectations
        for kind in KINDS
        if not e.examples(kind)
    ]
    assert missing == []
    assert len(SUITES) >= 9


@pytest.mark.parametrize("source", SUITES)
def test_valid_row_passes_the_whole_suite_in_both_engines(source) -> None:
    """The row every example starts from holds exactly the suite's columns and passes
    every expectation, so an example's outcome is its own."""
    suite = load_suite(source)
    assert sorted(suite.valid_row) == sorted(suite.columns)
    ours, theirs = judge(suite, [suite.valid_row])
    _assert_agree(ours, theirs, "ligne_valide")
    assert [c.expectation.name for c in ours if c.unexpected_count] == []


@functools.cache
def _stacked(source: str, kind: str) -> tuple[list[CheckResult], list[dict], dict]:
    """The examples of `kind` of every row-wise expectation of `source`, stacked in one
    table, judged by both engines: (our results, GX's, and for each expectation's index in
    the suite the line numbers of each of its examples)."""
    suite = load_suite(source)
    run = suite.only(tuple(e for e in suite.expectations if e.type not in ACROSS_ROWS))
    rows: list[dict[str, Any]] = []
    placed: dict[int, list[tuple[Any, set[int]]]] = {}
    for index, e in enumerate(suite.expectations):
        if e.type in ACROSS_ROWS:
            continue
        for example in e.examples(kind):
            group = example_rows(suite, e, example)
            placed.setdefault(index, []).append(
                (example, set(range(len(rows) + 1, len(rows) + len(group) + 1)))
            )
            rows += group
    ours, theirs = judge(run, rows)
    return ours, theirs, placed


def _assert_examples_judged(result: CheckResult, kind: str, placed) -> None:
    """Every row of a valid example passes `result`'s expectation, every row of an
    invalid one is refused."""
    refused = set(result.line_numbers)
    for example, lines in placed:
        if kind == "valides":
            assert not lines & refused, example
        else:
            assert lines <= refused, example


@pytest.mark.parametrize(("source", "index", "kind"), list(_cases()))
def test_examples_pass_or_fail_alike_in_both_engines(source, index, kind) -> None:
    """The examples of one kind: in the suite's stacked table (`_stacked`), or for
    uniqueness each example as a table of its own."""
    suite = load_suite(source)
    e = suite.expectations[index]
    examples = e.examples(kind)
    assert examples, f"{source} : {e.name} sans exemples {kind}"
    if e.type not in ACROSS_ROWS:
        ours, theirs, placed = _stacked(source, kind)
        _assert_agree(ours, theirs, (source, kind))  # every expectation, every row
        [result] = [r for r in ours if r.expectation == e]
        _assert_examples_judged(result, kind, placed[index])
        return
    for example in examples:
        rows = example_rows(suite, e, example)
        ours, theirs = judge(suite.only((e,)), rows)
        _assert_agree(ours, theirs, example)
        [result] = ours
        _assert_examples_judged(result, kind, [(example, set(range(1, len(rows) + 1)))])
        assert result.success == (kind == "valides")
        assert result.unexpected_count == (0 if kind == "valides" else len(rows))


def test_examples_hold_no_real_looking_identifier() -> None:
    """Examples are synthetic: a NIR-shaped value is in the reserved range
    (tests/synthetic.py); no e-mail address, no phone number."""
    for source in SUITES:
        suite = load_suite(source)
        values = [*suite.valid_row.values()]
        values += [v for e in suite.expectations for k in KINDS for v in _values(e.examples(k))]
        for value in values:
            if not isinstance(value, str):
                continue
            if NIR.match(value) and len(value) >= 13:
                assert is_synthetic_nir(value[:13]), (source, "NIR")
            assert "@" not in value and not PHONE.fullmatch(value), (source, "contact")


@pytest.mark.parametrize("ignore", [None, "both_values_are_missing", "either_value_is_missing"])
def test_pair_rule_treats_missing_values_as_gx_does(ignore) -> None:
    """A pair check without `ignore_row_if` follows GX's default (a row is skipped only when
    both values are missing); the suites say `either_value_is_missing`."""
    kwargs = {"column_A": "fin", "column_B": "debut", "or_equal": True}
    if ignore:
        kwargs["ignore_row_if"] = ignore
    e = Expectation("expect_column_pair_values_a_to_be_greater_than_b", kwargs, "warning", "")
    suite = Suite("paire", (e,), {"name": "paire", "meta": {}})
    rows = [
        {"fin": "2026-01-20", "debut": "2026-01-10"},
        {"fin": "2026-01-05", "debut": "2026-01-10"},
        {"fin": None, "debut": "2026-01-10"},
        {"fin": "2026-01-20", "debut": None},
        {"fin": None, "debut": None},
    ]
    ours, theirs = judge(suite, rows)
    _assert_agree(ours, theirs, ignore)
    assert ours[0].line_numbers == ([2] if ignore == "either_value_is_missing" else [2, 3, 4])
