"""What storing the pages' opening reads adds to each write of the warehouse
(pipelines/precalcul.py): prints figures, never fails because a machine is slow.

    python benchmarks/bench_precalcul.py [--db data/pilotage.duckdb] [--repeat 3]

    # the 1M-row département (built by `bench_pages.py --national` on first use)
    python benchmarks/bench_precalcul.py --db data/departement_1m.duckdb

For the warehouse given (read only, nothing written): the reads stored, per read (count,
JSON size, the slowest), and the whole computation as a writer runs it (`compute`: two
reads at a time, the writer's DuckDB limits), wall and CPU time, median of `--repeat`.
The load benchmarks (bench_pecgm.py, bench_caf.py, bench_pecgm_xml.py) time the load
alone (PILOTAGE_PRECALCUL=0), as their earlier figures did: a write costs both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def per_read(db: Path) -> list[tuple[str, int, int, float]]:
    """(read, how many stored, JSON bytes, slowest one in s), each read run alone."""
    from pipelines import precalcul, warehouse

    con = warehouse.open_reader(db)
    found: dict[str, list[tuple[int, float]]] = defaultdict(list)
    try:
        for read, _, key in dict.fromkeys(precalcul.opening_reads(con)):
            start = time.perf_counter()
            text = precalcul.storable(precalcul.READS[read](con, *key)) or ""
            found[read].append((len(text), time.perf_counter() - start))
    finally:
        con.close()
    return [
        (read, len(runs), sum(size for size, _ in runs), max(t for _, t in runs))
        for read, runs in found.items()
    ]


def whole(db: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, rows) of `precalcul.compute` as `refresh` runs it."""
    from pipelines import precalcul, warehouse

    con = warehouse.connect(**warehouse.WRITER_CONFIG)
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(db)])
        con.execute("USE wh")
        start, cpu = time.perf_counter(), time.process_time()
        rows, _ = precalcul.compute(con)
        return time.perf_counter() - start, time.process_time() - cpu, len(rows)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=REPO / "data" / "pilotage.duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"entrepôt introuvable : {args.db} (python -m pipelines demo le construit)")
    print(f"entrepôt : {args.db} ({args.db.stat().st_size // 2**20} Mo)")
    print(f"{'lecture':<20}{'nombre':>8}{'JSON':>12}{'la plus lente':>15}")
    for read, count, size, slowest in per_read(args.db):
        print(f"{read:<20}{count:>8}{size / 1024:>10.0f} Ko{slowest:>14.3f}s")
    runs = [whole(args.db) for _ in range(max(1, args.repeat))]
    wall = statistics.median(w for w, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    print(f"calcul complet (deux à la fois) : {runs[0][2]} résultats, médiane {wall:.2f} s "
          f"(CPU {cpu:.2f} s) sur {len(runs)} exécutions")  # fmt: skip


if __name__ == "__main__":
    main()
