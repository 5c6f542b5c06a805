"""Reading what départements really send: delimited text or Excel, any header spelling.

The CGPEM, LRSA DE, reprise de stock and parcours files have no fixed layout: each source
has a template (`layouts/<source>.yaml`: fields, labels, accepted aliases) and a file's
columns are matched to its fields by normalised header (case, accents, spaces and
punctuation ignored), or through a département's mapping file (`--mapping`, YAML:
"their header: our field"). The file is decoded and split here, in Python, because these
are office exports of at most a few hundred thousand rows and Python gives exact line
numbers and ragged-row detection; the checks and the load then run in DuckDB on the
columns this module builds (`input_columns`, handed to DuckDB by `readers/columns.py`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

import yaml

from pipelines.errors import FileRefused, UsageError
from pipelines.readers.encoding import (
    MB,
    FileFacts,
    TooLarge,
    inflate_limit,
    inspect_file,
    open_bytes,
)
from pipelines.readers.yaml_file import read_yaml
from pipelines.settings import LAYOUTS_DIR

DELIMITERS = (";", ",", "\t")
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
XLSX = "Excel (.xlsx)"


# French articles and prepositions, dropped so that "Date d'entrée RSA", "DATE_ENTREE_RSA"
# and "date de l'entrée rsa" name the same column.
STOP_WORDS = frozenset({"d", "l", "de", "du", "des", "la", "le", "les", "a", "au", "aux", "et"})


def normalise_header(text: str) -> str:
    """'Date d'entrée RSA', 'DATE_ENTREE_RSA', 'date entree rsa' -> 'dateentreersa'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in STOP_WORDS)


@dataclass(frozen=True)
class Column:
    """One field of a tabular template."""

    name: str
    label: str
    type: str  # text | code | date | parcours | decimal
    usage: str  # key | stat | birth | personal | drop (as in the PECGM layout)
    required: bool = False
    width: int | None = None  # codes: numeric codes are left-padded with zeros to this width
    codelist: str | None = None
    not_future: bool = False  # see sources/staging.py: future_flag_sql
    future_days: int = 0
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> set[str]:
        return {normalise_header(s) for s in (self.name, self.label, *self.aliases)}


@dataclass(frozen=True)
class Template:
    source: str
    description: str
    columns: tuple[Column, ...]
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A person appears once per file, or once per value of these fields (`doublon` check).
    unique_with: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@cache
def template(source: str) -> Template:
    """The template of a tabular source, from `layouts/<source>.yaml`."""
    raw = read_yaml(LAYOUTS_DIR / f"{source}.yaml")
    columns = tuple(Column(**{**c, "aliases": tuple(c.get("aliases", ()))}) for c in raw["columns"])
    variants = {k: tuple(v) for k, v in (raw.get("variants") or {}).items()}
    return Template(
        raw["source"],
        raw.get("description", ""),
        columns,
        variants,
        tuple(raw.get("unique_with") or ()),
    )


def read_mapping(path: Path | None) -> dict[str, str]:
    """A département's mapping file: {normalised header: field name}."""
    if path is None:
        return {}
    try:
        raw = read_yaml(path)
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"Fichier de correspondance illisible : {Path(path).name}.") from error
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise UsageError(
            f"{Path(path).name} : le fichier de correspondance doit associer "
            "« en-tête du fichier: champ » sur chaque ligne."
        )
    return {normalise_header(k): v for k, v in raw.items()}


@dataclass
class Table:
    """A file's rows as text, with the line (or sheet row) number of each."""

    headers: list[str]
    rows: list[list[str | None]]
    line_numbers: list[int]
    encoding: str
    delimiter: str | None  # None for Excel
    extra_cells: list[int]  # line numbers of rows longer than the header


def _is_xlsx(facts: FileFacts) -> bool:
    """By content, never by name: a workbook saved as 'export.csv' is still a workbook."""
    with open_bytes(facts.path) as f:
        head = f.read(4)
    return head == b"PK\x03\x04"


def _cell_text(value: object) -> str | None:
    """Excel cells to the text an export would have written (dates ISO, 12.0 -> '12')."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _split_header(numbered):
    """(header, rows, their numbers, numbers of rows longer than the header) from
    (number, cells) pairs: blank rows are skipped, the first other one is the header, whose
    empty trailing cells (Excel's formatted but empty columns) are dropped."""
    header: list[str] | None = None
    rows, numbers, extra = [], [], []
    for number, cells in numbered:
        if not any(cells):
            continue
        if header is None:
            header = [c or "" for c in cells]
            while header and not header[-1]:
                header.pop()
            continue
        rows.append(cells)
        numbers.append(number)
        if any(cells[len(header) :]):
            extra.append(number)
    return header, rows, numbers, extra


# The most text a delimited file or a workbook may hold once decoded or inflated: these
# are office exports of at most a few hundred thousand rows, read whole in memory.
TABULAR_MAX_ENV = "PILOTAGE_MAX_TABLEUR_MO"
TABULAR_MAX_MB = 1024


def tabular_limit() -> int:
    return int(os.environ.get(TABULAR_MAX_ENV) or TABULAR_MAX_MB) * MB


def _read_bounded(facts: FileFacts) -> bytes:
    """The whole (decompressed) file, refused past `tabular_limit()`."""
    limit, total, chunks = tabular_limit(), 0, []
    with open_bytes(facts.path) as f:  # by blocks: read(limit) would allocate the limit
        while total <= limit and (chunk := f.read(8 * MB)):
            total += len(chunk)
            chunks.append(chunk)
    if total > limit:
        raise TooLarge(
            f"{facts.file_name} : plus de {limit // MB} Mo ({TABULAR_MAX_ENV}) : trop grand "
            "pour un fichier tabulaire, refusé ; rien n'est chargé."
        )
    return b"".join(chunks)


def _check_workbook(data: io.BytesIO, name: str) -> None:
    """Refuse a workbook whose parts would inflate too far, from the sizes its zip
    directory declares (Python's zipfile never inflates a part past its declared size, and
    openpyxl reads through it): a shared-strings part of gigabytes is refused before a byte
    of it is inflated."""
    total, limit = 0, tabular_limit()
    with zipfile.ZipFile(data) as archive:
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > inflate_limit(info.compress_size) or total > limit:
                raise TooLarge(
                    f"{name} : classeur dont une partie se décompresse au-delà des limites "
                    f"({info.file_size // MB} Mo pour {info.compress_size // 1024} Ko "
                    f"compressés ; {TABULAR_MAX_ENV}) : refusé, rien n'est chargé (bombe de "
                    "décompression ?)."
                )


CELLS_ENV = "PILOTAGE_MAX_TABLEUR_CELLULES"
MAX_CELLS = 50_000_000  # 1 million rows of 50 columns; a département's export is far less


def _bounded_cells(rows, name: str):
    """(number, cells as text) of the sheet's rows, refused (TooLarge) past `CELLS_ENV`
    cells: a few bytes of XML (a cell in column XFD) may stand for 16,384 cells."""
    limit, seen = int(os.environ.get(CELLS_ENV) or MAX_CELLS), 0
    for number, values in enumerate(rows, start=1):
        seen += len(values)
        if seen > limit:
            shown = f"{limit:,}".replace(",", "\u202f")  # 50 000 000, French style
            raise TooLarge(
                f"{name} : classeur de plus de {shown} cellules ({CELLS_ENV}) : refusé, "
                "rien n'est chargé."
            )
        yield number, [_cell_text(v) for v in values]


def _read_xlsx(facts: FileFacts) -> Table:
    """The first sheet's values: cached results of formulas (never computed), links to
    other workbooks neither loaded nor followed, macros (an .xlsm renamed) never kept."""
    from openpyxl import load_workbook

    data = io.BytesIO(_read_bounded(facts))  # a file object: openpyxl judges a path by its suffix
    try:
        if not zipfile.is_zipfile(data):
            raise zipfile.BadZipFile
        _check_workbook(data, facts.file_name)
        book = load_workbook(data, read_only=True, data_only=True, keep_links=False, keep_vba=False)
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise FileRefused(f"{facts.file_name} : classeur Excel illisible.") from error
    try:
        sheet = book.worksheets[0]
        # The sheet's declared dimension may claim 1,048,576 rows by 16,384 columns for one
        # far cell; openpyxl would pad every row to it. Without it, rows are as written.
        sheet.reset_dimensions()
        numbered = _bounded_cells(sheet.iter_rows(values_only=True), facts.file_name)
        header, rows, numbers, extra = _split_header(numbered)
    finally:
        book.close()
    if header is None:
        raise FileRefused(f"{facts.file_name} : la première feuille du classeur est vide.")
    return Table(header, rows, numbers, XLSX, None, extra)


def _decode(facts: FileFacts) -> tuple[str, str]:
    """The whole text and the encoding name; decoding decides, not a guess."""
    data = _read_bounded(facts)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 (BOM)"
    if data.isascii():
        return data.decode("ascii"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if any(0x80 <= b <= 0x9F for b in set(data)):
        return data.decode("cp1252", errors="replace"), "Windows-1252"
    return data.decode("latin-1"), "ISO-8859-1"


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_delimited(facts: FileFacts) -> Table:
    text, encoding = _decode(facts)
    if "\x00" in text[:4096]:
        raise FileRefused(f"{facts.file_name} : fichier binaire, pas un texte délimité.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered = ((reader.line_num, [c.strip() or None for c in cells]) for cells in reader)
    try:
        header, rows, numbers, extra = _split_header(numbered)
    except csv.Error as error:
        raise FileRefused(
            f"{facts.file_name}, ligne {reader.line_num} : texte délimité illisible ({error})."
        ) from error
    if header is None:
        raise FileRefused(f"{facts.file_name} : fichier vide (aucune ligne d'en-tête).")
    return Table(header, rows, numbers, encoding, delimiter, extra)


def read_table(facts: FileFacts) -> Table:
    """Read a delimited text or .xlsx file; refuse what is neither."""
    if facts.size_bytes == 0:
        raise FileRefused(f"{facts.file_name} : fichier vide.")
    if _is_xlsx(facts):
        return _read_xlsx(facts)
    return _read_delimited(facts)


# What a header is not: a value of a data row (a NIR, a date, an e-mail, a phone number,
# a free text). A first row holding one of these is a data row taken as the header.
_DATA_LIKE = re.compile(r"\d{5}|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|@")
HEADER_MAX_CHARS = 60


def reference_file(path: Path, columns: tuple[str, str]) -> tuple[Table, int, int]:
    """A département's small reference file of two named columns (`code_commune;territoire`,
    `organisme;categorie`), read like the sources' files, and the positions of its two
    columns. A header without either column refuses the file with its name, line 1, the
    header expected and what was read (shown as data only when it looks like data)."""
    try:
        table = read_table(inspect_file(path))
    except FileRefused as refused:
        raise UsageError(str(refused)) from refused
    header = [normalise_header(h) for h in table.headers]
    wanted = [normalise_header(c) for c in columns]
    if not all(w in header for w in wanted):
        absent = not any(w in header for w in wanted)
        like_data = absent or any(looks_like_data(h) for h in table.headers if h)
        received = [describe_column(h, i, like_data) for i, h in enumerate(table.headers) if h]
        raise UsageError(
            f"{path.name}, ligne 1 : en-tête attendu « {';'.join(columns)} »"
            + (", ligne d'en-tête absente" if absent else "")
            + f" (colonnes lues : {', '.join(received[:10]) or 'aucune'})."
        )
    return table, header.index(wanted[0]), header.index(wanted[1])


def looks_like_data(cell: str) -> bool:
    """True for a cell that has the shape of a value (a number, 5 digits in a row, a date,
    an e-mail, a long text)."""
    text = cell.strip()
    return len(text) > HEADER_MAX_CHARS or text.isdigit() or bool(_DATA_LIKE.search(text))


def cell_shape(cell: str) -> str:
    """The shape of a cell, never its content: '13 chiffres', 'date', 'texte de 6 caractères'."""
    text = cell.strip()
    if text.isdigit():
        return f"{len(text)} chiffre" + ("s" if len(text) > 1 else "")
    if re.fullmatch(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", text):
        return "date"
    if "@" in text:
        return f"adresse électronique de {len(text)} caractères"
    if any(c.isdigit() for c in text):
        return f"texte de {len(text)} caractères, chiffres compris"
    return f"texte de {len(text)} caractères"


@dataclass
class Matching:
    """Which file column feeds which template field, and what did not match.

    `ignored` and `duplicates` are already worded for messages: a header is shown as
    written only when the header row looks like headers; when any cell of it looks like a
    value, every unknown column is named by its position and shape ("colonne 1 :
    13 chiffres"), so that a data row taken as the header never reaches a message.
    """

    fields: dict[str, int]  # field name -> column index in the file
    ignored: list[str]  # unknown columns, as they may be shown
    duplicates: dict[str, list[int]]  # field -> the 1-based positions of the columns claiming it

    @property
    def no_header(self) -> bool:
        """No column of the first row is a known header: the file has no header row."""
        return not self.fields


def describe_column(header: str, index: int, like_data: bool) -> str:
    """How an unknown column is named in a message (see `Matching`)."""
    if like_data or looks_like_data(header):
        return f"colonne {index + 1} : {cell_shape(header)}"
    return f"« {header} »"


def match_columns(headers: list[str], tpl: Template, mapping: dict[str, str]) -> Matching:
    """Match file headers to template fields: the mapping file first, then the aliases."""
    by_spelling = {s: c.name for c in tpl.columns for s in c.spellings}
    # A header that names a personal field stays personal, whatever a mapping file says:
    # "Référent: organisme_referent" would otherwise keep people's names.
    personal = {
        s: c.name for c in tpl.columns if c.usage in ("personal", "drop") for s in c.spellings
    }
    names = {c.name for c in tpl.columns}
    like_data = any(looks_like_data(h) for h in headers if h)
    claimed: dict[str, list[int]] = {}
    ignored = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        target = personal.get(key) or mapping.get(key) or by_spelling.get(key)
        if target in names:
            claimed.setdefault(target, []).append(index)
        elif header:
            ignored.append(describe_column(header, index, like_data))
    return Matching(
        fields={f: idx[0] for f, idx in claimed.items()},
        ignored=ignored,
        duplicates={f: [i + 1 for i in idx] for f, idx in claimed.items() if len(idx) > 1},
    )


def input_columns(table: Table, matching: Matching, tpl: Template) -> dict[str, list]:
    """line_no plus one text column per template field (None where the file lacks it).

    Personal fields (names, address, phone, e-mail) are never carried, even into the
    in-memory staging database: only whether they are filled ('renseigne'), which is
    what the mandatory-field checks need.
    """
    columns: dict[str, list] = {"line_no": list(table.line_numbers)}
    extra = set(table.extra_cells)
    for col in tpl.columns:
        index = matching.fields.get(col.name)
        if index is None:
            values: list[str | None] = [None] * len(table.rows)
        else:
            values = [row[index] if index < len(row) else None for row in table.rows]
            if col.usage in ("personal", "drop"):
                values = ["renseigne" if v else None for v in values]
        columns[col.name] = values
        if col.type == "parcours":  # free spelling: matched on its normalised form
            columns[f"{col.name}_norme"] = [normalise_header(v) if v else None for v in values]
    columns["cellules_en_trop"] = ["oui" if n in extra else None for n in table.line_numbers]
    return columns
