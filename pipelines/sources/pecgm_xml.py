"""PECGM monthly stock file in its XML form (`fichier-PE-CG`), France Travail -> département.

The agreement's annexe 3 says the exchange format is XML; a public test file of the flux
shows `<fichier-PE-CG>`, an `<entete>`, one `<dossier>` per person (fields grouped in
sub-elements such as `<ppae>`), and a `<fin>` counting the dossiers. This module reads it
and hands the fixed-width reader (`pecgm`) a table shaped like its own cut: one row per
dossier, one column per kept layout field, values as the fixed-width form writes them
(dates SSAAMMJJ). From there the path is the same: suite, threshold, staging SQL, journal,
report, drift — so both forms of one month give the same warehouse rows.

Reading is one streaming pass (`pipelines.readers.xml_safe`: no DTD, no entity, no network), in
batches of dossiers turned into Arrow columns and appended to a DuckDB temp table; the
values are normalised (trim, dates, NIR key) in SQL, not in Python. Which element holds
which field is the declarative tag map `layouts/pecgm-xml_<version>.yaml`, selected by the
header's `<version>`; a département's own map (`--mapping`) replaces paths.

A large uncompressed file (`SPLIT_THRESHOLD`) is read in two halves at once: reading is
bound by the parse, one Python thread, while the machines it runs on have two cores. The
file is cut just after a `</dossier>` near the middle; this process parses the first half
(up to the cut, then the root's end tag) and inserts its batches as above, while a child
process (`pipelines.readers.xml_halves`) parses the second (the file's XML declaration, as many line
ends as come before the cut, the root's start tag, then the file's bytes from the cut:
same encoding, same line numbers) with the map this process read in the header, and sends
its batches back as Arrow; they go after the first half's, ordinals shifted. Each half is
a well-formed document only if the whole file is, around the cut too (a cut inside a
comment or a CDATA section leaves the first half unclosed). Whenever anything goes wrong
— a syntax error in either half, a second header or footer, a lone CR, the child failing
in any way — both halves' rows are dropped and the file is read again in one pass, so a
refused file's messages (file, line) are exactly the single pass's; small files, gzip,
a DOCTYPE or an encoding that is not ASCII-compatible are read in one pass from the start.
"""

from __future__ import annotations

import gc
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import yaml
from lxml import etree

from pipelines.errors import FileRefused, UsageError
from pipelines.readers import xml_halves
from pipelines.readers.encoding import FileFacts, open_bytes
from pipelines.readers.layout import Layout, available_layouts
from pipelines.readers.xml_safe import ByteRange, iter_top_level, iter_top_level_stream, root_tag
from pipelines.readers.yaml_file import read_yaml
from pipelines.settings import LAYOUTS_DIR
from pipelines.sources import pecgm_records
from pipelines.validation.report import AVERTISSEMENT, Finding, Report

if TYPE_CHECKING:  # annotations only: a child parsing XML needs no DuckDB
    import duckdb

SOURCE = "pecgm"
MAP_PREFIX = "pecgm-xml_"
DETAILS = "pecgm_xml_details"
BATCH = 50_000  # dossiers per Arrow batch: a few tens of MB, whatever the file's size
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class TagMap:
    """Where each layout field sits in the XML file (see layouts/pecgm-xml_001_0.yaml)."""

    version: str
    root: str
    header: str
    header_fields: dict[str, str]  # tag under <entete> -> field of the E record
    record: str
    footer: str
    footer_fields: dict[str, str]  # tag under <fin> -> field of the F record
    dossier: dict[str, str]  # path under <dossier> -> field of the D record
    name: str  # the map file's name, for messages

    def paths_of(self) -> dict[str, str]:
        """field -> path (the inverse of `dossier`)."""
        return {field: path for path, field in self.dossier.items()}


def _read_map(path: Path) -> TagMap:
    raw = read_yaml(path)
    return TagMap(
        version=str(raw["version"]),
        root=raw["root"],
        header=raw["header"]["element"],
        header_fields=dict(raw["header"]["fields"]),
        record=raw["record"],
        footer=raw["footer"]["element"],
        footer_fields=dict(raw["footer"]["fields"]),
        dossier=dict(raw["dossier"]),
        name=path.name,
    )


@cache
def available_maps() -> dict[str, TagMap]:
    """Every tag map shipped, keyed by the header version it reads."""
    maps = (_read_map(p) for p in sorted(LAYOUTS_DIR.glob(f"{MAP_PREFIX}*.yaml")))
    return {m.version: m for m in maps if not re.search(r"_[0-9AB]{2,3}\.yaml$", m.name)}


def root_element() -> str:
    """The root element's name (`fichier-PE-CG`), for source detection."""
    return next(iter(available_maps().values())).root


def read_override(path: Path) -> dict[str, str]:
    """A département's map file: {element path under dossier: layout field}."""
    try:
        raw = read_yaml(path)
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"Carte des balises illisible : {Path(path).name}.") from error
    if isinstance(raw, dict) and isinstance(raw.get("dossier"), dict):
        raw = raw["dossier"]
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise UsageError(
            f"{Path(path).name} : la carte des balises doit associer "
            "« chemin/de/l-element: champ » sur chaque ligne."
        )
    return {k.strip("/"): v for k, v in raw.items()}


def tag_map(
    version: str, override: dict[str, str] | None = None, *, name: str | None = None
) -> TagMap:
    """The map a header version selects, with a département's paths replacing the defaults.

    Each field the override names is read at its new path instead of the default one;
    a field it does not name keeps its default path.
    """
    base = available_maps()[version]
    if not override:
        return base
    fields = {f.name for f in available_layouts(SOURCE)[version].fields("D")}
    unknown = sorted(set(override.values()) - fields)
    if unknown:
        raise UsageError(
            f"{name or 'carte des balises'} : champ(s) inconnu(s) de la description PECGM "
            f"{version} : {', '.join(unknown)}."
        )
    replaced = set(override.values())
    paths = {p: f for p, f in base.dossier.items() if f not in replaced}
    paths.update(override)
    return replace(base, dossier=paths, name=name or base.name)


def departement_override(version: str, departement: str) -> Path | None:
    """A département's own map file shipped beside the default one, if any."""
    path = LAYOUTS_DIR / f"{MAP_PREFIX}{version.replace(',', '_')}_{departement}.yaml"
    return path if path.exists() else None


def is_xml(facts: FileFacts) -> bool:
    """True when the file's content (after a BOM and blanks) starts with '<'."""
    try:
        with open_bytes(facts.path) as f:
            head = f.read(512)
    except OSError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _iso_to_compact(text: str | None) -> str | None:
    """A header date as SSAAMMJJ (AAAA-MM-JJ accepted); None when blank."""
    text = (text or "").strip()
    if ISO_DATE.match(text):
        return text.replace("-", "")
    return text or None


def _parse_date(text: str | None) -> date | None:
    """The fixed-width reader's date rule, AAAA-MM-JJ accepted too."""
    return pecgm_records._parse_date(_iso_to_compact(text))


class _Stream:
    """State of one pass over the file: where we are, what was seen, what is wrong."""

    def __init__(self, facts: FileFacts, report: Report, override: dict[str, str] | None):
        self.facts = facts
        self.name = facts.file_name
        self.report = report
        self.override = override
        self.layout: Layout | None = None
        self.tags: TagMap | None = None
        self.header_line = 0
        self.footer: dict[str, str | None] | None = None
        self.footer_line = 0
        self.footer_lines: dict[str, int] = {}
        self.header_lines: dict[str, int] = {}
        self.dossiers = 0
        self.unknown: dict[str, tuple[int, int]] = {}  # path -> (first dossier, its line)
        self.after_footer = 0

    def where(self, line: int, path: str | None = None) -> str:
        text = f"{self.name}, ligne {line}" if line else self.name
        return f"{text}, élément {path}" if path else text

    def blocking(self, code: str, message: str, line: int = 0, field: str | None = None) -> None:
        self.report.findings.append(Finding(code, message, line_no=line or None, field=field))


def _leaf_texts(element: etree._Element) -> tuple[dict[str, str | None], dict[str, int]]:
    """({tag: text}, {tag: line}) of an entete/fin element's children."""
    texts: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for child in element:
        texts[child.tag] = child.text
        lines[child.tag] = child.sourceline or 0
    return texts, lines


def _read_header(element: etree._Element, stream: _Stream, default: TagMap) -> None:
    """Check the entete (the fixed-width header's rules, `pecgm_records.check_header`, with the
    elements named in messages) and select the layout and tag map its version names."""
    line = element.sourceline or 0
    stream.header_line = line
    values, lines = _leaf_texts(element)
    head = {field: (values.get(tag) or "").strip() for tag, field in default.header_fields.items()}
    for field in ("date_reference", "date_fabrication"):  # AAAA-MM-JJ read as SSAAMMJJ
        head[field] = _iso_to_compact(head[field]) or ""
    _warn_unknown_children(values, default.header_fields, default.header, lines, stream)
    tags = {field: tag for tag, field in default.header_fields.items()}
    at = {field: lines.get(tag, line) for tag, field in default.header_fields.items()}
    stream.header_lines = at

    def where(field: str) -> tuple[str, int]:
        return stream.where(at[field], f"{default.header}/{tags[field]}"), line

    layout = pecgm_records.check_header(head, stream.report, stream.name, where)
    version = head["version"]
    if version not in available_maps():
        raise FileRefused(
            f"{stream.name} : version « {version} » sans carte des balises XML "
            f"(versions connues : {', '.join(sorted(available_maps()))})."
        )
    override, override_name = stream.override, None
    if override is None:
        own = departement_override(version, stream.report.departement)
        if own is not None:
            override, override_name = read_override(own), own.name
    stream.layout = layout
    stream.tags = tag_map(version, override, name=override_name or None)


def _warn_unknown_children(
    values: dict, known: dict[str, str], prefix: str, lines: dict[str, int], stream: _Stream
) -> None:
    for tag in values:
        if tag not in known:
            stream.unknown.setdefault(f"{prefix}/{tag}", (0, lines[tag]))


class _Shapes:
    """Which element of a dossier holds which kept field, learnt once per dossier shape.

    A dossier's shape is the sequence of its element names, in document order. Real files
    have a few dozen shapes (which optional elements are present), so the path of each
    element is worked out once per shape, and every other dossier of that shape is read
    by two C-level passes: its (tag, text) pairs, then one `itemgetter` picking the kept
    fields' texts in column order. Measured on 200,000 dossiers, this costs about half of
    what a Python walk of each dossier's elements costs.
    """

    MAX = 10_000  # shapes remembered; a file with more is still read, shape by shape

    def __init__(self, tags: TagMap, columns: list[str], unknown: dict):
        self.fields = tags.dossier
        self.columns = columns
        self.unknown = unknown
        self.plans: dict[tuple, itemgetter] = {}

    def plan(self, dossier: etree._Element, key: tuple, ordinal: int, line: int) -> itemgetter:
        """The getter of this shape: position 0 (the dossier's own, blank, text) stands
        for a missing field; unknown paths are noted with the first dossier showing them."""
        positions: dict[str, int] = {}
        known_groups = {
            "/".join(p.split("/")[:i]) for p in self.fields for i in range(1, p.count("/") + 1)
        }
        for index, element in enumerate(dossier.iter()):
            if index == 0:
                continue
            path = "/".join(reversed([e.tag for e in _ancestors(element, dossier)]))
            field = self.fields.get(path)
            if field is not None:
                positions.setdefault(field, index)
            elif path not in known_groups and not _under_known_leaf(path, self.fields):
                parent = path.rsplit("/", 1)[0] if "/" in path else ""
                if not parent or parent in known_groups:  # report the outermost only
                    self.unknown.setdefault(path, (ordinal, line))
        getter = itemgetter(*[positions.get(c, 0) for c in self.columns])
        if len(self.plans) < self.MAX:
            self.plans[key] = getter
        return getter


def _ancestors(element: etree._Element, stop: etree._Element):
    while element is not stop:
        yield element
        element = element.getparent()


def _under_known_leaf(path: str, fields: dict[str, str]) -> bool:
    """An element inside a mapped leaf (the leaf's text is read, its children ignored)."""
    parts = path.split("/")
    return any("/".join(parts[:i]) in fields for i in range(1, len(parts)))


def _read_footer(element: etree._Element, stream: _Stream, default: TagMap) -> None:
    stream.footer_line = element.sourceline or 0
    values, lines = _leaf_texts(element)
    _warn_unknown_children(values, default.footer_fields, default.footer, lines, stream)
    stream.footer_lines = {
        f: lines.get(t, stream.footer_line) for t, f in default.footer_fields.items()
    }
    stream.footer = {
        field: (values.get(tag) or "").strip() for tag, field in default.footer_fields.items()
    }


def _take_batch(
    columns: list[str], rows: list[tuple], lines: list[int], last: int
) -> pa.Table | None:
    """The batch gathered so far (kept texts in column order; the dossiers ending at
    ordinal `last`) as the Arrow table a writer sends on, the lists emptied for the next
    one; None when there is none."""
    if not rows:
        return None
    first = last - len(rows) + 1
    arrays = [
        pa.array(range(first, last + 1), pa.int64()),
        pa.array(lines, pa.int32()),
        *(pa.array(col, pa.string()) for col in zip(*rows, strict=True)),
    ]
    rows.clear()
    lines.clear()
    return pa.Table.from_arrays(arrays, names=["line_no", "file_line", *columns])


class _Writer:
    """Appends batches of dossiers to a temp table (`pecgm_xml_details`), normalised on the
    way in.

    Python turns a batch into Arrow columns (it holds the GIL for that); DuckDB's INSERT,
    which releases it, then runs in a worker thread while the parser reads the next batch,
    so the two cores work at once. Only one statement is ever in flight on the connection:
    each batch waits for the previous one before it is handed over, and the writers of the
    two halves of a file share one worker (`pool`).
    """

    def __init__(self, con, columns: list[str], table: str = DETAILS, pool=None, depth: int = 1):
        self.con = con
        self.columns = columns
        self.table = table
        self.own_pool = pool is None
        self.pool = pool or ThreadPoolExecutor(max_workers=1, thread_name_prefix="pecgm_xml")
        self.depth = depth  # batches handed over and not yet inserted, at most
        self.pending: deque[Future] = deque()
        self.sql: str | None = None

    def start(self, layout: Layout) -> None:
        """Create the table once the header has named the layout."""
        values = ", ".join(_value_sql(c, layout) for c in self.columns)
        trimmed = ", ".join(_trimmed_sql(c) for c in self.columns)
        self.sql = (
            f"SELECT line_no, 'D' AS rec, NULL::INTEGER AS len, {values}, file_line "
            f"FROM (SELECT line_no, file_line, {trimmed} FROM {{}})"
        )
        empty = pa.table(
            {"line_no": pa.array([], pa.int64()), "file_line": pa.array([], pa.int32())}
            | {c: pa.array([], pa.string()) for c in self.columns}
        )
        self.con.register("_xml_empty", empty)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {self.table} AS {self.sql.replace('{}', '_xml_empty')}"
        )
        self.con.unregister("_xml_empty")

    def flush(self, rows: list[tuple], lines: list[int], last: int) -> None:
        """Hand the batch (kept texts in column order; the dossiers ending at `last`) over."""
        batch = _take_batch(self.columns, rows, lines, last)
        if batch is not None:
            self.submit(batch)

    def submit(self, batch: pa.Table) -> None:
        """Insert an Arrow batch once this writer's previous ones (but `depth` - 1) are in."""
        while len(self.pending) >= self.depth:
            self.pending.popleft().result()
        self.pending.append(self.pool.submit(self._insert, batch))

    def _insert(self, batch: pa.Table) -> None:
        name = f"_xml_batch_{self.table}"
        self.con.register(name, batch)
        try:
            self.con.execute(f"INSERT INTO {self.table} {self.sql.replace('{}', name)}")
        finally:
            self.con.unregister(name)

    def wait(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self.own_pool:
                self.pool.shutdown(wait=True)


def _read_records(
    elements,
    stream: _Stream,
    columns: list[str],
    writer,
    shapes: _Shapes | None = None,
    on_header=None,
) -> None:
    """The loop of a pass (or of one half): header checks, every dossier to `writer`, the
    footer. `shapes` given: the header was read elsewhere (a second half), and meeting one
    here is a double header; `on_header` runs once the header has selected the map."""
    default = next(iter(available_maps().values()))
    rows: list[tuple] = []
    lines: list[int] = []
    record, count = default.record, 0
    plans = shapes.plans if shapes is not None else None
    add_row, add_line = rows.append, lines.append
    for element in elements:
        if element.tag == record:  # the hot path: names looked up once, outside
            if plans is None:
                raise FileRefused(
                    f"{stream.where(element.sourceline or 0)} : en-tête absent "
                    f"(élément « {default.header} » attendu avant le premier dossier)."
                )
            count += 1
            line = element.sourceline or 0
            key, texts = zip(*[(e.tag, e.text) for e in element.iter()], strict=True)
            if texts[0] is not None and not texts[0].isspace():
                texts = (None, *texts[1:])  # text straight inside <dossier>: ignored
            getter = plans.get(key) or shapes.plan(element, key, count, line)
            add_row(getter(texts))
            add_line(line)
            if len(rows) >= BATCH:
                writer.flush(rows, lines, count)
            continue
        stream.dossiers = count
        if element.tag == default.header:
            if shapes is not None:
                raise FileRefused(
                    f"{stream.where(element.sourceline or 0, default.header)} : en-tête en double."
                )
            _read_header(element, stream, default)
            shapes = _Shapes(stream.tags, columns, stream.unknown)
            plans = shapes.plans
            writer.start(stream.layout)
            if on_header is not None:
                on_header()
        else:
            if stream.footer is not None:
                raise FileRefused(
                    f"{stream.where(element.sourceline or 0, default.footer)} : fin en double."
                )
            _read_footer(element, stream, default)
    stream.after_footer = count - stream.dossiers if stream.footer is not None else 0
    stream.dossiers = count
    writer.flush(rows, lines, count)


def _parse(con, facts: FileFacts, report: Report, columns: list[str], options: dict) -> _Stream:
    """Read the file into the raw table: in two halves at once when it is large enough
    (`_parse_halves`), else, or whenever the halves fail, in one pass (`_parse_single`).

    The cyclic garbage collector is paused meanwhile: the pass allocates millions of
    short-lived tuples and none of them forms a cycle, so its collections would only scan
    the batch being built again and again (a quarter of the pass time, measured).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        split = _split_plan(facts)
        if split is not None:
            findings = len(report.findings)
            try:
                return _parse_halves(con, facts, report, columns, options, split)
            except Exception:  # any failure: the single pass says what is wrong, or loads
                del report.findings[findings:]
        return _parse_single(con, facts, report, columns, options)
    finally:
        if collecting:
            gc.enable()


def _parse_single(
    con, facts: FileFacts, report: Report, columns: list[str], options: dict
) -> _Stream:
    """One streaming pass over the whole file."""
    default = next(iter(available_maps().values()))
    stream = _Stream(facts, report, options.get("xml_map"))
    writer = _Writer(con, columns)
    tags = (default.header, default.record, default.footer)
    try:
        _read_records(
            iter_top_level(facts.path, tags, file_name=stream.name), stream, columns, writer
        )
    finally:
        writer.close()
    return stream


# --- Two halves at once --------------------------------------------------------------

SPLIT_THRESHOLD = 64 * 1024 * 1024  # bytes: a smaller file is read in one pass
SPLIT_AT = 0.5  # where the search for the second half's start begins, as a share of the size
SECOND = "_pecgm_xml_second"  # temp table of the second half's dossiers, moved into DETAILS
SECOND_DEPTH = 4  # the second half's batches waiting for DuckDB, at most (~20 MB each)
WORKER = f"{__name__}:second_half_worker"  # what the child process runs on its half


def _split_plan(facts: FileFacts) -> xml_halves.Split | None:
    """Where to cut the file (just after a `</dossier>` near the middle), or None for one
    pass (`xml_halves.split_plan` says when)."""
    default = next(iter(available_maps().values()))
    return xml_halves.split_plan(facts, default.root, default.record, SPLIT_THRESHOLD, SPLIT_AT)


def _parse_halves(
    con, facts: FileFacts, report: Report, columns: list[str], options: dict, split
) -> _Stream:
    """The first half here, the second in a child process (`xml_halves.SecondHalf`), at
    once; the child's dossiers are inserted into `SECOND` as they arrive, then moved after
    the first half's with their ordinals shifted (their lines are the file's already).
    Raises on anything the single pass must redo."""
    default = next(iter(available_maps().values()))
    stream = _Stream(facts, report, options.get("xml_map"))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pecgm_xml")
    writer = _Writer(con, columns, DETAILS, pool)
    # the child's batches may queue: its pipe must not stall it while DuckDB is busy
    second = _Writer(con, columns, SECOND, pool, depth=SECOND_DEPTH)
    half = xml_halves.SecondHalf(facts.path, split, WORKER, second.submit)

    def on_header() -> None:
        second.start(stream.layout)
        half.start(name=stream.name, columns=columns, tags=asdict(stream.tags))

    tags = (default.header, default.record, default.footer)
    try:
        with ByteRange(facts.path, 0, split.offset, suffix=split.suffix) as first:
            elements = iter_top_level_stream(first, tags, stream.name)
            _read_records(elements, stream, columns, writer, on_header=on_header)
        writer.wait()
        if half.process is None:
            raise xml_halves.SplitFallback("no header in the first half")
        summary = half.result()
        second.wait()
        moved = stream.dossiers
        _merge(stream, summary)
        con.execute(
            f"INSERT INTO {DETAILS} SELECT * REPLACE (line_no + {moved} AS line_no) FROM {SECOND}"
        )
    finally:
        half.stop()
        try:
            writer.close()
            second.close()
        finally:
            pool.shutdown(wait=True)
            con.execute(f"DROP TABLE IF EXISTS {SECOND}")
    return stream


def _merge(stream: _Stream, summary: dict) -> None:
    """The second half's findings into the first's, in the whole file's ordinals (its lines
    are the file's already)."""
    before = stream.dossiers
    if summary["footer"] is not None:
        if stream.footer is not None:
            raise xml_halves.SplitFallback("two footers")  # the single pass names the second
        stream.footer = summary["footer"]
        stream.footer_line = summary["footer_line"]
        stream.footer_lines = summary["footer_lines"]
        stream.after_footer = summary["after_footer"]
    elif stream.footer is not None:
        stream.after_footer += summary["dossiers"]
    for path, (ordinal, line) in summary["unknown"].items():  # JSON: [ordinal, line]
        stream.unknown.setdefault(path, (ordinal + before if ordinal else 0, line))
    stream.dossiers = before + summary["dossiers"]


class _PipeSink:
    """The child's writer: each batch as an Arrow table, sent to the parent."""

    def __init__(self, send, columns: list[str]):
        self.send = send
        self.columns = columns

    def flush(self, rows: list[tuple], lines: list[int], last: int) -> None:
        batch = _take_batch(self.columns, rows, lines, last)
        if batch is not None:
            self.send(batch)


@dataclass(frozen=True)
class _Named:
    """What a `_Stream` needs of the file in the child: its name, for messages."""

    file_name: str


def second_half_worker(job: dict, part, send) -> dict:
    """In the child process (`xml_halves.child_main`): read the second half's document
    `part` with the parent's map, `send` each batch, and return what the parent needs to
    finish the whole file's checks (libxml2 gives the file's own line numbers: the half
    starts with as many line ends as the file has before the cut)."""
    default = next(iter(available_maps().values()))
    name, columns = job["name"], job["columns"]
    stream = _Stream(_Named(name), None, None)
    shapes = _Shapes(TagMap(**job["tags"]), columns, stream.unknown)
    tag_names = (default.header, default.record, default.footer)
    elements = iter_top_level_stream(part, tag_names, name)
    _read_records(elements, stream, columns, _PipeSink(send, columns), shapes)
    return {
        "dossiers": stream.dossiers,
        "after_footer": stream.after_footer,
        "footer": stream.footer,
        "footer_line": stream.footer_line,
        "footer_lines": stream.footer_lines,
        "unknown": stream.unknown,
    }


def _check_structure(stream: _Stream, departement: str | None) -> None:
    """Footer against header and count; `--departement` against the file."""
    report, name = stream.report, stream.name
    default = next(iter(available_maps().values()))
    if stream.tags is None:
        stream.blocking(
            "entete_absent",
            f"{name} : en-tête absent (élément « {default.header} » attendu), aucun dossier.",
        )
        return
    footer, line, fl = stream.footer, stream.footer_line, stream.footer_lines
    fin = default.footer
    if footer is None:
        stream.blocking(
            "fin_absente",
            f"{name} : fichier tronqué, l'élément de fin « {fin} » est absent "
            f"({stream.dossiers} dossiers lus).",
        )
    else:
        if stream.after_footer:
            stream.blocking(
                "dossier_apres_fin",
                f"{stream.where(line, fin)} : {stream.after_footer} dossier(s) après la fin.",
                line,
            )
        if footer["departement"] != report.departement:
            stream.blocking(
                "fin_departement",
                f"{stream.where(fl['departement'], f'{fin}/departement')} : "
                "la fin et l'en-tête ne portent pas le même département.",
                line,
                "DEPARTEMENT",
            )
        ref = _parse_date(footer["date_reference"])
        if ref is None or ref.strftime("%Y-%m") != report.month:
            stream.blocking(
                "fin_date_reference",
                f"{stream.where(fl['date_reference'], f'{fin}/date-reference')} : "
                "la fin et l'en-tête ne portent pas le même mois de référence.",
                line,
                "DATE DE REFERENCE",
            )
        count = footer["nb_enregistrements"] or ""
        if not count.isdigit():
            stream.blocking(
                "fin_compte",
                f"{stream.where(fl['nb_enregistrements'], f'{fin}/nb-dossiers')} : nombre absent ou non numérique.",
                line,
                "NB ENREGISTREMENTS TRANSMIS",
            )
        elif int(count) != stream.dossiers:
            stream.blocking(
                "fin_compte",
                f"{stream.where(fl['nb_enregistrements'], f'{fin}/nb-dossiers')} : la fin annonce "
                f"{int(count)} dossiers, le fichier en contient {stream.dossiers}.",
                line,
                "NB ENREGISTREMENTS TRANSMIS",
            )
    if departement and report.departement and departement != report.departement:
        stream.blocking(
            "departement_argument",
            f"{stream.where(stream.header_lines.get('departement', 0), f'{default.header}/departement')} : le fichier "
            f"est celui du département {report.departement}, pas du {departement} demandé.",
            stream.header_line,
            "DEPARTEMENT",
        )


def _unknown_warnings(stream: _Stream) -> None:
    """One warning per element path the map does not know, at its first occurrence."""
    record = next(iter(available_maps().values())).record
    map_name = stream.tags.name if stream.tags else ""
    for path, (ordinal, line) in sorted(stream.unknown.items()):
        if ordinal:
            where = f"{stream.name}, dossier {ordinal} (ligne {line}), élément {record}/{path}"
        else:
            where = stream.where(line, path)
        stream.report.findings.append(
            Finding(
                "element_inconnu",
                f"{where} : élément inconnu de la carte des balises {map_name}, ignoré "
                "(une carte propre au département se donne avec --mapping).",
                AVERTISSEMENT,
                ordinal or line or None,
                path,
            )
        )


BLANKS = "' \t\r\n'"  # what is trimmed off a value, as a SQL literal


def _trimmed_sql(name: str) -> str:
    """The raw text trimmed, NULL when blank. Most values have nothing to trim: their first
    and last characters are looked at first, which costs a third of a trim (measured)."""
    return (
        f"CASE WHEN {name} = '' THEN NULL "
        f"WHEN NOT (contains({BLANKS}, {name}[1]) OR contains({BLANKS}, {name}[-1])) THEN {name} "
        f"ELSE nullif(trim({name}, {BLANKS}), '') END AS {name}"
    )


# A date the XML gives as a year alone or a year and month (« 2020 », « 2020-05 »): the
# dossier is usable (as analyse-flux-insertion counts it), the date is unknown. One warning
# per field (`partial_date_warnings`), never a line error, never also « date invalide ».
PARTIAL_DATE = "'[0-9]{4}(-[0-9]{2})?'"


def _value_sql(name: str, layout: Layout) -> str:
    """The trimmed text (`_trimmed_sql`) as the fixed-width cut gives it: dates as
    SSAAMMJJ (AAAA-MM-JJ converted, zeros = not set, a partial date unknown, flagged in
    `<name>_partielle`); a 15-character NIR loses its key."""
    f = layout.field("D", name)
    if f.type == "date":
        compact = (
            f"CASE WHEN regexp_full_match({name}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"THEN replace({name}, '-', '') "
            f"WHEN regexp_full_match({name}, {PARTIAL_DATE}) THEN NULL ELSE {name} END"
        )
        return (
            f"nullif({compact}, '00000000') AS {name}, "
            f"CASE WHEN regexp_full_match({name}, {PARTIAL_DATE}) THEN 'oui' END "
            f"AS {name}_partielle"
        )
    if name == "nir":
        return f"CASE WHEN length({name}) = 15 THEN left({name}, 13) ELSE {name} END AS {name}"
    return name


def stage(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    report: Report,
    *,
    departement: str | None,
    options: dict,
    kept: list[str],
) -> Layout | None:
    """Read and check the XML file into `pecgm_xml_details`; returns the layout it selects,
    or None when a blocking finding stops the reading (the caller then stops too)."""
    report.record_word = "dossier"
    name = facts.file_name
    default = next(iter(available_maps().values()))
    if facts.size_bytes == 0:
        report.findings.append(Finding("structure", f"{name} : fichier vide."))
        return None
    root = root_tag(facts.path)
    if root is None:
        report.findings.append(
            Finding(
                "xml_mal_forme",
                f"{name} : XML mal formé ou fichier tronqué dès le début ; "
                "le fichier est refusé entier, rien n'est chargé.",
            )
        )
        return None
    if root != default.root:
        report.findings.append(
            Finding(
                "racine",
                f"{name}, ligne 1 : élément racine « {default.root} » attendu ; "
                "ce n'est pas un fichier PECGM XML.",
                line_no=1,
            )
        )
        return None
    try:
        stream = _parse(con, facts, report, kept, options)
    except FileRefused as refused:
        report.findings.append(Finding("structure", str(refused)))
        return None
    report.encoding = _declared_encoding(facts) or report.encoding
    report.lines_read = stream.footer_line  # lines read up to the start of <fin>
    _check_structure(stream, departement)
    _unknown_warnings(stream)
    if stream.layout is None:
        return None
    partial_date_warnings(con, report, stream, kept)
    return stream.layout


def partial_date_warnings(con, report: Report, stream: _Stream, columns: list[str]) -> None:
    """One warning per date field holding partial dates: how many dossiers, the element
    named, the first dossiers located; the dossiers are loaded with that date unknown."""
    layout = stream.layout
    dates = [c for c in columns if layout.field("D", c).type == "date"]
    if not dates:
        return
    counts = con.execute(
        "SELECT "
        + ", ".join(
            f"count({c}_partielle), list(file_line ORDER BY line_no) "
            f"FILTER (WHERE {c}_partielle IS NOT NULL)[1:3]"
            for c in dates
        )
        + f" FROM {DETAILS}"
    ).fetchone()
    paths = stream.tags.paths_of() if stream.tags else {}
    for i, name in enumerate(dates):
        n, lines = counts[2 * i], counts[2 * i + 1] or []
        if not n:
            continue
        element = f"{stream.tags.record if stream.tags else 'dossier'}/{paths.get(name, name)}"
        where = ", ".join(str(line) for line in lines)
        report.findings.append(
            Finding(
                "date_partielle",
                f"{report.file_name}, élément {element} : {n} dossier(s) avec une date "
                f"partielle (année seule, ou année et mois ; lignes {where}"
                f"{'…' if n > len(lines) else ''}) ; la date est gardée comme inconnue, "
                "les dossiers sont chargés.",
                AVERTISSEMENT,
                field=element,
            )
        )


def _declared_encoding(facts: FileFacts) -> str | None:
    """The encoding the XML declaration names (what the parser decoded), as shown to users."""
    with open_bytes(facts.path) as f:
        head = f.read(200)
    if head.startswith(b"\xef\xbb\xbf"):
        return "UTF-8 (BOM)"
    match = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']", head)
    if not match:
        return "UTF-8"
    declared = match.group(1).decode("ascii").upper()
    return {
        "LATIN-1": "ISO-8859-1",
        "ISO8859-1": "ISO-8859-1",
        "CP1252": "Windows-1252",
        "WINDOWS-1252": "Windows-1252",
        "UTF8": "UTF-8",
    }.get(declared, declared)


def locate(con, report: Report) -> None:
    """The line in the file of each dossier the report's messages list (20 per check)."""
    ordinals = sorted({n for c in report.checks for n in c.line_numbers})
    if not ordinals:
        return
    rows = con.execute(
        f"SELECT line_no, file_line FROM {DETAILS} WHERE list_contains(?, line_no)",
        [ordinals],
    ).fetchall()
    report.file_lines.update({int(n): int(line) for n, line in rows if line})
