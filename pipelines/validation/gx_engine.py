"""Run a suite through Great Expectations itself (pandas engine).

The product validates with `sql_engine` (one DuckDB scan); this module is the reference
it is checked against in the tests, and lets an operator audit a file with GX directly.
GX is imported lazily: it takes seconds to import.
"""

from __future__ import annotations

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
    return (kind, *(str(kwargs.get(k)) for k in keys))


def run_with_gx(frame: pd.DataFrame, suite: Suite) -> list[dict]:
    """Validate `frame` (with a `line_no` column) and return, per expectation in suite order,
    its name, success, unexpected count and sorted unexpected line numbers."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("fichier")
        .add_dataframe_asset("lignes")
        .add_batch_definition_whole_dataframe("tout")
    )
    gx_suite = context.suites.add(gx.ExpectationSuite(**suite.as_gx()))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name="v", data=batch, suite=gx_suite)
    )
    data = frame.astype(object).where(
        frame.notna(), None
    )  # GX skips None, as the SQL engine skips NULL
    data.index = pd.Index(
        frame["line_no"].tolist()
    )  # unexpected_index_list then gives line numbers
    result = definition.run(
        batch_parameters={"dataframe": data}, result_format={"result_format": "COMPLETE"}
    )
    # GX does not promise to return results in suite order: align them by configuration.
    by_config = {
        _config_key(r.expectation_config.type, r.expectation_config.kwargs): r
        for r in result.results
    }
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
