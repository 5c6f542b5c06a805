"""The PECGM monthly file in its fixed-width form: header, details and footer records of
the population model's persons (`population.detail_values`), written latin-1 with CRLF.

The header and footer values are shared with the XML form (`pecgm_xml`).
"""

from __future__ import annotations

import gzip
from datetime import date, timedelta
from pathlib import Path

from pipelines.readers.layout import Layout, format_record
from sample_data.population import Person, detail_values


def header_values(layout: Layout, departement: str, ref: date) -> dict[str, object]:
    """The header's fields for reference date `ref` (made five days later), either form."""
    return {
        "fichier": "PECG",
        "periodicite": "M",
        "departement": departement,
        "date_reference": f"{ref:%Y%m%d}",
        "date_fabrication": f"{ref + timedelta(days=5):%Y%m%d}",
        "version": layout.version,
    }


def footer_values(departement: str, ref: date, count: int) -> dict[str, object]:
    """The footer's fields: same département and reference date, number of details."""
    return {
        "departement": departement,
        "date_reference": f"{ref:%Y%m%d}",
        "nb_enregistrements": count,
    }


def header_record(layout: Layout, departement: str, ref: date) -> str:
    """The E record of a PECGM file for reference date `ref`."""
    return format_record(layout, "E", header_values(layout, departement, ref))


def footer_record(layout: Layout, departement: str, ref: date, count: int) -> str:
    """The F record: same département and reference date, number of D records."""
    return format_record(layout, "F", footer_values(departement, ref, count))


def pecgm_lines(layout: Layout, departement: str, ref: date, people: list[Person]) -> list[str]:
    details = [format_record(layout, "D", detail_values(p, ref)).rstrip() for p in people]
    return [
        header_record(layout, departement, ref),
        *details,
        footer_record(layout, departement, ref, len(people)),
    ]


def write_lines(
    path: Path, lines: list[str], encoding: str = "latin-1", newline: str = "\r\n"
) -> None:
    data = (newline.join(lines) + newline).encode(encoding)
    if path.suffix == ".gz":
        with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime=0: byte-identical reruns
            f.write(data)
    else:
        path.write_bytes(data)
