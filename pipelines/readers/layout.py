"""Fixed-width layouts, read from the declarative files in `layouts/`.

The parser never hard-codes an offset: it asks a `Layout` for the fields of a record type,
each with its 1-based start position derived from the widths listed before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.errors import FileRefused
from pipelines.readers.yaml_file import read_yaml
from pipelines.settings import LAYOUTS_DIR


@dataclass(frozen=True)
class Field:
    """One field of a fixed-width record."""

    name: str
    label: str
    width: int
    type: str
    usage: str
    start: int  # 1-based, as SQL substr wants it
    codelist: str | None = None
    fixed: bool = False
    keep_as_fallback: bool = False
    not_future: bool = False  # a date after the file's reference date (+ future_days) is an error
    future_days: int = 0

    @property
    def end(self) -> int:
        """Last 1-based position of the field."""
        return self.start + self.width - 1


@dataclass(frozen=True)
class Layout:
    """All record types of one file format version."""

    source: str
    version: str
    encoding: str
    record_width: int
    records: dict[str, tuple[Field, ...]]

    def fields(self, record_type: str) -> tuple[Field, ...]:
        return self.records[record_type]

    def field(self, record_type: str, name: str) -> Field:
        for f in self.records[record_type]:
            if f.name == name:
                return f
        raise KeyError(f"{record_type}.{name}")

    def width(self, record_type: str) -> int:
        """Sum of the listed widths (1152 for PECGM details, not the 1200 the header claims)."""
        return sum(f.width for f in self.records[record_type])


def _fields(spec: list[dict]) -> tuple[Field, ...]:
    out, start = [], 1
    for item in spec:
        out.append(Field(start=start, **item))
        start += item["width"]
    return tuple(out)


def _read(path: Path, source: str) -> Layout:
    raw = read_yaml(path)
    return Layout(
        source=source,
        version=raw["version"],
        encoding=raw["encoding"],
        record_width=raw["record_width"],
        records={rt: _fields(spec) for rt, spec in raw["records"].items()},
    )


@cache
def available_layouts(source: str) -> dict[str, Layout]:
    """Every layout version shipped for a source, keyed by its VERSION value."""
    layouts = (_read(p, source) for p in sorted(LAYOUTS_DIR.glob(f"{source}_*.yaml")))
    return {lay.version: lay for lay in layouts}


def layout_for(source: str, version: str, file_name: str = "") -> Layout:
    """The layout a header's VERSION selects; an unknown version refuses the file."""
    known = available_layouts(source)
    if version not in known:
        raise FileRefused(
            f"{file_name}, ligne 1, champ VERSION : version de format inconnue "
            f"(versions connues : {', '.join(sorted(known))})."
        )
    return known[version]


def format_record(layout: Layout, record_type: str, values: dict[str, object]) -> str:
    """Write one record from field values: the parser's inverse (generator, tests, benchmarks).

    Text is left-aligned and blank-padded, `N` fields are right-aligned and zero-padded,
    and every value is cut to its width, as the agreement's fixed-width format wants.
    """
    parts = []
    for f in layout.fields(record_type):
        value = values.get(f.name)
        if f.name == "type_enregistrement":
            value = record_type
        text = "" if value is None else str(value)
        if f.type == "N" and text:
            parts.append(text.rjust(f.width, "0")[: f.width])
        else:
            parts.append(text.ljust(f.width)[: f.width])
    return "".join(parts)
