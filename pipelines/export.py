"""Every CSV and Excel file the product writes: one place that neutralises formulas.

Exported cells carry text that came from outside: file names, territoire labels, typed
logins, organisation names of an input file. A spreadsheet opens a cell starting with
`=`, `+`, `-` or `@` (and, in some, a tab or carriage return) as a formula, which can
run commands or leak the sheet ("CSV injection"). The rule applied here is OWASP's: such
a text cell is prefixed with a single quote, which spreadsheets show as text and keep
visible. Numbers stay numbers (a negative count is not a formula). The dashboard's
downloads, `indicators --csv`, `report --quarantine` and the journal and audit exports
all write through `csv_text`, `csv_bytes` or `xlsx_bytes`.

Tables written for a spreadsheet (`csv_bytes`, `xlsx_bytes`) carry numbers as numbers: a
figure the dashboard printed in French (« 1 234 », « 12,5 », « 12,3 % ») is written as
the number it stands for, so that Excel sums and sorts it; a masked cell (« < 11 ») or
« n.d. » stays text. Decimals are rounded to `DECIMALS` places everywhere. The CSV is
for French Excel: `;` between fields, a decimal comma, UTF-8 with a BOM.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DECIMALS = 4  # a share 0,1234 (12,34 %), a mean delay 12,5000 days
NOT_A_FIGURE = re.compile(r"^(<\s*\d+|n\.d\.|)$")  # masked, not available, empty
FRENCH_NUMBER = re.compile(
    r"^-?(0|[1-9]\d{0,2}([ \u202f\u00a0]?\d{3})*)(,\d+)?( ?[\u202f\u00a0]?%)?$"
)


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


def french_number(value: object) -> float | int | None:
    """The number a French-printed figure stands for (« 1 234 » → 1234, « 12,5 » → 12.5,
    « 12,3 % » → 0.123); None for anything else, codes with a leading zero included."""
    if isinstance(value, bool) or not isinstance(value, str):
        return None
    text = value.strip()
    if not FRENCH_NUMBER.match(text):
        return None
    share = text.endswith("%")
    digits = re.sub(r"[ \u202f\u00a0%]", "", text).replace(",", ".")
    number = float(digits) / 100 if share else float(digits)
    if not share and "." not in digits:
        return int(number)
    return round(number, DECIMALS + (2 if share else 0))


def with_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text columns holding only French-printed figures (and
    masked or missing cells) hold numbers, and whose decimals are rounded."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            parsed = values.map(french_number)
            figures = parsed.notna()
            others = values[~figures].map(lambda v: v is None or NOT_A_FIGURE.match(str(v)))
            if figures.any() and others.all():
                out[column] = [
                    p if f else v for p, f, v in zip(parsed, figures, values, strict=True)
                ]
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.round(DECIMALS)
    return out


def _french_decimal(value: object) -> object:
    """A float written with a decimal comma (the CSV's), anything else as it is."""
    if isinstance(value, float) and value == value:
        return f"{round(value, DECIMALS + 2):.{DECIMALS + 2}g}".replace(".", ",")
    return value


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]], sep: str = ";") -> str:
    """Rows as CSV text (French `;` separator by default, quoting as the csv module does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow([neutralise(str(h)) for h in header])
    writer.writerows([neutralise("" if v is None else v) for v in row] for row in rows)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame, sep: str = ";") -> bytes:
    """A table as CSV for French spreadsheets: UTF-8 with BOM (Excel reads accents), `;`
    between fields and a decimal comma; figures as numbers (`with_numbers`)."""
    out = neutralise_frame(with_numbers(frame))
    for column in out.columns:
        if not pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].map(_french_decimal).astype(object)
    return out.to_csv(index=False, sep=sep).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "donnees") -> bytes:
    """A table as an .xlsx workbook; openpyxl would store a text starting with '=' as a
    formula, so the cells are neutralised first."""
    buffer = io.BytesIO()
    neutralise_frame(with_numbers(frame)).to_excel(buffer, index=False, sheet_name=sheet_name)
    return buffer.getvalue()


def file_stem(name: str, departement: str | None, month: str | None) -> str:
    """An export's file name without extension, naming its département and month (a
    download kept in a folder says what it holds): those missing from `name` are added."""
    parts = [name]
    for part in (departement, month):
        if part and part not in name:
            parts.append(part)
    return "_".join(parts)
