"""Encoding detection and file fingerprint, in one streaming pass over the bytes.

The agreements say ISO-8859-1, but files saved by office software on Windows arrive as
Windows-1252 (bytes 0x80-0x9F: œ, €, curly quotes) or UTF-8 with a BOM. DuckDB decodes
UTF-8 and Latin-1 natively (its Latin-1 reader refuses the C1 bytes 0x80-0x9F); a
Windows-1252 file is decoded by Python into an Arrow column (`decoded_lines`) that DuckDB
then scans like a file, so the parse itself stays in DuckDB whatever the encoding.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 8 * 1024 * 1024
_C1 = re.compile(rb"[\x80-\x9f]")
UTF8_BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class FileFacts:
    """What the product knows about a file before parsing it."""

    path: Path
    size_bytes: int
    digest: Future[str]  # sha256, computed in a background thread while DuckDB parses
    encoding: str  # the name shown to users and written to the journal
    duckdb_encoding: str  # what DuckDB's reader is told
    bom: bool
    cp1252: bool
    gzip: bool

    @property
    def file_name(self) -> str:
        return self.path.name

    @property
    def sha256(self) -> str:
        return self.digest.result()


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes as received (hashlib releases the GIL on large blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while block := raw.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic number, whatever its name."""
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def open_bytes(path: Path):
    """Binary reader over the file's content, decompressing gzip transparently."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def inspect_file(path: Path) -> FileFacts:
    """Detect the encoding now; hash the file in the background (see `FileFacts.digest`).

    Rules, in order: a UTF-8 BOM means UTF-8; pure ASCII is reported as ISO-8859-1 (the
    agreed encoding, of which ASCII is a subset); bytes above 0x7F that form valid UTF-8
    mean UTF-8; otherwise any byte in 0x80-0x9F (unused in ISO-8859-1) means Windows-1252;
    else ISO-8859-1.
    """
    digest = _HASHER.submit(file_sha256, path)
    size = path.stat().st_size
    compressed = is_gzip(path)
    bom = has_high = has_c1 = False
    utf8_ok = True
    decoder = codecs.getincrementaldecoder("utf-8")()

    def detect(block: bytes, first: bool) -> None:
        nonlocal bom, has_high, has_c1, utf8_ok
        if first:
            bom = block.startswith(UTF8_BOM)
        if block.isascii():  # C speed: the common case costs almost nothing
            return
        has_high = True
        if utf8_ok:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8_ok = False
        if not utf8_ok and not has_c1 and _C1.search(block):
            has_c1 = True

    with open_bytes(path) as f:
        first = True
        while block := f.read(_CHUNK):
            detect(block, first)
            first = False
    if utf8_ok and has_high:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False

    if bom:
        name, duck = "UTF-8 (BOM)", "utf-8"
    elif not has_high:
        name, duck = "ISO-8859-1", "latin-1"
    elif utf8_ok:
        name, duck = "UTF-8", "utf-8"
    elif has_c1:
        name, duck = "Windows-1252", "latin-1"
    else:
        name, duck = "ISO-8859-1", "latin-1"
    return FileFacts(
        path=path,
        size_bytes=size,
        digest=digest,
        encoding=name,
        duckdb_encoding=duck,
        bom=bom,
        cp1252=name == "Windows-1252",
        gzip=compressed,
    )


def decoded_lines(facts: FileFacts) -> list[str | None]:
    """All lines of a file DuckDB cannot decode itself (Windows-1252), decoded in Python.

    Same shape as DuckDB's scan: one item per line, blank lines as None, no trailing empty
    item. Costs about twice the file in memory; such files are small office exports.
    """
    with open_bytes(facts.path) as f:
        text = f.read().decode("cp1252", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] in ("", "\r"):
        lines.pop()
    return [line.rstrip("\r") or None for line in lines]


def read_head(facts: FileFacts, max_bytes: int = 4096) -> str:
    """The first line of the file, decoded, for early structural checks (never logged)."""
    with open_bytes(facts.path) as f:
        head = f.read(max_bytes)
    if facts.bom:
        head = head[len(UTF8_BOM) :]
    codec = (
        "cp1252" if facts.cp1252 else ("utf-8" if facts.duckdb_encoding == "utf-8" else "latin-1")
    )
    text = head.decode(codec, errors="replace")
    return text.splitlines()[0] if text else ""
