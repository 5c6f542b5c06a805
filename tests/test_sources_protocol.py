"""Every registered source meets the loader's contract (pipelines/sources/protocol.py)."""

from __future__ import annotations

import inspect

import pytest

from pipelines.sources import SOURCES
from pipelines.sources.protocol import Source


@pytest.mark.parametrize("name", SOURCES)
def test_source_meets_the_protocol(name):
    source = SOURCES[name]
    assert isinstance(source, Source), name
    assert name == source.SOURCE
    assert source.SUPERSEDE in ("month", "departement")
    stage = inspect.signature(source.stage).parameters
    assert {"departement", "threshold", "options"} <= set(stage), name
    assert all(stage[k].kind is inspect.Parameter.KEYWORD_ONLY for k in ("threshold", "options"))
    assert isinstance(source.quarantine_sql(), str) and "SELECT" in source.quarantine_sql()
