"""Masking of small counts and French number formats."""

from __future__ import annotations

from dashboard.formatting import fmt_int, fmt_month, fmt_share
from pipelines import masking


def test_primary_and_secondary_suppression() -> None:
    masked = masking.mask_distribution({"1": 120, "2": 4, "3": 30, "4": 0, "5": 60}, 11)
    assert masked == {"1": 120, "2": None, "3": None, "4": 0, "5": 60}  # 30: smallest other cell


def test_two_small_cells_need_no_secondary() -> None:
    assert masking.mask_distribution({"a": 3, "b": 5, "c": 90}, 11) == {
        "a": None,
        "b": None,
        "c": 90,
    }


def test_nothing_small_nothing_masked() -> None:
    assert masking.mask_distribution({"a": 11, "b": 0}, 11) == {"a": 11, "b": 0}
    assert masking.masked_label(None, 11) == "< 11" and masking.share_allowed(10, 11) is False


def test_french_formats() -> None:
    assert fmt_int(1234567) == "1\u202f234\u202f567"
    assert fmt_share(0.125) == "12,5\u202f%" and fmt_share(None) == "n.d."
    assert fmt_month("2026-10") == "octobre 2026"


def test_one_count_masked_as_committee_views_print_it() -> None:
    from pipelines.masking import count_label, masked_count, shown_share

    assert [count_label(v, 11) for v in (None, 0, 4, 11, 1234)] == [
        "n.d.",
        "0",
        "< 11",
        "11",
        "1\u202f234",
    ]
    assert masked_count(10, 11) is None and masked_count(0, 11) == 0
    assert shown_share(0.5, 10, 11) is None and shown_share(0.5, 11, 11) == 0.5
    assert shown_share(0.5, 0, 1) is None and shown_share(0.5, None, 11) is None
