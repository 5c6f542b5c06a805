"""The one rule for a NIR-shaped value in this repository (fixtures, suites' examples, sample
files): it is synthetic by construction. A NIR's digits 6-7 are the département of birth;
99 means born abroad, and digits 8-10 are then the INSEE country code, whose first digit is
a continent from 1 (Europe) to 5 (Oceania). Country codes 9xx (99900-99999) are never
assigned, so a number with département 99 and country 9xx is never anyone's NIR; the
generator (sample_data/) and every hand-written fixture use that range."""

from __future__ import annotations

import re

SYNTHETIC_NIR = re.compile(r"^[12][0-9]{4}999[0-9]{5}")  # sex, yymm, 99, country 9xx, order
# A run of 13 digits (NIR without key) or 15 (with key) that starts like a NIR.
NIR_SHAPED = re.compile(rb"(?<![0-9])[12][0-9]{12}(?:[0-9]{2})?(?![0-9])")


def is_synthetic_nir(value: str) -> bool:
    return bool(SYNTHETIC_NIR.match(value))
