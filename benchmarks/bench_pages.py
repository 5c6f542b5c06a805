"""Dashboard speed on the sample warehouse: prints figures and whether the targets are met,
never fails because a machine is slow.

    python benchmarks/bench_pages.py [--db data/pilotage.duckdb] [--runs 5] [--national]

    # one page, without the filling after a load (a smoke run: about a second of page)
    python benchmarks/bench_pages.py --page synthese --runs 1 --no-fill

    # the 1M-row département (issue 31): built on first use (sample_data/large.py, about
    # 950 000 rows: 20 000 persons over 24 months), targets doubled
    python benchmarks/bench_pages.py --national [--db data/departement_1m.duckdb]

For each page of dashboard/navigation.PAGES, opened by the first demo account whose role
may (the committee's first): the server time of a full script run (Streamlit AppTest, the
same code the server runs, signed in as the sign-in form does) cold (first run in a fresh
process: imports, connection opened, caches empty), first view (a running server whose
caches a load has just emptied: what a user waits for the first time a page is opened
after a load) and warm (median and 95th percentile of the following runs, each a new
session, caches filled), with the CPU time of a warm view (the figure least sensitive to
the other work of a shared machine), then the server's filling of the caches after a load
(dashboard/warm.py, CPU time; it runs in the background) and the first view once it is
done (what a user who comes after the filling waits). Then each indicator family's query alone, warm
(cache bypassed), against the same aggregation written as a plain GROUP BY over the
detail table where one applies.

AppTest scans the installed packages for Streamlit components once per AppTest (about
0.3 s here, more than a page); the server does it once at start. The runs after the
cold one share the first run's scan, so that they time the page, not the harness.
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

# Targets on an idle 2-core machine, demo warehouse (issue 31); doubled at national scale.
WARM_P95_S = 0.100
FIRST_VIEW_S = 0.300
NATIONAL_FACTOR = 2
LARGE_DB = "departement_1m.duckdb"  # the 1M-row département's warehouse (--national)


def measured_pages() -> dict[str, str]:
    """Every page of the navigation -> the demo account that opens it: the first one, in
    the order of DEMO_USERS (committee first), whose role may."""
    from dashboard import navigation
    from pipelines.access import DEMO_USERS

    return {
        page.slug: next(login for login, (role, _) in DEMO_USERS.items() if role in page.roles)
        for page in navigation.PAGES
    }


def verdict(value: float, target: float) -> str:
    return "atteint" if value <= target else "non atteint"


def page_times(
    page: str, login: str, runs: int, departement: str = "2A", fill: bool = True
) -> dict:
    """The page's times (see the module's docstring); without `fill`, not the server's
    filling after a load nor the view after it (their figures None)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dashboard import db, navigation
    from dashboard import warm as warm_caches
    from pipelines import access
    from pipelines.settings import Settings
    from tests.streamlit_session import sign_in

    user = access.lookup(Settings.from_env().db_path, login)
    if user is None:
        sys.exit(f"compte de démonstration {login} absent : lancez `python -m pipelines demo`.")
    script = str(REPO / navigation.BY_SLUG[page].file)
    components = None  # the component scan of the first run, shared by the next ones

    def once() -> tuple[float, float]:
        nonlocal components
        at = AppTest.from_file(script, default_timeout=120)
        at._bidi_component_manager = components  # private: see the module docstring
        at.query_params["dep"] = departement
        sign_in(at, user)
        start, cpu = time.perf_counter(), time.process_time()
        at.run()
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]  # a refused run times nothing
        assert at.title, "la page n'a rien affiché"
        components = at._bidi_component_manager
        return elapsed, used

    cold = once()[0]  # fresh process: imports, first connection, empty caches
    db.forget()  # a load: the warehouse reads, the data caches...
    st.cache_resource.clear()  # ...and the views and figures
    first_view, first_cpu = once()  # a running server after a load: caches empty, process warm
    warm = [once() for _ in range(max(1, runs - 1))]
    walls = sorted(w for w, _ in warm)
    fill_cpu = filled = filled_cpu = None
    if fill:
        db.forget()  # a load again, then what the server does after it (warm.py)
        st.cache_resource.clear()
        fill_cpu = time.process_time()
        warm_caches.fill(str(db.db_path()), db.generation())
        fill_cpu = time.process_time() - fill_cpu
        filled, filled_cpu = once()  # a user's first view once the filling is done
    return {
        "fill_cpu": fill_cpu,
        "filled": filled,
        "filled_cpu": filled_cpu,
        "cold": cold,
        "first_view": first_view,
        "first_cpu": first_cpu,
        "warm_median": statistics.median(walls),
        "warm_p95": walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))],
        "warm_cpu": statistics.median(c for _, c in warm),
        "login": login,
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


def seconds(value: float | None, width: int, digits: int) -> str:
    """A time in the table's column, a dash when it was not measured (--no-fill)."""
    return f"{'—':>{width}s} " if value is None else f"{value:{width}.{digits}f}s"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="défaut : data/pilotage.duckdb, ou "
                        "data/departement_1m.duckdb avec --national")  # fmt: skip
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--page", help="une seule page (son adresse, ex. synthese)")
    parser.add_argument("--departement", default="2A")
    parser.add_argument(
        "--national", action="store_true", help="objectifs du département d'un million de lignes"
    )
    parser.add_argument(
        "--no-fill", action="store_true",
        help="sans le remplissage des caches après un chargement ni la vue qui le suit",
    )  # fmt: skip
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one page, own process
    args = parser.parse_args()
    args.db = args.db or REPO / "data" / (LARGE_DB if args.national else "pilotage.duckdb")
    os.environ["PILOTAGE_DB"] = str(args.db)
    pages = measured_pages()
    if args.one:  # one page, in its own process so that "cold" is really cold
        times = page_times(
            args.one, pages[args.one], args.runs, args.departement, fill=not args.no_fill
        )
        print(json.dumps(times))
        return
    if args.national and not args.db.exists():
        from sample_data.large import build_large, detail_rows

        build_large(args.db, echo=lambda _: None)
        print(f"{args.db} construit : {detail_rows(args.db)} lignes de détail")
    if not args.db.exists():
        sys.exit(f"{args.db} manque : lancez d'abord `python -m pipelines demo --db {args.db}`.")
    factor = NATIONAL_FACTOR if args.national else 1
    warm_target, first_target = WARM_P95_S * factor, FIRST_VIEW_S * factor
    print(
        f"warehouse: {args.db} ({args.db.stat().st_size / 1e6:.0f} MB), département "
        f"{args.departement}, cpus: {os.cpu_count()}, load average before: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    print(
        f"{'page':16s} {'account':9s} {'cold':>7s} {'1st view':>9s} {'warm med':>9s} "
        f"{'warm p95':>9s} {'1st CPU':>8s} {'warm CPU':>9s} {'fill CPU':>9s} {'filled':>8s} "
        f"{'fld CPU':>8s}"
        "   (cold: new process; 1st view: running server, caches emptied by a load; fill: the "
        "server's filling after a load, in the background; filled: first view after it)"
    )
    worst_first, worst_p95 = 0.0, 0.0
    for page in [args.page] if args.page else pages:
        out = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--runs", str(args.runs), "--one", page,
             "--departement", args.departement, *(["--no-fill"] if args.no_fill else [])],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        worst_first, worst_p95 = max(worst_first, r["first_view"]), max(worst_p95, r["warm_p95"])
        print(
            f"{page:16s} {r['login']:9s} {r['cold']:6.2f}s {r['first_view']:8.3f}s "
            f"{r['warm_median']:8.3f}s {r['warm_p95']:8.3f}s {r['first_cpu']:7.3f}s {r['warm_cpu']:8.3f}s"
            f" {seconds(r['fill_cpu'], 8, 3)} {seconds(r['filled'], 7, 3)}"
            f" {seconds(r['filled_cpu'], 7, 3)}"
        )
    print(
        "load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + "\n"
        f"objectif première vue ≤ {first_target * 1000:.0f} ms (machine de 2 cœurs au repos) : "
        f"pire page {worst_first * 1000:.0f} ms, {verdict(worst_first, first_target)}\n"
        f"objectif p95 à chaud ≤ {warm_target * 1000:.0f} ms : pire page "
        f"{worst_p95 * 1000:.0f} ms, {verdict(worst_p95, warm_target)}"
    )
    if args.page:
        return
    print(f"\n{'indicator family':18s} {'p95 query':>10s} {'plain GROUP BY':>15s}")
    for name, p95, ref in query_times(args.db, args.runs * 4, args.departement):
        print(f"{name:18s} {p95 * 1000:8.1f}ms {'' if ref is None else f'{ref * 1000:13.1f}ms'}")


if __name__ == "__main__":
    main()
