"""The cost of one masking decision over the territoires (`masking_grids.crossed_hidden`): what
a page pays once per month, family and warehouse generation (then cached,
`dashboard/views/partition.py`).

    python benchmarks/bench_masking_grid.py --db data/pilotage.duckdb --departement 2A \\
        --month 2026-06 --seuil 11 30 --repeat 3
    python benchmarks/bench_masking_grid.py --synthetique 120 --seuil 11 30

For each family of `masking_grids.GRIDS` and each threshold, the median time of a decision
on the warehouse's partition and on « each commune a territoire » (no territoires file),
and for the inscrits the same decision without the communes of residence (what adding
them costs). `--synthetique N`: a département of N communes of random inscrits (seeded),
each its own territoire, the worst case of the communes' family. The figures read from
the warehouse are read once, outside the timing. Report `uptime` beside the figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import indicators, masking_grids, territoires, warehouse


def timed(family: str, whole: dict, parts: dict, limit: int, repeat: int) -> tuple[float, int]:
    """Median seconds of one decision, and how many cells it hides."""
    times, hidden = [], set()
    for _ in range(repeat):
        start = time.perf_counter()
        hidden = masking_grids.crossed_hidden(family, whole, parts, limit)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(hidden)


def without_communes(family: str, whole: dict, parts: dict, limit: int, repeat: int):
    """The inscrits' decision as it was before the communes of residence joined it."""
    saved = masking_grids.STOCK_GRIDS.pop("commune")
    try:
        return timed(family, whole, parts, limit, repeat)
    finally:
        masking_grids.STOCK_GRIDS["commune"] = saved


def report(label: str, family: str, whole: dict, parts: dict, limits, repeat: int) -> None:
    for limit in limits:
        seconds, n = timed(family, whole, parts, limit, repeat)
        line = f"{label:<28} {family:<13} seuil {limit:>3} : {seconds * 1000:8.1f} ms, {n} cases"
        if family == "stock":
            before, _ = without_communes(family, whole, parts, limit, repeat)
            line += f" (sans les communes : {before * 1000:.1f} ms)"
        print(line, flush=True)


def synthetic(n: int, seed: int = 1) -> tuple[dict, dict]:
    """N communes, each a territoire, with few inscrits each (many below the threshold)."""
    rng = random.Random(seed)
    parts = {}
    for i in range(n):
        count = rng.choice([rng.randint(1, 12), rng.randint(5, 60), rng.randint(20, 400)])
        categories = {"01": count // 2, "02": count - count // 2}
        parts[f"C{i:03d}"] = {"commune": {f"C{i:03d}": count}, "categorie": categories}
    whole = {
        "commune": {c: p["commune"][c] for c, p in parts.items()},
        "categorie": {k: sum(p["categorie"][k] for p in parts.values()) for k in ("01", "02")},
    }
    return whole, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--month", default="2026-06")
    parser.add_argument("--seuil", type=int, nargs="+", default=[11, 30])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetique", type=int, default=0)
    args = parser.parse_args()
    if args.synthetique:
        whole, parts = synthetic(args.synthetique)
        label = f"synthétique, {args.synthetique} communes"
        report(label, "stock", whole, parts, args.seuil, args.repeat)
        return
    con = warehouse.connect(str(args.db), access_mode="READ_ONLY")
    dep, month = args.departement, args.month
    known = territoires.communes_par_territoire(con, dep)
    communes = sorted(indicators.stock(con, dep, month)["commune"])
    for label, partition in (
        (f"{len(known)} territoires", known),
        (f"{len(communes)} communes-territoires", {c: (c,) for c in communes}),
    ):
        for family in masking_grids.GRIDS:
            read = getattr(indicators, family)
            whole = read(con, dep, month)
            parts = {t: read(con, dep, month, cs) for t, cs in partition.items()}
            report(label, family, whole, parts, args.seuil, args.repeat)


if __name__ == "__main__":
    main()
