"""France Travail collection benchmark: prints figures, never fails because a machine is slow.

    python benchmarks/bench_api.py [--persons 1000] [--delay 0.2] [--concurrency 32]
                                   [--unknown-share 0.1]

Starts the local stand-in of the APIs (tests/ft_standin.py) on 127.0.0.1, answering each
resource request after `--delay` seconds, writes a département file of `--persons`
synthetic persons (a share unknown to France Travail), and runs the real collection
(`pipelines.francetravail.collecte.collect`: file checks, calls, load into an empty
warehouse). Prints the wall time, the calls, the throughput, and the maximum number of
requests in flight measured on the server side, which must not exceed the configured
concurrency. The ideal time is calls x delay / concurrency.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=None, help="default: the product's")
    parser.add_argument("--unknown-share", type=float, default=0.1)
    args = parser.parse_args()

    from pipelines.francetravail import collecte
    from pipelines.settings import FranceTravailSettings, Settings
    from tests.ft_standin import StandIn

    unknown = int(args.persons * args.unknown_share)
    with (
        tempfile.TemporaryDirectory() as tmp,
        StandIn(people=args.persons - unknown, unknown=unknown, delay=args.delay) as api,
    ):
        os.environ.update(api.env())
        os.environ.setdefault("PILOTAGE_SECRET_KEY", "62656e63686d61726b2d6b65792d6e6f742d7265616c")
        ft = FranceTravailSettings.from_env()
        if args.concurrency:
            ft = dataclasses.replace(ft, concurrency=args.concurrency)
        source = Path(tmp) / "personnes.csv"
        lines = ["NIR;Date de naissance"]
        lines += [f"{nir};{birth}" for nir, birth in api.persons]
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings = Settings.from_env(Path(tmp) / "pilotage.duckdb")
        started = time.perf_counter()
        outcome = collecte.collect(source, settings, ft, "2A")
        elapsed = time.perf_counter() - started
        calls = sum(n for name, n in api.calls.items() if name != "token")
        summary = outcome.report.collecte
        print(f"persons: {args.persons} ({unknown} unknown to France Travail)")
        print(f"stand-in delay per answer: {args.delay * 1000:.0f} ms")
        print(f"configured concurrency: {ft.concurrency}")
        print(
            f"status: {outcome.status}; found {summary['trouvees']}, "
            f"not found {summary['non_trouvees']}, errors {summary['erreurs']}"
        )
        print(f"resource calls: {calls} (+ {api.calls['token']} token)")
        print(f"wall time (file checks + calls + load): {elapsed:.2f} s")
        print(f"calls alone: {summary['duree_secondes']:.2f} s")
        print(f"ideal (calls x delay / concurrency): {calls * args.delay / ft.concurrency:.2f} s")
        print(f"throughput: {args.persons / elapsed:.1f} persons/s, {calls / elapsed:.1f} calls/s")
        print(
            f"max in flight (server side): {api.max_in_flight} "
            f"({'within' if api.max_in_flight <= ft.concurrency else 'ABOVE'} the bound)"
        )
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
