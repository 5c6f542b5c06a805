"""Statistical masking of small counts (the rule: docs/securite.md#13-masquage-des-petits-effectifs).

One function for every committee view and export: counts from 1 to threshold - 1 are
hidden, and when that leaves a single hidden cell in a distribution, the smallest other
non-zero cell is hidden too (secondary suppression), so the total cannot give it away.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

DEFAULT_THRESHOLD = 11
# Set per dashboard run (dashboard/auth.py): 1 for an analyst who asked for unmasked figures.
_view_threshold: ContextVar[int | None] = ContextVar("seuil_de_la_vue", default=None)


def threshold() -> int:
    """The masking threshold in force: the view's when set, else PILOTAGE_SEUIL_MASQUAGE."""
    view = _view_threshold.get()
    if view is not None:
        return view
    return int(os.environ.get("PILOTAGE_SEUIL_MASQUAGE", DEFAULT_THRESHOLD))


def committee_threshold() -> int:
    """The published threshold, whatever the view (what captions announce)."""
    return int(os.environ.get("PILOTAGE_SEUIL_MASQUAGE", DEFAULT_THRESHOLD))


def set_view_threshold(limit: int | None) -> None:
    _view_threshold.set(limit)


def mask_distribution(counts: dict[str, int], limit: int | None = None) -> dict[str, int | None]:
    """Counts of one distribution (one row or column); None marks a masked cell."""
    limit = threshold() if limit is None else limit
    masked: dict[str, int | None] = {k: (None if 0 < v < limit else v) for k, v in counts.items()}
    hidden = [k for k, v in masked.items() if v is None]
    if len(hidden) == 1:
        candidates = [(v, k) for k, v in masked.items() if v]
        if candidates:
            masked[min(candidates)[1]] = None
    return masked


def masked_label(value: int | None, limit: int | None = None) -> str:
    """What a committee view prints for a masked cell."""
    limit = threshold() if limit is None else limit
    return f"< {limit}" if value is None else f"{value:,}".replace(",", "\u202f")


def share_allowed(denominator: int, limit: int | None = None) -> bool:
    """Shares whose denominator is below the threshold are not shown."""
    limit = threshold() if limit is None else limit
    return denominator >= limit
