"""What the loader asks of a source: the contract every reader of `pipelines/sources/` meets.

A reader is a module (`pecgm`) or an object (`TabularSource`, `parcours`); either way it
has these names. `tests/test_sources_protocol.py` checks every registered source against
this protocol, so a new source that forgets a piece fails there, not in a user's load.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pipelines.readers.encoding import FileFacts
from pipelines.validation.report import Report

if TYPE_CHECKING:  # annotations only: a child parsing XML needs no DuckDB
    import duckdb

Supersede = Literal["month", "departement"]


@runtime_checkable
class Source(Protocol):
    SOURCE: str  # the command-line name, and the journal's `source`
    TABLE: str  # the warehouse table it fills (TABLES, when it fills several)
    # "month": a new file replaces the load of the same département and month (and list);
    # "departement": every earlier load of the département.
    SUPERSEDE: Supersede
    # The staged table of the file's records once checked (None: no one table holds them,
    # parcours has three). Declared, never guessed: drift reads it.
    FIELDS: str | None
    # Drift of each family's shares against the previous file: family -> (staged column
    # of FIELDS, column of TABLE). Empty: drift compares the row count only.
    DRIFT_SHARES: Mapping[str, tuple[str, str]]

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


def check_source(name: str, source: object) -> Source:
    """`source` as registered under `name`, or TypeError naming what its contract lacks.

    Run when the registry first hands a source out (`pipelines.sources.SOURCES`), and by
    `tests/test_sources_protocol.py` over every registered source: a module that loses a
    name in a move (as `FIELDS` once did, silently turning PECGM's drift of shares off)
    fails there, not quietly in a user's check.
    """
    missing = [m for m in _MEMBERS if not hasattr(source, m)]
    if missing:
        raise TypeError(f"source {name}: contract incomplete, missing {', '.join(missing)}")
    if name != source.SOURCE:
        raise TypeError(f"source {name}: registered under another name ({source.SOURCE})")
    if source.DRIFT_SHARES and not source.FIELDS:
        raise TypeError(f"source {name}: DRIFT_SHARES compares a staged table, FIELDS names none")
    return source  # type: ignore[return-value]


_MEMBERS = (*Source.__annotations__, "stage", "insert", "quarantine_sql")
