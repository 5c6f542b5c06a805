"""National-scale benchmark: load the national sample (all départements, month by month,
one `load --lot` per month), then every département's extracts (reprise de stock, CGPEM,
parcours: one lot per source), and time it. Prints figures; never fails on a slow machine.

    python -m sample_data.generate --scale national --out /tmp/national     # about 29 GB
    python benchmarks/bench_national.py --data /tmp/national --db /tmp/national.duckdb
    python benchmarks/bench_pages.py --db /tmp/national.duckdb --departement 59

Then `bench_pages.py` gives the page and query times on that warehouse.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument(
        "--formats",
        default="pecgm,departement",
        help="pecgm (month by month), departement (each département's extracts), or both",
    )
    args = parser.parse_args()
    formats = {f.strip() for f in args.formats.split(",")}
    os.environ.setdefault("PILOTAGE_SECRET_KEY", "ab" * 32)
    from pipelines import loader
    from pipelines.settings import Settings

    settings = Settings.from_env(args.db)
    if "pecgm" in formats:
        load_pecgm(args, settings, loader)
    if "departement" in formats:
        load_extracts(args, settings, loader)


def load_pecgm(args, settings, loader) -> None:
    by_month: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((args.data / "pecgm").glob("PECGM_*")):
        by_month[re.search(r"_(\d{6})", path.name).group(1)].append(path)
    total_rows, total_bytes, started = 0, 0, time.perf_counter()
    print(f"{'month':8s} {'files':>6s} {'rows':>10s} {'seconds':>8s} {'warehouse MB':>13s}")
    for month, paths in sorted(by_month.items()):
        start = time.perf_counter()
        outcomes = loader.load_batch("pecgm", paths, settings)
        seconds = time.perf_counter() - start
        rows = sum(o.rows_loaded for o in outcomes)
        total_rows += rows
        total_bytes += sum(p.stat().st_size for p in paths)
        refused = [o.message for o in outcomes if o.status != "loaded"]
        print(
            f"{month:8s} {len(paths):6d} {rows:10,d} {seconds:8.1f} {args.db.stat().st_size / 1e6:13.0f}"
            + (f"  refused: {len(refused)}" if refused else "")
        )
    elapsed = time.perf_counter() - started
    print(
        f"total: {total_rows:,} rows, {total_bytes / 1e9:.1f} GB of files in {elapsed / 60:.1f} min "
        f"({total_bytes / 1e6 / elapsed:.0f} MB/s), warehouse {args.db.stat().st_size / 1e6:.0f} MB, "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


def _departement(path: Path) -> str:
    return re.search(r"_(2A|2B|\d{2,3})[_.]", path.name).group(1)


def load_extracts(args, settings, loader) -> None:
    """Each département's reprise de stock, CGPEM extract and parcours files: one lot per
    source, each file with its own département."""
    print(f"{'source':9s} {'units':>6s} {'rows':>10s} {'seconds':>8s} {'warehouse MB':>13s}")
    parcours: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((args.data / "parcours").glob("PARCOURS_*.csv")):
        parcours[_departement(path)].append(path)
    lots = {
        "stock": sorted((args.data / "stock").glob("REPRISE_STOCK_*.csv")),
        "cgpem": sorted((args.data / "cgpem").glob("CGPEM_*.csv")),
        "parcours": [sorted(unit) for unit in parcours.values()],
    }
    for source, units in lots.items():
        deps = [_departement(u[0] if isinstance(u, list) else u) for u in units]
        start = time.perf_counter()
        outcomes = loader.load_batch(source, units, settings, departements=deps)
        seconds = time.perf_counter() - start
        refused = [o.message for o in outcomes if o.status != "loaded"]
        rates = [o.report.liaison["taux"] for o in outcomes if o.report and o.report.liaison]
        print(
            f"{source:9s} {len(units):6d} {sum(o.rows_loaded for o in outcomes):10,d} "
            f"{seconds:8.1f} {args.db.stat().st_size / 1e6:13.0f}"
            + (f"  link rate {min(rates):.1%}–{max(rates):.1%}" if rates else "")
            + (f"  refused: {len(refused)}" if refused else "")
        )
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
