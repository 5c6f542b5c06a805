"""The drift tab of the Qualité page: one query for every load (pipelines.journal.drift_rows)
against the former read of each load's stored report, one at a time.

    python benchmarks/bench_qualite.py --db data/pilotage.duckdb --repeat 5

Prints the number of loads read, the drift warnings found by each way (they must be
equal) and the median time of each, on a warehouse opened read-only (it is not changed).
Report the machine's load (`uptime`) beside the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import journal, warehouse


def per_report(con, rows: list[journal.JournalRow]) -> int:
    """The former way: each current or replaced load's report and quarantine, parsed."""
    warnings = 0
    for r in rows:
        if r.status not in ("loaded", "superseded") or not r.month:
            continue
        text = con.execute("SELECT report_json FROM load_journal WHERE id = ?", [r.id]).fetchone()[
            0
        ]
        con.execute("SELECT line_no FROM quarantine WHERE load_id = ?", [r.id]).fetchall()
        report = json.loads(text) if text else {}
        warnings += sum(f["code"] == "derive" for f in report.get("findings", []))
    return warnings


def one_query(con, rows: list[journal.JournalRow]) -> int:
    return sum(len(d.derive) for d in journal.drift_rows(con, [r.id for r in rows]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    con = warehouse.open_reader(args.db)
    rows = journal.recent(con, 1000)  # what the page reads
    print(f"loads in the journal: {len(rows)}")
    for name, way in (("one report per load", per_report), ("one query", one_query)):
        way(con, rows)  # warm the file cache
        times, found = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = way(con, rows)
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        print(f"{name}: {found} drift warning(s), median of {args.repeat} run(s) {median:.1f} ms")
    con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
