"""What the loader asks of a source: the contract every reader of `pipelines/sources/` meets.

A reader is a module (`pecgm`) or an object (`TabularSource`, `parcours`); either way it
has these names. `tests/test_sources_protocol.py` checks every registered source against
this protocol, so a new source that forgets a piece fails there, not in a user's load.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import duckdb

from pipelines.readers.encoding import FileFacts
from pipelines.validation.report import Report

Supersede = Literal["month", "departement"]


@runtime_checkable
class Source(Protocol):
    SOURCE: str  # the command-line name, and the journal's `source`
    TABLE: str  # the warehouse table it fills (TABLES, when it fills several)
    # "month": a new file replaces the load of the same département and month (and list);
    # "departement": every earlier load of the département.
    SUPERSEDE: Supersede

    def stage(
        self,
        con: duckdb.DuckDBPyConnection,
        facts: FileFacts,
        *,
        departement: str | None = None,
        threshold: float = 0.01,
        options: dict | None = None,
    ) -> Report:
        """Read and check the file into temporary tables; the report says if it may load."""
        ...

    def insert(
        self, con: duckdb.DuckDBPyConnection, report: Report, load_id: int, catalog: str
    ) -> int:
        """Write the staged rows into the warehouse (inside the loader's transaction)."""
        ...

    def quarantine_sql(self) -> str:
        """SELECT of the staged line errors (line, field, check, reason) for `quarantine`."""
        ...
