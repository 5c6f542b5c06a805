"""Great Expectations suites, read from `expectations/<source>.json`.

The files are genuine GX 1.x suites (`gx.ExpectationSuite(**json)` accepts them, a test
checks it). Each expectation's `severity` says what a failure does:
- critical: the failing lines are rejected (quarantined); too many block the file;
- warning: reported, the line loads.
`meta.champ` names the field as the agreement does; `meta.codes_publics` allows the report
to list unexpected values, only for code fields that hold no personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipelines.settings import EXPECTATIONS_DIR


@dataclass(frozen=True)
class Expectation:
    type: str
    kwargs: dict[str, Any]
    severity: str
    description: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")

    @property
    def field_label(self) -> str:
        return self.meta.get("champ") or self.column or ""

    @property
    def name(self) -> str:
        """Stable short name used in quarantine rows and reports."""
        return f"{self.type}:{self.column}" if self.column else self.type


@dataclass(frozen=True)
class Suite:
    name: str
    expectations: tuple[Expectation, ...]
    raw: dict[str, Any]


@cache
def load_suite(source: str) -> Suite:
    raw = json.loads((EXPECTATIONS_DIR / f"{source}.json").read_text(encoding="utf-8"))
    items = tuple(
        Expectation(
            type=e["type"],
            kwargs=e.get("kwargs", {}),
            severity=e.get("severity", "critical"),
            description=e.get("description") or "",
            meta=e.get("meta") or {},
        )
        for e in raw["expectations"]
    )
    return Suite(raw["name"], items, raw)


def for_variant(suite: Suite, variant: str | None) -> Suite:
    """The expectations that apply to one variant of a source (`meta.listes` for LRSA)."""
    kept = tuple(
        e
        for e in suite.expectations
        if variant is None or variant in e.meta.get("listes", [variant])
    )
    return Suite(f"{suite.name}:{variant}" if variant else suite.name, kept, suite.raw)
