"""Exports read by French Excel (issue 31): figures as numbers (not text), the same
decimals everywhere, a decimal comma in the CSV, masked cells kept as text, codes with a
leading zero kept as codes, and the file named after its département and month."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from dashboard.formatting import fmt_decimal, fmt_int, fmt_share
from pipelines import export

FRAME = pd.DataFrame(
    {
        "code": ["01", "02", "non_renseigne"],
        "effectif": [fmt_int(1234), "< 11", fmt_int(35)],
        "part": [0.123456789, 0.5, None],
        "taux": [fmt_share(0.123), "n.d.", fmt_share(0.04)],
    }
)


def test_xlsx_cells_are_numbers_and_masked_cells_text() -> None:
    sheet = load_workbook(io.BytesIO(export.xlsx_bytes(FRAME))).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["01", 1234, 0.1235, 0.123]
    assert rows[1] == ["02", "< 11", 0.5, "n.d."]


def test_csv_has_a_decimal_comma_and_numbers_without_separators() -> None:
    text = export.csv_bytes(FRAME).decode("utf-8-sig").splitlines()
    assert text[0] == "code;effectif;part;taux"
    assert text[1] == "01;1234;0,1235;0,123"
    assert text[2] == "02;< 11;0,5;n.d."


@given(st.integers(min_value=0, max_value=10**9))
def test_a_printed_count_reads_back(value: int) -> None:
    assert export.french_number(fmt_int(value)) == value


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_a_printed_share_reads_back_to_its_decimals(value: float) -> None:
    assert abs(export.french_number(fmt_share(value)) - value) <= 0.0005 + 1e-12


def test_decimals_are_rounded_the_same_everywhere() -> None:
    frame = pd.DataFrame({"delai": [12.123456, 3.0], "texte": [fmt_decimal(2.25, 2), "n.d."]})
    out = export.with_numbers(frame)
    assert list(out["delai"]) == [12.1235, 3.0] and list(out["texte"]) == [2.25, "n.d."]


def test_the_file_name_says_departement_and_month() -> None:
    assert export.file_stem("delai_orientation_2A", "2A", "2026-03") == (
        "delai_orientation_2A_2026-03"
    )
    assert export.file_stem("categorie_2A_2026-06", "2A", "2026-06") == "categorie_2A_2026-06"
    assert export.file_stem("journal_chargements", None, None) == "journal_chargements"
