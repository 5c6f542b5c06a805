"""Decompression bombs and hostile workbooks (issue #32, item 11): a .gz that inflates far
beyond its size, a workbook whose shared strings inflate to gigabytes, formulas, links to
other workbooks and macros. Refused with a clear French message, or read as values only."""

from __future__ import annotations

import gzip
import http.server
import threading
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest

from pipelines.cli import main
from pipelines.readers import encoding
from pipelines.readers.encoding import MB, inspect_file
from pipelines.readers.tabular import read_table
from pipelines.settings import SAMPLE_DIR

CGPEM = SAMPLE_DIR / "cgpem" / "CGPEM_2A_202610.csv"


def gzip_bomb(path: Path, inflated_mb: int) -> Path:
    """A .gz holding a real CGPEM header then `inflated_mb` MB of the same byte: about a
    thousand times smaller than what it inflates to (a modest bomb, written in chunks)."""
    header = CGPEM.read_bytes().splitlines(keepends=True)[0]
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        block = b"0" * MB
        for _ in range(inflated_mb):
            f.write(block)
    return path


def test_a_gzip_bomb_is_refused_at_the_ratio_limit(tmp_path, capsys) -> None:
    bomb = gzip_bomb(tmp_path / "CGPEM_2A_202610.csv.gz", 200)
    assert bomb.stat().st_size * 500 < 200 * MB  # a bomb indeed
    facts = inspect_file(bomb)  # the guess stops at the limit, without raising
    assert facts.gzip
    capsys.readouterr()
    assert main(["load", "cgpem", str(bomb), "--departement", "2A"]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    limit = encoding.inflate_limit(bomb.stat().st_size) // MB
    assert (
        f"CGPEM_2A_202610.csv.gz : fichier compressé qui se décompresse au-delà de {limit} Mo"
        in text
    ), text
    assert "bombe de décompression" in text


def test_a_gzip_bomb_is_refused_at_the_absolute_limit(tmp_path, monkeypatch, capsys) -> None:
    """The 10 MB .gz that inflates to 10 GB, scaled down: the absolute cap lowered to 8 MB
    stops a 40 MB inflation whatever its ratio."""
    monkeypatch.setenv(encoding.MAX_ENV, "8")
    monkeypatch.setenv(encoding.RATIO_ENV, "100000")
    bomb = gzip_bomb(tmp_path / "CGPEM_2A_202610.csv.gz", 40)
    assert main(["load", "auto", str(bomb), "--departement", "2A"]) != 0
    text = "".join(capsys.readouterr())
    assert "se décompresse au-delà de 8 Mo" in text, text


def test_an_honest_gzip_still_loads(tmp_path) -> None:
    path = tmp_path / "CGPEM_2A_202610.csv.gz"
    path.write_bytes(gzip.compress(CGPEM.read_bytes()))
    assert main(["load", "cgpem", str(path), "--departement", "2A"]) == 0


def _workbook(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _replace_part(
    path: Path, name: str, data: bytes, extra: dict[str, bytes] | None = None
) -> None:
    """Rewrite a workbook with one part replaced (and parts added), deflated."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i) for i in src.infolist()}
    parts[name] = data
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for part, content in parts.items():
            dst.writestr(part, content)


def test_an_xlsx_whose_shared_strings_inflate_too_far_is_refused(tmp_path, capsys) -> None:
    path = _workbook(tmp_path / "CGPEM_2A_202610.xlsx", [["NIR", "Organisme"], ["x", "y"]])
    strings = "xl/sharedStrings.xml"
    with zipfile.ZipFile(path) as z:
        types = z.read("[Content_Types].xml")
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )  # openpyxl finds the shared strings by their content type, and reads them whole
    huge = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>NIR</t></si><si><t>Organisme</t></si><si><t>x</t></si><si><t>"
        + b"A" * (60 * MB)
        + b"</t></si></sst>"
    )
    _replace_part(path, strings, huge, {"[Content_Types].xml": types})
    capsys.readouterr()
    assert main(["load", "cgpem", str(path), "--departement", "2A"]) == 1
    text = "".join(capsys.readouterr())
    assert "classeur dont une partie se décompresse au-delà des limites" in text, text


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


EXTERNAL_LINK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<externalBook r:id="rId1"><sheetNames><sheetName val="Feuil1"/></sheetNames>'
    b'<sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1" t="str"><v>FUITE</v>'
    b"</cell></row></sheetData></sheetDataSet></externalBook></externalLink>"
)


def test_an_xlsm_renamed_with_formulas_and_external_links_gives_values_only(
    tmp_path, recorder
) -> None:
    """Formulas (one that would call a server, one linked to another workbook on a
    server), a macro project and an external link part, the file named .csv: the reader
    keeps the values Excel cached, computes nothing, fetches nothing, runs nothing."""
    path = _workbook(
        tmp_path / "CGPEM_2A_202610.xlsx",
        [
            ["Organisme", "Calcul", "Appel", "Lien"],
            ["Mission locale", "=1+1", f'=WEBSERVICE("{recorder}/appel")', "=[1]Feuil1!A1"],
        ],
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLinkPath" Target="' + f"{recorder}/classeur.xlsx".encode()
        + b'" TargetMode="External"/></Relationships>'
    )  # fmt: skip
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    _replace_part(
        path,
        "xl/worksheets/sheet1.xml",
        sheet,
        {
            "xl/externalLinks/externalLink1.xml": EXTERNAL_LINK,
            "xl/externalLinks/_rels/externalLink1.xml.rels": rels,
            "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 512,
        },
    )
    renamed = path.rename(tmp_path / "export.csv")
    from pipelines.readers.encoding import inspect_file

    table = read_table(inspect_file(renamed))
    assert table.headers == ["Organisme", "Calcul", "Appel", "Lien"]
    assert table.rows == [["Mission locale", None, None, None]]  # no cached value: nothing
    assert _Recorder.hits == []


def test_an_xlsx_whose_far_cells_stand_for_billions_of_cells_is_bounded(
    tmp_path, monkeypatch
) -> None:
    """A few bytes of XML per row (one cell in column XFD, a dimension claiming the whole
    sheet) stand for 16,384 cells each: the declared dimension is ignored, and the cells
    read are counted against PILOTAGE_MAX_TABLEUR_CELLULES (lowered here)."""
    from pipelines.readers import tabular

    path = _workbook(tmp_path / "CGPEM_2A_202610.xlsx", [["Organisme", "Type"]])
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    far = "".join(
        f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(2, 200)
    )
    sheet = sheet.replace("</row></sheetData>", "</row>" + far + "</sheetData>")
    sheet = sheet.replace('<dimension ref="A1:B1"/>', '<dimension ref="A1:XFD1048576"/>')
    _replace_part(path, "xl/worksheets/sheet1.xml", sheet.encode())
    monkeypatch.setenv(tabular.CELLS_ENV, "1000000")  # 198 rows x 16,384 = 3.2 million
    with pytest.raises(encoding.TooLarge, match="classeur de plus de 1\u202f000\u202f000 cellules"):
        read_table(inspect_file(path))
    monkeypatch.setenv(tabular.CELLS_ENV, "10000000")  # enough: read, the dimension ignored
    table = read_table(inspect_file(path))
    assert table.headers == ["Organisme", "Type"] and len(table.extra_cells) == 198
