"""Run a suite through Great Expectations itself (pandas engine).

The product validates with `sql_engine` (one DuckDB scan); this module is the reference
it is checked against in the tests, and lets an operator audit a file with GX directly.
GX is imported lazily: it takes seconds to import.
"""

from __future__ import annotations

import functools
import itertools
import threading

import pandas as pd

from pipelines.validation.suite import Suite


def _config_key(kind: str, kwargs: dict) -> tuple:
    keys = (
        "column",
        "column_A",
        "column_B",
        "value_set",
        "regex",
        "strftime_format",
        "min_value",
        "max_value",
    )
    return (kind, *(_comparable(kwargs.get(k)) for k in keys))


def _comparable(value: object) -> str:
    """A configuration value as text, alike whether GX coerced it (0 -> 0.0, a date
    string -> date) or not."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return repr(float(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _as_dates(frame: pd.DataFrame, columns: set[str]) -> pd.DataFrame:
    """`columns` as `datetime.date` values (what GX compares date bounds with), or None
    (`Expectation.compares_dates`)."""
    out = frame.copy()
    for column in columns:
        parsed = pd.to_datetime(out[column], format="%Y-%m-%d", errors="coerce")
        out[column] = [None if pd.isna(d) else d.date() for d in parsed]
    return out


def gx_parts(frame: pd.DataFrame, suite: Suite) -> list[tuple[pd.DataFrame, Suite]]:
    """The (frame, suite) pairs GX must run for `suite`: the date-bounded range checks on a
    copy whose compared columns are dates (GX 1.x raises on ISO text against a date bound),
    every other check on the frame as staged, so that both engines judge the same values."""
    dated = tuple(e for e in suite.expectations if e.compares_dates)
    others = tuple(e for e in suite.expectations if not e.compares_dates)
    parts = []
    if others:
        parts.append((frame, suite.only(others)))
    if dated:
        parts.append((_as_dates(frame, {e.column for e in dated}), suite.only(dated)))
    return parts


@functools.cache
def _session():
    """One ephemeral GX context for the process, with its pandas batch definition: making
    them took half of each validation (the tests run GX some four hundred times). Progress
    bars off: nothing of a validation is written to the terminal."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("fichier")
        .add_dataframe_asset("lignes")
        .add_batch_definition_whole_dataframe("tout")
    )
    return context, batch


_runs = itertools.count()
_lock = threading.Lock()  # a GX context is not meant to be shared between threads


def _validate(frame: pd.DataFrame, suite: Suite) -> dict[tuple, object]:
    """GX's result of each expectation of `suite` on `frame`, keyed by its configuration
    (the suite added under a name of its own, removed after the run)."""
    import great_expectations as gx

    data = frame.astype(object).where(frame.notna(), None)  # GX skips None, as SQL skips NULL
    data.index = pd.Index(frame["line_no"].tolist())  # unexpected_index_list: line numbers
    with _lock:
        context, batch = _session()
        name = f"{suite.name}-{next(_runs)}"
        gx_suite = context.suites.add(gx.ExpectationSuite(**{**suite.as_gx(), "name": name}))
        try:
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
            )
            try:
                result = definition.run(
                    batch_parameters={"dataframe": data},
                    result_format={"result_format": "COMPLETE"},
                )
            finally:
                context.validation_definitions.delete(name)
        finally:
            context.suites.delete(name)
    # GX does not promise to return results in suite order: align them by configuration.
    return {
        _config_key(r.expectation_config.type, r.expectation_config.kwargs): r
        for r in result.results
    }


def run_with_gx(frame: pd.DataFrame, suite: Suite) -> list[dict]:
    """Validate `frame` (with a `line_no` column) and return, per expectation in suite order,
    its name, success, unexpected count and sorted unexpected line numbers."""
    by_config: dict[tuple, object] = {}
    for part_frame, part in gx_parts(frame, suite):
        by_config |= _validate(part_frame, part)
    out = []
    for expectation in suite.expectations:
        res = by_config[_config_key(expectation.type, expectation.kwargs)]
        lines = sorted(int(i) for i in (res.result.get("unexpected_index_list") or []))
        out.append(
            {
                "name": expectation.name,
                "success": bool(res.success),
                "unexpected_count": int(res.result.get("unexpected_count") or 0),
                "line_numbers": lines,
            }
        )
    return out
