"""Encoding detection and file fingerprint, without reading the file twice in Python.

The agreements say ISO-8859-1, but files saved by office software on Windows arrive as
Windows-1252 (bytes 0x80-0x9F: œ, €, curly quotes) or UTF-8 with a BOM. The readers
verify the guess as they decode (PECGM: `pipelines.readers.fixed_width`, which refuses the C1
bytes 0x80-0x9F in ISO-8859-1 and invalid UTF-8, as DuckDB's own reader does) and retry
with `fallback()`. `decoded_lines` decodes a whole Windows-1252 file in Python.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gzip
import hashlib
import io
import os
import stat
import unicodedata
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from pipelines.errors import FileRefused

_CHUNK = 8 * 1024 * 1024
# Every byte but the C1 range 0x80-0x9F: `block.translate(None, _NOT_C1)` keeps only C1
# bytes, in one C pass (about 10x faster than a regular expression search).
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b <= 0x9F)
UTF8_BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"


# Control, format (bidi overrides), surrogate, private, unassigned; line and paragraph
# separators. Spaces (Zs, the no-break ones of French typography included) are kept.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    if char in "\r\n\t":
        return repr(char)[1:-1]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line with every control, format or separator character escaped
    (CR -> \\r, U+202E -> \\u202e): a file name chosen by whoever drops a file is shown as
    it is, but can neither start a forged log line or mail header, nor reorder what a
    reader sees (bidi overrides). Letters, accents and spaces are kept."""
    return "".join(_escape(c) if unicodedata.category(c) in _HIDDEN else c for c in text)


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
    parts: tuple[FileFacts, ...] = ()  # the files of a multi-file unit (parcours)

    @property
    def file_name(self) -> str:
        if self.parts:
            return " + ".join(p.file_name for p in self.parts)
        return printable(self.path.name)  # whoever dropped the file chose it

    @property
    def sha256(self) -> str:
        return self.digest.result()


_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def open_regular(path: Path) -> BinaryIO:
    """The file at `path`, opened for reading, if it is a regular file reached without
    following a symbolic link; a FileRefused naming it otherwise.

    Why: whoever drops files (the arrivals folder is writable by the sender's account) can
    leave a link to another département's data or to a secret of the service, or swap a
    file for a link between the moment it was looked at and the moment it is read.
    O_NOFOLLOW refuses a link at the time of the open itself; O_NONBLOCK keeps a FIFO from
    blocking the open, and fstat then refuses it like a folder or a device."""
    name = printable(Path(path).name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileRefused(
                f"{name} : {SYMLINK_REASON} ; déposez le fichier lui-même."
            ) from error
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise FileRefused(f"{name} : {SPECIAL_REASON}.")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


SYMLINK_REASON = "lien symbolique, jamais suivi"
SPECIAL_REASON = "pas un fichier ordinaire (dossier, tube, périphérique), jamais lu"


def file_sha256(path: Path) -> str:
    """sha256 of the file's bytes as received (hashlib releases the GIL on large blocks)."""
    digest = hashlib.sha256()
    with open_regular(path) as raw:
        while block := raw.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic number, whatever its name."""
    with open_regular(path) as f:
        return f.read(2) == GZIP_MAGIC


class TooLarge(FileRefused):
    """A compressed file (gzip, a workbook's parts, an archive member) that would inflate
    beyond the limits: a decompression bomb, or a file far larger than any agreed one."""


MB = 1024 * 1024
RATIO_ENV = "PILOTAGE_MAX_RATIO_COMPRESSION"
MAX_ENV = "PILOTAGE_MAX_DECOMPRESSE_MO"
DEFAULT_RATIO = 200  # PECGM, the most compressible file sent, inflates about 25 times
DEFAULT_MAX_MB = 20 * 1024  # a national PECGM is a few GB
FLOOR = 16 * MB  # below this any ratio is harmless


def inflate_limit(compressed_bytes: int) -> int:
    """How many bytes a compressed file of this size may inflate to: `RATIO_ENV` times its
    size (16 MB at least), and never more than `MAX_ENV` MB."""
    ratio = int(os.environ.get(RATIO_ENV) or DEFAULT_RATIO)
    cap = int(os.environ.get(MAX_ENV) or DEFAULT_MAX_MB) * MB
    return min(cap, max(compressed_bytes * ratio, FLOOR))


def too_large_message(name: str, limit: int, compressed_bytes: int) -> str:
    compressed = f"{compressed_bytes // MB} Mo" if compressed_bytes >= MB else "moins de 1 Mo"
    return (
        f"{name} : fichier compressé qui se décompresse au-delà de {limit // MB} Mo pour "
        f"{compressed} compressés (limites {RATIO_ENV}, {MAX_ENV}) : refusé, rien n'est "
        "chargé (bombe de décompression, ou fichier à découper)."
    )


class _Bounded(io.RawIOBase):
    """A decompressing stream that refuses (TooLarge) past `limit` inflated bytes, so that
    memory and time stay bounded whatever the reader behind does with it."""

    def __init__(self, inner: BinaryIO, limit: int, name: str, compressed_bytes: int) -> None:
        self._inner, self._limit, self._total = inner, limit, 0
        self._message = too_large_message(name, limit, compressed_bytes)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._inner.close()
        super().close()

    def readinto(self, buffer) -> int:
        n = self._inner.readinto(buffer)
        self._total += n
        if self._total > self._limit:
            raise TooLarge(self._message)
        return n


@contextlib.contextmanager
def open_bytes(path: Path) -> Iterator[BinaryIO]:
    """Binary reader over the file's content, decompressing gzip transparently.

    A cut or damaged archive fails in the middle of a read, deep in whichever reader
    asked (EOFError, zlib.error): every reader goes through here, so it becomes one
    refusal that names the file, wherever the read happens.
    """
    compressed = is_gzip(path)
    try:
        with open_regular(path) as raw:
            if not compressed:
                yield raw
                return
            size = os.fstat(raw.fileno()).st_size
            bounded = _Bounded(
                gzip.GzipFile(fileobj=raw), inflate_limit(size), printable(path.name), size
            )
            with io.BufferedReader(bounded) as f:  # as GzipFile: no read-ahead past 8 KiB
                yield f
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise FileRefused(damaged_gzip_message(path.name)) from error


def damaged_gzip_message(name: str) -> str:
    return (
        f"{name} : fichier compressé (gzip) tronqué ou endommagé, illisible : "
        "demandez un nouvel envoi."
    )


ZIP_MAGIC = b"PK\x03\x04"
# What a report says of a zip container (an .xlsx workbook, whatever its name), instead of
# the text encoding its compressed bytes would suggest.
ZIP_ENCODING = "binaire (classeur Excel .xlsx ou archive zip)"


def _guess_8bit(block: bytes, last: bool) -> tuple[str, str]:
    """(shown name, DuckDB reader) for the first block holding a byte above 0x7F."""
    try:
        # A sequence cut by the block's end is fine, unless the file ends there.
        codecs.getincrementaldecoder("utf-8")().decode(block, final=last)
        return "UTF-8", "utf-8"
    except UnicodeDecodeError:
        pass
    if block.translate(None, _NOT_C1):
        return "Windows-1252", "latin-1"
    return "ISO-8859-1", "latin-1"


def inspect_file(path: Path) -> FileFacts:
    """Guess the encoding now; hash the file in the background (see `FileFacts.digest`).

    Rules: a UTF-8 BOM means UTF-8; pure ASCII is reported as ISO-8859-1 (the agreed
    encoding, of which ASCII is a subset) and read by DuckDB as UTF-8, which skips the
    Latin-1 transcoding (about 4x faster). Otherwise the first block holding a byte above
    0x7F decides: valid UTF-8 means UTF-8; a byte in 0x80-0x9F (unused in ISO-8859-1) means
    Windows-1252; else ISO-8859-1. The guess is verified by the reader itself, not by a
    second pass in Python: DuckDB refuses invalid UTF-8 and the C1 bytes in Latin-1, and
    the source then retries with `fallback()` (UTF-8 -> ISO-8859-1 -> Windows-1252).
    """
    compressed = is_gzip(path)  # first: refuses a link or a special file (open_regular)
    digest = _HASHER.submit(file_sha256, path)
    size = path.stat().st_size
    bom = False
    name, duck = "ISO-8859-1", "utf-8"
    with open_bytes(path) as f, contextlib.suppress(EOFError, zlib.error, TooLarge):
        # A cut .gz or a bomb ends the guess here; the reader refuses the file, naming it.
        first, markup = True, False
        while block := f.read(_CHUNK):
            if first:
                bom = block.startswith(UTF8_BOM)
                markup = _is_markup(block)
                first = False
                if block.startswith(ZIP_MAGIC):  # a workbook: binary, no text encoding
                    name = ZIP_ENCODING
                    break
            if not block.isascii():  # C speed: an ASCII block costs almost nothing
                name, duck = _guess_8bit(block, last=len(block) < _CHUNK)
                break
            if markup:
                # XML: the parser decodes it as its declaration says, and the report shows
                # the declared encoding; reading on would be a whole pass over a pure-ASCII
                # file (seconds on a national PECGM) before its parse starts.
                break
    if bom:
        name, duck = "UTF-8 (BOM)", "utf-8"
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


def _is_markup(block: bytes) -> bool:
    """A block that starts (after a BOM and blanks) with '<': an XML document."""
    return block.removeprefix(UTF8_BOM).lstrip().startswith(b"<")


def _unit_digest(parts: tuple[FileFacts, ...]) -> str:
    return hashlib.sha256(" ".join(sorted(p.sha256 for p in parts)).encode()).hexdigest()


def unit_facts(paths: list[Path]) -> FileFacts:
    """Facts of several files loaded as one unit: the sha256 of their sorted sha256s (so
    the same files in any order are the same unit), the sum of their sizes."""
    parts = tuple(inspect_file(p) for p in paths)
    return FileFacts(
        path=parts[0].path,
        size_bytes=sum(p.size_bytes for p in parts),
        # FIFO on one worker: the parts' digests, submitted earlier, are done first.
        digest=_HASHER.submit(_unit_digest, parts),
        encoding=", ".join(sorted({p.encoding for p in parts})),
        duckdb_encoding="utf-8",
        bom=False,
        cp1252=False,
        gzip=False,
        parts=parts,
    )


def fallback(facts: FileFacts) -> FileFacts | None:
    """The next encoding to try when the reader refused the guessed one, else None."""
    if facts.duckdb_encoding == "utf-8" and not facts.bom:
        return replace(facts, encoding="ISO-8859-1", duckdb_encoding="latin-1")
    if facts.encoding == "ISO-8859-1" and facts.duckdb_encoding == "latin-1":
        return replace(facts, encoding="Windows-1252", cp1252=True)
    return None


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
