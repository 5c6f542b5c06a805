"""Encoding detection: one rule each, with valid and invalid examples."""

from __future__ import annotations

import contextlib
import gzip
import types

import pytest

from pipelines.readers import encoding
from pipelines.readers.encoding import decoded_lines, inspect_file

CASES = [
    (b"EPECGM plain ascii\n", "ISO-8859-1"),
    ("EPECGM H\xe9l\xe8ne\n".encode("latin-1"), "ISO-8859-1"),
    ("EPECGM Hélène œuvre €\n".encode("cp1252"), "Windows-1252"),
    ("EPECGM Hélène œuvre €\n".encode(), "UTF-8"),
    (b"\xef\xbb\xbfEPECGM\n", "UTF-8 (BOM)"),
    (("A" * 9_000_000 + "é").encode("latin-1"), "ISO-8859-1"),  # high byte beyond the first chunk
]


@pytest.mark.parametrize(("content", "expected"), CASES)
def test_detects(tmp_path, content: bytes, expected: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(content)
    facts = inspect_file(path)
    assert facts.encoding == expected
    assert facts.size_bytes == len(content)


def test_gzip_is_read_through(tmp_path) -> None:
    path = tmp_path / "f.txt.gz"
    path.write_bytes(gzip.compress("EPECGM œ€\r\n\r\nD\r\n".encode("cp1252")))
    facts = inspect_file(path)
    assert facts.gzip and facts.encoding == "Windows-1252"
    assert decoded_lines(facts) == ["EPECGM œ€", None, "D"]


def _pecgm_lines(first_names: list[str]) -> list[str]:
    from pipelines.readers.layout import available_layouts
    from sample_data import generate

    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, 2 * len(first_names), 3, ref))[-1]
    people = people[: len(first_names)]
    for person, first in zip(people, first_names, strict=True):
        person.names = ("FICTIF", "", first)
    return generate.pecgm_lines(available_layouts("pecgm")["001,0"], "2A", ref, people)


@pytest.mark.parametrize(
    ("names", "codec", "guessed", "read"),
    [
        # é first (Latin-1 guess), then œ further on: DuckDB's Latin-1 reader refuses 0x9C.
        (["HÉLÈNE", "ALEX", "ALEX", "ŒUVRE"], "cp1252", "ISO-8859-1", "Windows-1252"),
        # valid UTF-8 first (UTF-8 guess), then a lone Latin-1 byte further on. (Lower case:
        # UTF-8 upper-case accents hold bytes 0x80-0x9F, which would end in Windows-1252.)
        (["hélène", "ALEX", "ALEX", "JOSÉ"], None, "UTF-8", "ISO-8859-1"),
    ],
)
def test_reader_refusal_falls_back_to_the_next_encoding(
    tmp_path, monkeypatch, names, codec, guessed, read
) -> None:
    """The guess comes from the first block holding a high byte; the reader verifies it."""
    import duckdb

    from pipelines.readers import encoding
    from pipelines.sources import pecgm

    lines = _pecgm_lines(names)
    if codec:
        data = "\n".join(lines).encode(codec) + b"\n"
    else:  # the first detail line in UTF-8, the rest in Latin-1
        data = (lines[0] + "\n" + lines[1] + "\n").encode() + ("\n".join(lines[2:]) + "\n").encode(
            "latin-1"
        )
    path = tmp_path / "PECGM_2A_202610.txt"
    path.write_bytes(data)
    monkeypatch.setattr(encoding, "_CHUNK", 4000)  # about three lines per block
    assert encoding.inspect_file(path).encoding == guessed

    con = duckdb.connect()
    report = pecgm.stage(con, encoding.inspect_file(path))
    assert report.encoding == read
    # A mixed file is read in the encoding that decodes every byte; a line in the other one
    # may then fail a line check, but the structure (header, footer, counts) holds.
    assert [f.code for f in report.blocking if f.code != "seuil_rejets"] == []
    assert report.rows_read == len(names)


@pytest.mark.parametrize(
    ("name", "head", "whole"),
    [("dossiers.xml", b'<?xml version="1.0"?>\n<racine>\n', False), ("lignes.csv", b"a;b\n", True)],
)
def test_the_guess_reads_an_xml_file_no_further_than_its_first_block(
    tmp_path, monkeypatch, name, head, whole
) -> None:
    """An XML file is decoded as its declaration says: the guess stops after one block
    instead of reading a pure-ASCII file to its end (a pass over the whole file before
    its parse); a delimited file is still read on until a byte above 0x7F, or its end."""
    monkeypatch.setattr(encoding, "_CHUNK", 1024)
    path = tmp_path / name
    path.write_bytes(head + b"<l>ligne</l>\n" * 2000)
    reads: list[int] = []
    real = encoding.open_bytes

    @contextlib.contextmanager
    def counted(p):
        with real(p) as f:
            read = f.read
            f_read = lambda n=-1: reads.append(len(data := read(n))) or data  # noqa: E731
            yield types.SimpleNamespace(read=f_read)

    monkeypatch.setattr(encoding, "open_bytes", counted)
    inspect_file(path).digest.result()
    assert (sum(reads) == path.stat().st_size) is whole, sum(reads)
    assert sum(reads) >= 1024
