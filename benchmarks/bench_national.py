"""National-scale benchmark: load the national sample (all départements, month by month,
one `load --lot` per month) and time it. Prints figures; never fails on a slow machine.

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
    args = parser.parse_args()
    os.environ.setdefault("PILOTAGE_SECRET_KEY", "ab" * 32)
    from pipelines import loader
    from pipelines.settings import Settings

    by_month: dict[str, list[Path]] = defaultdict(list)
    for path in sorted((args.data / "pecgm").glob("PECGM_*")):
        by_month[re.search(r"_(\d{6})", path.name).group(1)].append(path)
    settings = Settings.from_env(args.db)
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


if __name__ == "__main__":
    main()
