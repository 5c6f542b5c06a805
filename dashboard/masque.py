"""Masking of one figure as a committee view prints it: the one home of the idioms every
view repeated (a single count, a share over a small denominator). Distributions are
masked by `pipelines.masking.mask_distribution`; the threshold is the view's
(`masking.threshold()`) unless a caller (the committee report) passes its own."""

from __future__ import annotations

from pipelines import masking

NOT_AVAILABLE = "n.d."  # what a view prints for a value it cannot give (none, or withheld)


def masked_count(value: int | None, limit: int | None = None) -> int | None:
    """A single count as it may be published: None when it is below the threshold."""
    if value is None:
        return None
    return masking.mask_distribution({"n": value}, limit)["n"]


def count_label(value: int | None, limit: int | None = None) -> str:
    """A single count as printed: '1 234', '< 11' when masked, 'n.d.' when unknown."""
    if value is None:
        return NOT_AVAILABLE
    return masking.masked_label(masked_count(value, limit), limit)


def shown_share(value: float | None, denominator: int | None, limit: int | None = None):
    """A share (or any figure over a population: median, mean), None when its
    denominator is too small to publish it."""
    if not denominator or not masking.share_allowed(denominator, limit):
        return None
    return value


def masked_note(limit: int | None = None) -> str:
    """What a caption says about masking in this view."""
    limit = masking.threshold() if limit is None else limit
    if limit <= 1:
        return " Chiffres non masqués (vue d'analyste, tracée) : ne pas diffuser."
    return f" Effectifs de 1 à {limit - 1} masqués (« < {limit} »)."
