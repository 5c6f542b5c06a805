"""Dashboard speed on the sample warehouse: prints figures, never fails because a machine
is slow.

    python benchmarks/bench_pages.py [--db data/pilotage.duckdb] [--runs 5]

For each page: the server time of a full script run (Streamlit AppTest, the same code the
server runs) cold (first run in a fresh process: imports, connection opened, caches empty),
first view (a running server whose caches a load has just emptied: what a user waits for
the first time a page is opened after a load) and warm (median and 95th percentile of the
following runs, caches filled). Then each indicator
family's query alone, warm (cache bypassed), against the same aggregation written as a
plain GROUP BY over the detail table where one applies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAGES = {
    "synthese": "analyste",
    "orientations": "analyste",
    "demandeurs": "analyste",
    "accompagnement": "analyste",
    "delais": "analyste",
    "cohortes": "analyste",
    "qualite": "donnees",
}


def page_times(page: str, role: str, runs: int, departement: str = "2A") -> dict:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pipelines.access import User

    def once() -> float:
        at = AppTest.from_file(str(REPO / "pages" / f"{page}.py"), default_timeout=120)
        at.session_state["utilisateur"] = User("bench", role, (departement,))
        start = time.perf_counter()
        at.run()
        assert not at.exception, at.exception
        return time.perf_counter() - start

    cold = once()  # fresh process: imports, first connection, empty caches
    st.cache_data.clear()
    first_view = once()  # a running server after a load: caches empty, process warm
    warm = sorted(once() for _ in range(max(1, runs - 1)))
    return {
        "cold": cold,
        "first_view": first_view,
        "warm_median": statistics.median(warm),
        "warm_p95": warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))],
    }


def query_times(
    db: Path, runs: int, departement: str = "2A"
) -> list[tuple[str, float, float | None]]:
    """(family, p95 of the indicator query, p95 of a plain GROUP BY equivalent)."""
    from pipelines import indicators, warehouse

    con = warehouse.open_reader(db)
    month = indicators.months_available(con, departement)[0]
    plain = {
        "stock": f"SELECT code_categorie, count(*) FROM pecgm_stock WHERE departement = '{departement}' "
        f"AND mois = DATE '{month}-01' GROUP BY 1",
        "orientations": f"SELECT type_parcours, count(*) FROM orientation WHERE departement = '{departement}' "
        f"AND date_trunc('month', date_orientation) = DATE '{month}-01' GROUP BY 1",
    }
    out = []
    for name in (
        "stock",
        "orientations",
        "flux",
        "delai_orientation",
        "contrat",
        "premier_rdv",
        "intensite",
        "part_orientes",
    ):
        function = getattr(indicators, name)
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            function(con, departement, month)
            samples.append(time.perf_counter() - start)
        reference = None
        if name in plain:
            ref = []
            for _ in range(runs):
                start = time.perf_counter()
                con.execute(plain[name]).fetchall()
                ref.append(time.perf_counter() - start)
            reference = max(ref)
        out.append((name, max(samples), reference))
    start = time.perf_counter()
    indicators.contrat_courbe(con, departement)
    out.append(("contrat_courbe", time.perf_counter() - start, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=REPO / "data" / "pilotage.duckdb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page")
    parser.add_argument("--departement", default="2A")
    args = parser.parse_args()
    os.environ["PILOTAGE_DB"] = str(args.db)
    if args.page:  # one page, in its own process so that "cold" is really cold
        print(json.dumps(page_times(args.page, PAGES[args.page], args.runs, args.departement)))
        return
    if not args.db.exists():
        sys.exit(f"{args.db} manque : lancez d'abord `python -m pipelines demo --db {args.db}`.")
    print(
        f"warehouse: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB), département {args.departement}"
    )
    print(
        f"{'page':16s} {'cold':>8s} {'1st view':>9s} {'warm med':>9s} {'warm p95':>9s}"
        "   (cold: new process; 1st view: running server, caches emptied by a load)"
    )
    for page in PAGES:
        out = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--runs", str(args.runs), "--page", page,
             "--departement", args.departement],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{page:16s} {r['cold']:7.2f}s {r['first_view']:8.2f}s {r['warm_median']:8.3f}s "
            f"{r['warm_p95']:8.3f}s"
        )
    print(f"\n{'indicator family':18s} {'p95 query':>10s} {'plain GROUP BY':>15s}")
    for name, p95, ref in query_times(args.db, args.runs * 4, args.departement):
        print(f"{name:18s} {p95 * 1000:8.1f}ms {'' if ref is None else f'{ref * 1000:13.1f}ms'}")


if __name__ == "__main__":
    main()
