"""Every registered source meets the loader's contract (pipelines/sources/protocol.py)."""

from __future__ import annotations

import inspect
import sys
import types

import pytest

from pipelines import sources
from pipelines.sources import SOURCES
from pipelines.sources.protocol import Source, check_source


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


@pytest.mark.parametrize("name", SOURCES)
def test_source_declares_its_staged_table_and_drift(name):
    """FIELDS and DRIFT_SHARES are part of the contract, declared by every source: the
    loader reads them as they are, never with a default that would hide a lost name."""
    source = SOURCES[name]
    assert check_source(name, source) is source
    assert source.FIELDS is None or source.FIELDS.endswith("_fields"), name
    for staged, stored in source.DRIFT_SHARES.values():
        assert staged and stored, name


def _module_like(**names) -> types.ModuleType:
    """A source module as `SOURCES` would import it, with these names."""
    module = types.ModuleType("pipelines.sources.imaginaire")
    module.__dict__.update(names)
    return module


def test_a_source_that_lost_fields_is_refused_at_registration(monkeypatch):
    """The PECGM drift once stopped comparing shares, silently, when a module move lost
    FIELDS. A source module without it (or without DRIFT_SHARES) now fails when the
    registry hands it out, and one that compares shares without a staged table too."""
    pecgm = SOURCES["pecgm"]
    contract = {n: getattr(pecgm, n) for n in ("SOURCE", "TABLE", "SUPERSEDE", "DRIFT_SHARES")}
    contract |= {n: getattr(pecgm, n) for n in ("stage", "insert", "quarantine_sql")}
    without_fields = _module_like(**contract)
    with pytest.raises(TypeError, match="FIELDS"):
        check_source("pecgm", without_fields)
    claims_shares = _module_like(**contract, FIELDS=None)
    with pytest.raises(TypeError, match="DRIFT_SHARES"):
        check_source("pecgm", claims_shares)
    monkeypatch.setitem(sources._REGISTRY, "pecgm", ("pipelines.sources.imaginaire", None))
    monkeypatch.setitem(sys.modules, "pipelines.sources.imaginaire", without_fields)
    with pytest.raises(TypeError, match="FIELDS"):
        SOURCES["pecgm"]
    assert check_source("pecgm", _module_like(**contract, FIELDS="pecgm_fields"))
