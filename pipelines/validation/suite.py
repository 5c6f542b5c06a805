"""Great Expectations suites, read from `expectations/<source>.json`.

The files are genuine GX 1.x suites (`gx.ExpectationSuite(**json)` accepts them, a test
checks it). Each expectation's `severity` says what a failure does:
- critical: the failing lines are rejected (quarantined); too many block the file;
- warning: reported, the line loads.
`meta.champ` names the field as the agreement does; `meta.codes_publics` allows the report
to list unexpected values, only for code fields that hold no personal data.

Each expectation shows what it accepts and refuses by examples (`meta.exemples`, in the
manner of csv-detective): `{"valides": [...], "invalides": [...]}`, each example being a
value of the expectation's column, an object of several columns (a pair of dates), or a
list of rows (a rule across rows: uniqueness). The suite's `meta.ligne_valide` is one row
that passes every expectation: an example is that row with the example's cells put in.
All are synthetic; `tests/test_expectation_examples.py` runs each through both engines.
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

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation reads (one, or the two of a pair)."""
        return tuple(self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs)

    @property
    def compares_dates(self) -> bool:
        """A range check whose bounds are dates (`min_value: "2009-06-01"`).

        GX reads such bounds as dates and compares them with dates only (it raises on
        text), and the staged tables hold dates as ISO text: both engines compare the
        column as dates, a value that is no date counting as missing (left to the format
        check).
        """
        return self.type == "expect_column_values_to_be_between" and any(
            isinstance(self.kwargs.get(k), str) for k in ("min_value", "max_value")
        )

    def examples(self, kind: str) -> list[Any]:
        """The `valides` or `invalides` examples of `meta.exemples` (empty when none)."""
        return list((self.meta.get("exemples") or {}).get(kind) or [])

    def as_gx(self) -> dict[str, Any]:
        """The expectation as its suite file writes it (what `gx.ExpectationSuite` reads)."""
        return {
            "type": self.type,
            "kwargs": self.kwargs,
            "severity": self.severity,
            "description": self.description,
            "meta": self.meta,
        }


@dataclass(frozen=True)
class Suite:
    name: str
    expectations: tuple[Expectation, ...]
    raw: dict[str, Any]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column some expectation reads, in suite order."""
        return tuple(dict.fromkeys(c for e in self.expectations for c in e.columns))

    @property
    def valid_row(self) -> dict[str, Any]:
        """`meta.ligne_valide`: a synthetic row that passes every expectation."""
        return dict(self.raw.get("meta", {}).get("ligne_valide") or {})

    def only(self, expectations: tuple[Expectation, ...]) -> Suite:
        """The same suite restricted to some of its expectations (a variant, one rule)."""
        return Suite(self.name, expectations, self.raw)

    def as_gx(self) -> dict[str, Any]:
        """The suite as GX reads it, with only this suite's expectations (a variant's)."""
        return {
            "name": self.raw.get("name", self.name),
            "meta": self.raw.get("meta", {}),
            "expectations": [e.as_gx() for e in self.expectations],
        }


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
