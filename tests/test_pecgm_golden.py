"""Golden files: every real-world shape of the same PECGM content loads to the same rows."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines import loader
from tests.conftest import GOLDEN, table_rows

FILES = GOLDEN / "pecgm"
EXPECTED = FILES / "expected_rows.json"
ENCODINGS = {
    "good_lf.txt": "ISO-8859-1",
    "crlf.txt": "ISO-8859-1",
    "stripped.txt": "ISO-8859-1",
    "long_lines.txt": "ISO-8859-1",
    "windows1252.txt": "Windows-1252",
    "utf8.txt": "UTF-8",
    "utf8_bom.txt": "UTF-8 (BOM)",
}


def stock_rows(settings) -> list[list]:
    """pecgm_stock rows as text, without load_id (also the XML form's golden rows)."""
    rows = table_rows(settings, "pecgm_stock")
    return [[None if v is None else str(v) for v in row[1:]] for row in rows]  # drop load_id


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_golden_file_loads_to_expected_rows(name: str, settings) -> None:
    outcome = loader.load("pecgm", FILES / name, settings)
    assert outcome.status == "loaded", outcome.message
    assert outcome.report.encoding == ENCODINGS[name]
    assert outcome.rows_loaded == 5 and outcome.report.rows_rejected == 0
    rows = stock_rows(settings)
    if os.environ.get("UPDATE_GOLDEN") and name == "good_lf.txt":
        EXPECTED.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    assert rows == json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_journal_records_encoding_read(settings) -> None:
    loader.load("pecgm", FILES / "windows1252.txt", settings)
    journal = table_rows(settings, "load_journal")
    assert [(r[1], r[7], r[11]) for r in journal] == [("pecgm", "Windows-1252", "loaded")]


def test_expected_rows_hold_what_statistics_need() -> None:
    rows = json.loads(EXPECTED.read_text(encoding="utf-8"))
    first = rows[0]
    # departement, mois, date_reference, line_no, then a 32-hex person key from the NIR
    assert first[:4] == ["2A", "2026-10-01", "2026-10-31", "2"]
    assert len(first[4]) == 32 and first[5] == "NIR"
    ceased = [r for r in rows if r[17] is not None]
    assert [(r[16], r[17]) for r in ceased] == [("2026-10-12", "90")]
    struck = [r for r in rows if r[19] is not None]
    assert [(r[18], r[19], r[20]) for r in struck] == [("2026-10-03", "14", None)]


def test_golden_inputs_are_the_shapes_they_claim() -> None:
    assert b"\r\n" in (FILES / "crlf.txt").read_bytes()
    assert b"\r\n" not in (FILES / "good_lf.txt").read_bytes()
    assert (FILES / "utf8_bom.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Œ".encode("cp1252") in (FILES / "windows1252.txt").read_bytes()
    widths = {len(line) for line in Path(FILES / "stripped.txt").read_text("latin-1").splitlines()}
    assert max(widths) < 1152
