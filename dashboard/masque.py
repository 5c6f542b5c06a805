"""Kept for imports not yet moved: the helpers now live in `pipelines/masking.py`."""

from __future__ import annotations

from pipelines.masking import NOT_AVAILABLE, count_label, masked_count, shown_share
from pipelines.masking import masking_note as masked_note

__all__ = ["NOT_AVAILABLE", "count_label", "masked_count", "masked_note", "shown_share"]
