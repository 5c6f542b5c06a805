"""The vectorised cut gives, field for field, what a plain Python cut of each line gives.

Lines are random (blanks, accents, characters beyond Latin-1, short, long and empty lines),
written in each encoding the reader accepts, with LF or CRLF, and read in batches so small
that lines straddle them: the reference is the cut's definition, written per line.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.readers.encoding import inspect_file
from pipelines.readers.fixed_width import FieldCut, Scan, UndecodableBytes, read_batches

WIDTH = 24
CUTS = [
    FieldCut("code", 1, 3, fixed=True),
    FieldCut("date", 4, 8, fixed=True, zeros_null=True),
    FieldCut("label", 12, 7),
    FieldCut("tail", 19, 5),
]
READERS = {  # encoding -> (facts: shown name, DuckDB's reader, Windows-1252)
    "latin-1": ("ISO-8859-1", "latin-1", False),
    "cp1252": ("Windows-1252", "latin-1", True),
    "utf-8": ("UTF-8", "utf-8", False),
}
ALPHABET = {
    "latin-1": "AB0 19éÉ",
    "cp1252": "AB0 19éŒ€",
    "utf-8": "AB0 19éŒ€",
}


def _reference(line: str, cut: FieldCut) -> str | None:
    """The cut's definition: see `FieldCut`."""
    value = line[cut.offset : cut.offset + cut.width]
    if not cut.fixed:
        value = value.strip(" ")
    if value in ("", " " * cut.width) or (cut.zeros_null and value == "0" * cut.width):
        return None
    return value


def _length(line: str) -> int | None:
    if not line:
        return None
    return len(line) if len(line) >= WIDTH else len(line.rstrip(" "))


def _read(path: Path, encoding: str, bom: bool = False, batch_bytes: int = 64):
    shown, reader, cp1252 = READERS[encoding]
    facts = replace(
        inspect_file(path), encoding=shown, duckdb_encoding=reader, cp1252=cp1252, bom=bom
    )
    scan = Scan(detail_type="D")
    rows = []
    for batch in read_batches(facts, CUTS, WIDTH, scan, batch_bytes=batch_bytes):
        rows += batch.to_pylist()
    return rows, scan


LINES = st.sampled_from(list(READERS)).flatmap(
    lambda enc: st.tuples(
        st.just(enc),
        st.lists(st.text(alphabet=ALPHABET[enc], max_size=40), min_size=1, max_size=12),
    )
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=LINES, newline=st.sampled_from(["\n", "\r\n"]), final=st.booleans(), bom=st.booleans())
def test_cut_matches_the_definition(tmp_path_factory, case, newline, final, bom) -> None:
    encoding, lines = case
    bom = bom and encoding == "utf-8"
    data = newline.join(lines) + (newline if final else "")
    path = tmp_path_factory.mktemp("fw") / "f.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding))
    rows, scan = _read(path, encoding, bom)
    expected = data.split(newline)
    if final or expected[-1] == "":
        expected = expected[:-1] if expected and expected[-1] == "" else expected
    assert [r["line_no"] for r in rows] == list(range(1, len(expected) + 1))
    assert scan.lines == len(expected)
    for row, line in zip(rows, expected, strict=True):
        assert row["len"] == _length(line)
        assert row["rec"] == (line[0] if _length(line) else "")
        for cut in CUTS:
            assert row[cut.name] == _reference(line, cut), cut.name
    filled = [i for i, line in enumerate(expected, 1) if line]
    assert scan.last_line_no == (filled[-1] if filled else 0)


def test_gzip_and_a_line_longer_than_a_batch(tmp_path) -> None:
    lines = ["D" + "x" * 500 + "é", "", "DAB 20260101LIBELLEQUEUE"]
    path = tmp_path / "f.txt.gz"
    path.write_bytes(gzip.compress(("\r\n".join(lines) + "\r\n").encode("latin-1")))
    rows, scan = _read(path, "latin-1", batch_bytes=64)
    assert [r["code"] for r in rows] == ["xxx", None, "AB "]
    assert [r["label"] for r in rows] == ["xxxxxxx", None, "LIBELLE"]
    assert [r["date"] for r in rows] == ["xxxxxxxx", None, "20260101"]
    assert scan.lines == 3 and scan.last_text is None  # the last line is a D record


@pytest.mark.parametrize(
    ("data", "encoding"),
    [(b"DAB\xc3(\n", "utf-8"), (b"DAB\x9c\n", "latin-1")],  # invalid UTF-8; a C1 byte
)
def test_bytes_outside_the_encoding_are_refused(tmp_path, data, encoding) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    with pytest.raises(UndecodableBytes):
        _read(path, encoding)
