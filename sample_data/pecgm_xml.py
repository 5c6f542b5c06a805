"""The PECGM monthly file in its XML form (`fichier-PE-CG`), written from layout values.

The same values as the fixed-width records (`population.detail_values`), placed at the
paths of the tag map (`pipelines/layouts/pecgm-xml_*.yaml`): dates as AAAA-MM-JJ, empty
values left out (a missing element is "not set"). Used by the generator (`--format xml`),
the demo, the tests and the benchmark; written as a stream, one dossier at a time.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from pipelines.readers.layout import Layout
from pipelines.sources.pecgm_xml import TagMap, tag_map
from sample_data import pecgm_fixed

INDENT = "  "


def _iso(text: str) -> str:
    """SSAAMMJJ -> AAAA-MM-JJ (the XML form's dates); anything else as given."""
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text


def _tree(paths: dict[str, str]) -> dict:
    """{path: field} as nested groups, in the map's order: {"individu": {"nir": "nir"}}."""
    root: dict = {}
    for path, name in paths.items():
        node = root
        *groups, leaf = path.split("/")
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = name
    return root


def _element(tag: str, node, values: dict, dates: set[str], depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(node, str):
        value = values.get(node)
        text = "" if value is None else str(value).strip()
        if not text:
            return []
        if node in dates:
            text = _iso(text)
        return [f"{pad}<{tag}>{escape(text)}</{tag}>"]
    inner = [line for t, n in node.items() for line in _element(t, n, values, dates, depth + 1)]
    return [f"{pad}<{tag}>", *inner, f"{pad}</{tag}>"] if inner else []


def dossier_xml(
    values: dict, tree: dict, dates: set[str], record: str = "dossier", depth: int = 1
) -> str:
    """One `<dossier>` element (lines without the final newline)."""
    inner = [line for t, n in tree.items() for line in _element(t, n, values, dates, depth + 1)]
    pad = INDENT * depth
    return "\n".join([f"{pad}<{record}>", *inner, f"{pad}</{record}>"])


def _fields_xml(element: str, fields: dict[str, str], values: dict, dates: set[str]) -> str:
    lines = [f"{INDENT}<{element}>"]
    for tag, name in fields.items():
        text = str(values.get(name, ""))
        lines.append(f"{INDENT * 2}<{tag}>{escape(_iso(text) if name in dates else text)}</{tag}>")
    lines.append(f"{INDENT}</{element}>")
    return "\n".join(lines)


def document(
    layout: Layout,
    departement: str,
    ref: date,
    records: Iterable[dict],
    count: int,
    encoding: str = "ISO-8859-1",
    tags: TagMap | None = None,
) -> Iterator[str]:
    """The file's text, piece by piece: declaration, entete, one dossier per record, fin."""
    tags = tags or tag_map(layout.version)
    tree = _tree(tags.dossier)
    dates = {f.name for rt in ("E", "D", "F") for f in layout.fields(rt) if f.type == "date"}
    yield f'<?xml version="1.0" encoding="{encoding}"?>\n<{tags.root}>\n'
    header = pecgm_fixed.header_values(layout, departement, ref)
    yield _fields_xml(tags.header, tags.header_fields, header, dates) + "\n"
    for values in records:
        yield dossier_xml(values, tree, dates, tags.record) + "\n"
    footer = {
        **pecgm_fixed.footer_values(departement, ref, count),
        "nb_enregistrements": f"{count:07d}",
    }
    yield _fields_xml(tags.footer, tags.footer_fields, footer, dates) + "\n"
    yield f"</{tags.root}>\n"


def write(
    path: Path, pieces: Iterable[str], encoding: str = "ISO-8859-1", newline: str = "\n"
) -> Path:
    """Write the pieces in `encoding`, with `newline` line ends; gzip when the name ends .gz."""
    out = gzip.GzipFile(path, "wb", mtime=0) if path.suffix == ".gz" else path.open("wb")
    codec = {"ISO-8859-1": "latin-1", "Windows-1252": "cp1252"}.get(encoding, encoding)
    with out as f:
        for piece in pieces:
            if newline != "\n":
                piece = piece.replace("\n", newline)
            f.write(piece.encode(codec))
    return path
