"""Rebuild the CGPEM golden files (run by hand: python tests/golden/cgpem/build.py).

The same three synthetic decisions in four real-world shapes: the agreement's headers in UTF-8
with ';', Windows-1252 (œ) with ',', UTF-8 with BOM, tab-separated, other header
spellings in another order, and an Excel workbook with codes typed as numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.test_tabular_sources import VARIANTS  # noqa: E402


def main() -> None:
    for name, write in VARIANTS.items():
        write(HERE / name)


if __name__ == "__main__":
    main()
