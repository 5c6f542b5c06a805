"""Streaming XML reading, hardened for files that come from outside.

The XML sources (PECGM `fichier-PE-CG`, CAF/MSA flux bénéficiaires) are large files sent
by partners: they are read as a stream (memory flat in the file size) by lxml, with no DTD
loaded, no entity expanded and no network access. A document that declares entities in an
internal DTD subset (billion laughs, external entities) is refused before any element is
read; a bare DOCTYPE naming an external DTD is ignored, never fetched.

Messages name the file and the line, never a value: lxml's own error text can quote the
document (a tag cut in the middle of a name, an entity name), so it is not passed on.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree

from pipelines.errors import FileRefused
from pipelines.readers.encoding import open_bytes

# What every reader of a partner's XML file gets: nothing outside the file is ever read.
PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _refuse_declared_entities(file_name: str, root: etree._Element) -> None:
    """Refuse a document whose internal DTD subset declares anything (entities, elements).

    Entities are never expanded (`resolve_entities=False`), but a file that declares them
    is not a partner's flux: it is refused whole rather than read with holes in it.
    """
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is None:
        return
    if any(True for _ in dtd.iterentities()) or any(True for _ in dtd.iterelements()):
        raise FileRefused(
            f"{file_name} : le document déclare des entités ou une DTD interne (<!DOCTYPE … [ … ]>) ; "
            "refusé par sécurité (aucune entité n'est développée ni aucune ressource extérieure lue)."
        )


def _syntax_message(file_name: str, error: etree.XMLSyntaxError) -> str:
    line = error.lineno or (error.position[0] if error.position else None)
    where = f" (ligne {line})" if line else ""
    return (
        f"{file_name} : XML mal formé ou fichier tronqué{where} ; "
        "le fichier est refusé entier, rien n'est chargé."
    )


def iter_elements(
    path: Path, tag: str | tuple[str, ...], *, file_name: str | None = None
) -> Iterator[etree._Element]:
    """Yield each complete element named `tag` (or one of the names), in document order.

    The element is cleared once the caller moves on, and the siblings already read are
    dropped from the tree, so memory holds one element at a time. The root element is
    reachable through `element.getparent()` while the stream runs; header and footer
    elements are yielded like any other when their names are asked for. Gzip is read
    transparently; the encoding comes from the XML declaration (UTF-8 without one).
    """
    name = file_name or path.name
    with open_bytes(path) as stream:
        yield from _iter_stream(stream, tag, name)


def _iter_stream(
    stream: IO[bytes], tag: str | tuple[str, ...], file_name: str
) -> Iterator[etree._Element]:
    tags = (tag,) if isinstance(tag, str) else tag
    context = etree.iterparse(stream, events=("start", "end"), **PARSER_OPTIONS)
    for event, element in _checked_events(context, file_name):
        if event != "end" or element.tag not in tags:
            continue
        yield element
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]


def iter_top_level(
    path: Path, tags: tuple[str, ...], *, file_name: str | None = None
) -> Iterator[etree._Element]:
    """Yield each complete child of the root element named in `tags`, in document order.

    The large-file reader: lxml filters the events by name in C (no Python work for the
    fields inside a record), an element with one of these names nested deeper is left
    whole inside its record, and each record is cleared and dropped once the caller moves
    on, so memory holds one record at a time. Same safety and messages as `iter_elements`.
    """
    name = file_name or path.name
    with open_bytes(path) as stream:
        yield from iter_top_level_stream(stream, tags, name)


def iter_top_level_stream(
    stream: IO[bytes], tags: tuple[str, ...], file_name: str
) -> Iterator[etree._Element]:
    """`iter_top_level` over an open binary reader (a `ByteRange` for part of a file)."""
    context = etree.iterparse(stream, events=("end",), tag=tags, **PARSER_OPTIONS)
    for _event, element in _checked_events(context, file_name):
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # the root itself, or a same-named element inside a record
        yield element
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del parent[0]


class ByteRange:
    """A binary reader over `prefix` + the bytes [start, end) of a file + `suffix`.

    How a large file is parsed in parts: each part is a document of its own (the file's
    XML declaration and root start tag before it, the root's end tag after it), read from
    the file in chunks as the parser asks, so memory stays flat whatever the part's size.
    """

    def __init__(self, path: Path, start: int, end: int, prefix: bytes = b"", suffix: bytes = b""):
        self._file = path.open("rb")
        self._file.seek(start)
        self._left = end - start
        self._prefix = memoryview(prefix)
        self._suffix = memoryview(suffix)

    def read(self, size: int = -1) -> bytes:
        size = size if size is not None and size > 0 else 1 << 20
        if self._prefix:
            head, self._prefix = self._prefix[:size], self._prefix[size:]
            return bytes(head)
        if self._left > 0:
            data = self._file.read(min(size, self._left))
            if data:
                self._left -= len(data)
                return data
            self._left = 0  # the file is shorter than announced: the parser sees a cut
        tail, self._suffix = self._suffix[:size], self._suffix[size:]
        return bytes(tail)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ByteRange:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _checked_events(
    context: etree.iterparse, file_name: str
) -> Iterator[tuple[str, etree._Element]]:
    """The parser's events, with the safety every reader shares (one home for it).

    A document that declares entities is refused at its first event, or at the end when a
    tag filter let no event through; a syntax error or a cut gzip archive becomes a
    `FileRefused` naming the file and line, never lxml's text (it can quote the document).
    """
    checked = False
    try:
        for event, element in context:
            if not checked:
                _refuse_declared_entities(file_name, element)
                checked = True
            yield event, element
        if not checked and context.root is not None:
            _refuse_declared_entities(file_name, context.root)
    except etree.XMLSyntaxError as error:
        raise FileRefused(_syntax_message(file_name, error)) from None
    except (EOFError, zlib.error, OSError) as error:  # a cut or corrupt .gz
        raise FileRefused(_gzip_message(file_name, error)) from None


def _gzip_message(file_name: str, error: BaseException) -> str:
    return (
        f"{file_name} : archive gzip tronquée ou illisible ({type(error).__name__}) ; "
        "le fichier est refusé entier, rien n'est chargé."
    )


def root_tag(path: Path) -> str | None:
    """Name of the root element, for source detection; None when the file is not XML.

    Reads only the file's first bytes: used by `auto` to tell XML sources apart.
    """
    try:
        with open_bytes(path) as stream:
            for _event, element in etree.iterparse(stream, events=("start",), **PARSER_OPTIONS):
                return str(element.tag)
    except (etree.XMLSyntaxError, EOFError, zlib.error, OSError):
        return None
    return None
