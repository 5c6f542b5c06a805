"""Encoding detection: one rule each, with valid and invalid examples."""

from __future__ import annotations

import gzip

import pytest

from pipelines.encoding import decoded_lines, inspect_file

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
