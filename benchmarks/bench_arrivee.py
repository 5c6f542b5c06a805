"""A committee member who opens the Synthèse while the server fills its caches after a
load (dashboard/warm.py): how long the first view waits, by time of arrival. Prints
figures, never fails because a machine is slow.

    python benchmarks/bench_arrivee.py [--db data/pilotage.duckdb] [--arrivees 0 8 15]

For each arrival time, in its own process: one view of the Synthèse (imports, first
connection), then the caches emptied as a load empties them, the server's filling started
(`warm.after_load`, as the first script run after a load starts it) and the Synthèse
opened `n` seconds later by the committee's demo account (Streamlit AppTest, as
benchmarks/bench_pages.py). The waiting is on purpose: the user arrives at that time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def arrival(delay: float) -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import db, serve, warm
    from pipelines import access, masking_grids
    from pipelines.settings import Settings
    from tests.streamlit_session import sign_in

    user = access.lookup(Settings.from_env().db_path, "comite")
    if user is None:
        sys.exit("compte de démonstration comite absent : lancez `python -m pipelines demo`.")
    components = None

    def view() -> float:
        nonlocal components
        at = AppTest.from_file(str(REPO / "pages" / "synthese.py"), default_timeout=600)
        at._bidi_component_manager = components  # private: see bench_pages.py
        at.query_params["dep"] = "2A"
        sign_in(at, user)
        start = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - start
        assert not at.exception, at.exception
        components = at._bidi_component_manager
        return elapsed

    view()
    db.forget()  # a load: the warehouse reads, the data caches
    st.cache_resource.clear()  # ...and the views and figures
    masking_grids.forget_decisions()
    os.environ[serve.PRECHARGEMENT] = "1"  # as the server sets it
    start = time.perf_counter()
    thread = warm.after_load()
    time.sleep(delay)  # the user arrives then (a benchmark, not a test)
    first = view()
    running = thread.is_alive()
    thread.join()
    return {"first": first, "running": running, "fill": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=REPO / "data" / "pilotage.duckdb")
    parser.add_argument("--arrivees", type=float, nargs="+", default=[0, 8, 15])
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    os.environ["PILOTAGE_DB"] = str(args.db)
    if args.one is not None:
        print(json.dumps(arrival(args.one)))
        return
    if not args.db.exists():
        sys.exit(f"{args.db} manque : lancez d'abord `python -m pipelines demo --db {args.db}`.")
    print(f"warehouse: {args.db}, cpus: {os.cpu_count()}, load average before: "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip
    print(f"{'arrivée':>8s} {'1re vue Synthèse':>17s} {'remplissage':>12s} {'en cours':>9s}")
    for delay in args.arrivees:
        out = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--one", str(delay)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{delay:7.0f}s {r['first']:16.3f}s {r['fill']:11.1f}s {'oui' if r['running'] else 'non':>9s}"
        )
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
