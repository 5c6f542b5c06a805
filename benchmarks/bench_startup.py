"""Fixed cost of a command: prints figures, never fails because a machine is slow.

    python benchmarks/bench_startup.py [--repeat 5] [--persons 300] [--sources cgpem,lrsa,parcours]

What a data steward waits for when checking a small file is mostly what the command pays
before and around the check: the interpreter, the imports, the DuckDB instance. This
generates a small synthetic département (`sample_data.generate`, two months), loads its
latest PECGM month into a fresh warehouse (so a check compares with the warehouse, as in
service), compiles the project's modules once as a first run would (a CI environment may
forbid Python to keep them), then measures, each in a fresh process, `--repeat` times
(median and min-max):
  1. the bare interpreter (`python -c pass`);
  2. the imports of each command (`python -X importtime`, one run: the sum of the top-level
     imports, and the heaviest packages);
  3. the whole command `python -m pipelines validate SOURCE FILE`, wall and CPU time (user +
     system of the process and its threads).
It prints which heavy packages the command imported (Great Expectations, pandas, plotly,
streamlit, lxml, pyarrow, numpy: none should be), the machine's load before and after,
and the target (a small file's whole `validate` <= 0.6 s on an idle 2-core machine).
With `--demo`, it also times one build of the demonstration warehouse (`python -m
pipelines demo`, the 118 sample files as one lot, into a new warehouse; target <= 30 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("great_expectations", "pandas", "plotly", "streamlit", "lxml", "scipy", "altair")
HEAVY += ("pyarrow", "numpy")  # a small tabular file's columns reach DuckDB as parameters
TARGET_SECONDS = 0.6
DEMO_TARGET_SECONDS = 30.0
KEY = "ab" * 32


def as_installed(env: dict[str, str]) -> dict[str, str]:
    """`env` as in a user's shell, where Python keeps the compiled modules: a test or CI
    environment may forbid it (PYTHONDONTWRITEBYTECODE), and every start-up then compiles
    the project's sources again. Compiles them once, now, as a first run would."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "pipelines", "sample_data"],
        cwd=REPO, env=env, check=True, capture_output=True,
    )  # fmt: skip
    return env


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one run of `command`, in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def imports(command: list[str], env: dict[str, str]) -> tuple[float, list[tuple[str, float]]]:
    """(seconds importing, the five heaviest packages by their own import time) of one run
    of `command`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    total, packages = 0.0, {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        if not own.strip().isdigit():
            continue  # the header line
        if not name.startswith("  "):  # top level: its cumulative time holds the nested ones
            total += int(cumulative) / 1e6
        top = name.strip().split(".")[0]
        packages[top] = packages.get(top, 0.0) + int(own) / 1e6
    heaviest = sorted(packages.items(), key=lambda kv: -kv[1])[:5]
    return total, heaviest


def loaded_heavy(command: list[str], env: dict[str, str]) -> list[str]:
    """The heavy packages in sys.modules at the end of `command` (run as python -m)."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = {['pipelines', *command[3:]]!r}\n"
        "try:\n"
        "    runpy.run_module('pipelines', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    return eval(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else ["?"]


def small_files(folder: Path, persons: int) -> dict[str, list[Path]]:
    """A small synthetic département: the files of each source (parcours: its three)."""
    subprocess.run(
        [sys.executable, "-m", "sample_data.generate", "--departement", "2A", "--months", "2",
         "--persons", str(persons), "--out", str(folder)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    latest = lambda pattern: sorted(folder.glob(pattern))[-1:]  # noqa: E731
    return {
        "pecgm": latest("pecgm/PECGM_*.txt"),
        "cgpem": latest("cgpem/CGPEM_*.csv"),
        "lrsa": latest("lrsa/LRSA_*_inscrits.csv"),
        "parcours": sorted(folder.glob("parcours/PARCOURS_*.csv")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (median)")
    parser.add_argument("--persons", type=int, default=300, help="persons of the département")
    parser.add_argument("--sources", default="cgpem,lrsa,parcours", help="sources to check")
    parser.add_argument("--demo", action="store_true", help="also time the demo build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        work = Path(tmp)
        files = small_files(work / "fichiers", args.persons)
        env = as_installed(
            {
                **os.environ,
                "PILOTAGE_DB": str(work / "wh" / "pilotage.duckdb"),
                "PILOTAGE_SECRET_KEY": KEY,
                "PILOTAGE_KEY_FILE": str(work / "cle"),
                "PILOTAGE_OPERATEUR": "bench",
            }
        )
        python = [sys.executable, "-m", "pipelines"]
        setup = [*python, "load", "pecgm", *map(str, files["pecgm"])]
        if subprocess.run(setup, cwd=REPO, env=env, capture_output=True).returncode:
            raise SystemExit("the PECGM month of the warehouse did not load")
        print(f"machine before: {machine_load()}")
        bare = [timed([sys.executable, "-c", "pass"], env) for _ in range(args.repeat)]
        print(
            f"interpreter alone (python -c pass)  : wall {statistics.median(b[0] for b in bare):.3f} s"
            f"   cpu {statistics.median(b[1] for b in bare):.3f} s"
        )
        print(f"median of {args.repeat} run(s), each in a fresh process (min-max):")
        for source in args.sources.split(","):
            paths = files[source]
            command = [*python, "validate", source, *map(str, paths), "--departement", "2A"]
            runs = [timed(command, env) for _ in range(args.repeat)]
            walls = sorted(r[0] for r in runs)
            wall, cpu = statistics.median(walls), statistics.median(r[1] for r in runs)
            seconds, heaviest = imports(command, env)
            lines = sum(sum(1 for _ in p.open("rb")) for p in paths)
            verdict = "met" if wall <= TARGET_SECONDS else "not met"
            print(
                f"validate {source:8s} ({lines} lines): whole command wall {wall:.3f} s "
                f"({walls[0]:.3f}-{walls[-1]:.3f})   cpu {cpu:.3f} s   exit {runs[0][2]}   "
                f"(target <= {TARGET_SECONDS} s: {verdict})"
            )
            top = ", ".join(f"{name} {s:.3f} s" for name, s in heaviest)
            print(f"  start-up: imports {seconds:.3f} s (heaviest: {top})")
            heavy = loaded_heavy(command, env)
            print(f"  heavy packages imported: {', '.join(heavy) or 'none'}")
        if args.demo:
            demo = [*python, "demo", "--db", str(work / "demo" / "pilotage.duckdb")]
            wall, cpu, code = timed(demo, env)
            verdict = "met" if wall <= DEMO_TARGET_SECONDS else "not met"
            print(
                f"demo build (118 files, one lot): wall {wall:.1f} s   cpu {cpu:.1f} s   "
                f"exit {code}   (target <= {DEMO_TARGET_SECONDS:.0f} s: {verdict})"
            )
        print(f"machine after:  {machine_load()}")


if __name__ == "__main__":
    main()
