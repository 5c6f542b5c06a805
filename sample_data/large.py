"""A one-département warehouse of about a million detail rows (issue 31's « 1M-row
département »), for `benchmarks/bench_pages.py --national`: the demo's generator with a
larger population over 24 months, loaded through the real pipelines as the demo is
(`demo.build_demo` over the generated files, with the sample's territoires and organismes).

The demo's own files are not touched: they are written to a temporary folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipelines.settings import SAMPLE_DIR, Settings
from sample_data.demo import SAMPLE_DEPARTEMENT, build_demo
from sample_data.generate import generate, month_end

PERSONS = 20_000  # with 24 months: 944 362 rows in the warehouse (the demo: 130 000)
MONTHS = 24
LAST_MONTH = "2026-10"  # the demo's last month
SEED = 20261
DECLARED = ("territoires", "organismes")  # what a département declares, copied from the demo


def build_large(
    db: Path,
    persons: int = PERSONS,
    months: int = MONTHS,
    echo: Callable[[str], None] = print,
) -> int:
    """Generate the files of `persons` people of the demo's département over `months`
    months, then rebuild the warehouse `db` from them (as `pipelines demo` does); returns
    the number of files loaded."""
    year, month = map(int, LAST_MONTH.split("-"))
    with tempfile.TemporaryDirectory(prefix="pilotage_1m_") as tmp:
        root = Path(tmp)
        echo(f"Génération de {persons} personnes sur {months} mois dans {root}…")
        generate(SAMPLE_DEPARTEMENT, months, persons, SEED, root, month_end(year, month),
                 compress=True)  # fmt: skip
        for folder in DECLARED:
            shutil.copytree(SAMPLE_DIR / folder, root / folder, dirs_exist_ok=True)
        return build_demo(Settings.from_env(db), echo=echo, root=root)


def detail_rows(db: Path) -> int:
    """The rows of the warehouse's detail tables (what « 1M rows » counts)."""
    from pipelines import warehouse

    con = warehouse.open_reader(db)
    tables = [t for (t,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_type = 'BASE TABLE'").fetchall()]  # fmt: skip
    return sum(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "data/departement_1m.duckdb")
    build_large(target)
    print(f"{detail_rows(target)} lignes dans {target}")
