"""Every CSV and Excel file the product writes: one place that neutralises formulas.

Exported cells carry text that came from outside: file names, territoire labels, typed
logins, organisation names of an input file. A spreadsheet opens a cell starting with
`=`, `+`, `-` or `@` (and, in some, a tab or carriage return) as a formula, which can
run commands or leak the sheet ("CSV injection"). The rule applied here is OWASP's: such
a text cell is prefixed with a single quote, which spreadsheets show as text and keep
visible. Numbers stay numbers (a negative count is not a formula). The dashboard's
downloads, `indicators --csv`, `report --quarantine` and the journal and audit exports
all write through `csv_text`, `csv_bytes` or `xlsx_bytes`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula, prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and column name neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]], sep: str = ";") -> str:
    """Rows as CSV text (French `;` separator by default, quoting as the csv module does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow([neutralise(str(h)) for h in header])
    writer.writerows([neutralise("" if v is None else v) for v in row] for row in rows)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame, sep: str = ";") -> bytes:
    """A table as CSV for spreadsheets: UTF-8 with BOM (Excel reads accents), `;`."""
    return neutralise_frame(frame).to_csv(index=False, sep=sep).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "donnees") -> bytes:
    """A table as an .xlsx workbook; openpyxl would store a text starting with '=' as a
    formula, so the cells are neutralised first."""
    buffer = io.BytesIO()
    neutralise_frame(frame).to_excel(buffer, index=False, sheet_name=sheet_name)
    return buffer.getvalue()
