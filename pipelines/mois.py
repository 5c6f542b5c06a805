"""Month arithmetic on « YYYY-MM » strings: the one place the product shifts a month (the
retention's cut-off, the arrivals calendar, the indicators' periods, the pages' tiles)."""

from __future__ import annotations


def shift_month(month: str, months: int) -> str:
    """`month` moved by `months` (negative: back), across years: « 2026-01 », -1 -> « 2025-12 »."""
    year, m = map(int, month.split("-"))
    index = year * 12 + m - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
