"""Committee report generation time: prints figures, never fails because a machine is slow.

    python benchmarks/bench_comite.py [--db data/pilotage.duckdb] [--departement 2A]
                                       [--month 2026-10] [--repeat 3]

Each run is a fresh process (imports, warehouse opened, Chromium started), as when a user
clicks the button or the command runs. Phases: indicator queries and figures (`build`), the
HTML document (`html`), Chromium printing it (`pdf`), and the whole, median of the runs
with min-max beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ONE_RUN = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from dashboard import comite, pdf
from pipelines import warehouse
t1 = time.perf_counter()
con = warehouse.open_reader(Path(sys.argv[1]))
built = comite.build(con, sys.argv[2], sys.argv[3])
t2 = time.perf_counter()
html = comite.render_html(built)
t3 = time.perf_counter()
printed = pdf.html_to_pdf(html, len(built.charts))
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "build": t2 - t1, "html": t3 - t2, "pdf": t4 - t3,
                  "whole": t4 - t0, "charts": printed.charts, "bytes": len(printed.pdf)}))
"""


def one_run(db: Path, departement: str, month: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(db), departement, month],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("PILOTAGE_DB", "data/pilotage.duckdb"))
    parser.add_argument("--departement", default="2A")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    runs = [one_run(Path(args.db), args.departement, args.month) for _ in range(args.repeat)]
    print(
        f"Rapport du comité {args.departement} {args.month} — {args.repeat} exécution(s), "
        f"{runs[0]['charts']} graphiques, {runs[0]['bytes'] // 1024} Ko, load {os.getloadavg()[0]:.1f}"
    )
    for phase in ("imports", "build", "html", "pdf", "whole"):
        values = [r[phase] for r in runs]
        print(
            f"  {phase:8s} {statistics.median(values):6.2f} s  "
            f"(min {min(values):.2f}, max {max(values):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
