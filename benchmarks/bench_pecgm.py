"""PECGM load benchmark: prints figures, never fails because a machine is slow.

    python benchmarks/bench_pecgm.py [--records 1000000] [--accented-share 0.05] [--keep]
                                     [--strip-every 7] [--repeat 3] [--phases scan,load]
                                     [--file EXISTING_FILE]

Generates a synthetic PECGM file of N detail records (fixed width, ISO-8859-1, CRLF; with
`--strip-every 7` one line in seven has lost its trailing blanks, as office software
leaves them), or takes `--file`, then runs each phase `--repeat` times (median reported),
each run in a fresh process so peak memory is measured per phase:
  1. the raw DuckDB scan of the file (every line as one column, counted), with the reader
     the load itself uses (Latin-1, or UTF-8 for a pure ASCII file: same bytes, no
     transcoding);
  2. pandas `read_fwf` on the same file (only splitting the kept columns);
  3. our validate + load into an empty warehouse (`pipelines.loader.load`), with the time
     of each step (cut, suite, insert with the keyed hashes, derived tables, the rest of
     the write);
  4. the whole command a user runs, `python -m pipelines load pecgm FILE` into an empty
     warehouse: start-up, imports, the load, the report folder, the audit, the exit.
Each phase and step is timed twice: wall clock, and CPU time (user + system, every thread
of the process). It prints both ratios to the raw scan, throughput, peak memory and the
machine's load average before and after: on a shared machine the CPU ratio is the one to
compare, the wall ratio only on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The load alone, as the earlier figures were measured: storing the pages' opening reads,
# which each write now adds, is timed by bench_precalcul.py (the commands run here inherit it).
os.environ.setdefault("PILOTAGE_PRECALCUL", "0")
sys.path.insert(0, str(REPO))

from pipelines.readers.layout import available_layouts, format_record  # noqa: E402
from sample_data import generate  # noqa: E402

LAYOUT = available_layouts("pecgm")["001,0"]


ACCENTED_NAMES = ("HÉLÈNE", "JOSÉ", "NOËL", "FRANÇOIS", "CÉLINE")


def write_file(path: Path, records: int, accented_share: float = 0.0, strip_every: int = 0) -> None:
    """N distinct people: 2,000 simulated records, re-keyed so every NIR and PE id is unique.

    `accented_share` of the lines get an accented first name (Latin-1 bytes above 0x7F), as
    real files do: the file is then no longer pure ASCII and takes the Latin-1 decoding path.
    One line in `strip_every` loses its trailing blanks (lines of unequal length).
    """
    every = round(1 / accented_share) if accented_share else 0
    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, 4000, 1, ref))[-1]
    templates = [generate.detail_values(p, ref) for p in people[:2000]]
    header = generate.header_record(LAYOUT, "2A", ref)
    footer = generate.footer_record(LAYOUT, "2A", ref, records)
    with path.open("w", encoding="latin-1", newline="") as f:
        f.write(header + "\r\n")
        for i in range(records):
            values = dict(templates[i % len(templates)])
            values["nir"] = f"{values['nir'][:5]}99{i:06d}"
            values["identifiant_pe"] = f"{i:07d}{chr(65 + i % 26)}"
            if every and i % every == 0:
                values["prenom"] = ACCENTED_NAMES[i % len(ACCENTED_NAMES)]
            line = format_record(LAYOUT, "D", values)
            if strip_every and i % strip_every == 0:
                line = line.rstrip()
            f.write(line + "\r\n")
        f.write(footer + "\r\n")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_mb() -> float:
    """Peak memory of the largest child process ended so far (the XML reader's second half)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def phase_scan(path: Path) -> dict:
    """DuckDB's own reader, every line as one column: the floor any reader is measured by."""
    import duckdb

    from pipelines.readers.encoding import inspect_file

    facts = inspect_file(path)
    con = duckdb.connect(config={"threads": 2})
    start, start_cpu = time.perf_counter(), cpu_seconds()
    n = con.execute(
        "SELECT count(line) FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, "
        "delim = chr(1), quote = '', escape = '', auto_detect = false, strict_mode = false, "
        f"encoding = '{facts.duckdb_encoding}', "
        f"compression = '{'gzip' if facts.gzip else 'none'}')",
        [str(path)],
    ).fetchone()[0]
    return {"seconds": time.perf_counter() - start, "cpu": cpu_seconds() - start_cpu, "lines": n}


def phase_read_fwf(path: Path) -> dict:
    import pandas as pd

    from pipelines.sources.pecgm import _kept_fields

    fields = _kept_fields(LAYOUT)
    start, start_cpu = time.perf_counter(), cpu_seconds()
    frame = pd.read_fwf(
        path,
        colspecs=[(f.start - 1, f.end) for f in fields],
        names=[f.name for f in fields],
        dtype=str,
        encoding="latin-1",
        header=None,
    )
    return {
        "seconds": time.perf_counter() - start,
        "cpu": cpu_seconds() - start_cpu,
        "lines": len(frame),
    }


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process so far, every thread counted: DuckDB's
    threads and the background file hash too, so a parallel step is not flattered; and of
    its child processes once ended (the XML reader parses a large file's second half in
    one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(steps: dict[str, float], cpu: dict[str, float], owner, name: str, label: str) -> None:
    """Wrap `owner.name` so that its wall time adds up in `steps[label]`, its CPU time in
    `cpu[label]`."""
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        try:
            return inner(*args, **kwargs)
        finally:
            steps[label] = steps.get(label, 0.0) + time.perf_counter() - start
            cpu[label] = cpu.get(label, 0.0) + cpu_seconds() - start_cpu

    setattr(owner, name, wrapper)


def phase_load(path: Path) -> dict:
    from pipelines import loader, personnes
    from pipelines.settings import Settings
    from pipelines.sources import pecgm, pecgm_records

    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    _timed(steps, cpu, pecgm, "_read_lines", "cut")
    # the suite runs in pecgm_records, for fixed width and XML alike: timed under the name
    # its `_apply_suite` calls
    _timed(steps, cpu, pecgm_records, "apply_suite", "suite")
    _timed(steps, cpu, pecgm, "insert", "insert")
    _timed(steps, cpu, personnes, "after_load", "derived")
    _timed(steps, cpu, loader, "_write_generation", "write")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PILOTAGE_SECRET_KEY"] = "ab" * 32
        settings = Settings.from_env(Path(tmp) / "bench.duckdb")
        start, start_cpu = time.perf_counter(), cpu_seconds()
        outcome = loader.load("pecgm", path, settings)
        seconds, seconds_cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        # the write holds the insert and the derived tables: what is left of it
        for times, total in ((steps, seconds), (cpu, seconds_cpu)):
            times["write"] = times.get("write", 0.0) - times.get("insert", 0.0)
            times["write"] -= times.get("derived", 0.0)
            times["other"] = total - sum(times.values())
        return {
            "seconds": seconds,
            "cpu": seconds_cpu,
            "lines": outcome.rows_loaded,
            "status": outcome.status,
            "warehouse_mb": settings.db_path.stat().st_size / 1e6,
            "steps": steps,
            "steps_cpu": cpu,
        }


def phase_command(path: Path, source: str = "pecgm") -> dict:
    """`python -m pipelines load SOURCE FILE` in a process of its own, timed from outside:
    what the user waits for (its modules compiled beforehand, as after a first run). CPU time and peak memory are the command's (and its own
    children's: the XML reader's second half)."""
    from bench_startup import as_installed

    with tempfile.TemporaryDirectory() as tmp:
        env = as_installed(
            {
                **os.environ,
                "PILOTAGE_SECRET_KEY": "ab" * 32,
                "PILOTAGE_DB": str(Path(tmp) / "bench.duckdb"),
                "PILOTAGE_KEY_FILE": str(Path(tmp) / "cle"),
            }
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pipelines", "load", source, str(path)],
            cwd=REPO, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    loaded = re.search(r"chargé : (\d+) enregistrement", done.stdout)
    return {
        "seconds": seconds,
        "cpu": after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
        "lines": int(loaded.group(1)) if loaded else 0,
        "status": "loaded" if loaded and done.returncode == 0 else f"exit {done.returncode}",
        "peak_mb": after.ru_maxrss / 1024,
    }


PHASES = {
    "scan": phase_scan,
    "read_fwf": phase_read_fwf,
    "load": phase_load,
    "command": phase_command,
}


def median_run(runs: list[dict]) -> dict:
    """The run of median time, with the highest peak memory of all: a single run of a
    1-second scan moves by 10-15 % on a shared 2-core machine, and the ratios with it."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "peak_mb": max(r["peak_mb"] for r in runs)}


def run_phase(name: str, path: Path, script: str = __file__) -> dict:
    """One phase of `script` (this one, or another benchmark built on it), in a fresh process."""
    out = subprocess.run(
        [sys.executable, script, "--phase", name, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def _print_load(load: dict, cpu: float, size_mb: float) -> None:
    """The load's outcome and steps (its median run), wall and CPU time of each."""
    print(f"load status: {load['status']}, warehouse {load['warehouse_mb']:.0f} MB")
    print("load steps (median run):  wall      cpu")
    for step, seconds in load["steps"].items():
        print(f"  {step:9s} {seconds:11.2f} s {load['steps_cpu'][step]:7.2f} s")
    print(f"throughput end to end    : {size_mb / load['seconds']:.0f} MB/s  (target >= 60 MB/s)")
    print(f"peak memory of the load  : {load['peak_mb']:.0f} MB  (target < 2048 MB)")
    print(f"cpu time of the load     : {cpu:.2f} s (median of the runs)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--file", type=Path, help="measure this file instead of generating one")
    parser.add_argument(
        "--accented-share",
        type=float,
        default=0.05,
        help="share of lines with an accented first name (0: a pure ASCII file)",
    )
    parser.add_argument(
        "--strip-every",
        type=int,
        default=0,
        help="one line in N loses its trailing blanks (0: every line the same length)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="phases to run, comma-separated (read_fwf takes longest)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each phase; the median is reported"
    )
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args.file)
        result["peak_mb"] = max(result.get("peak_mb", 0.0), peak_mb())
        result["load_average"] = os.getloadavg()[0]
        print(json.dumps(result))
        return

    if args.file:  # an existing file (say one kept by --keep): measured, never deleted
        path, args.keep = args.file, True
        print(f"file: {path}, {path.stat().st_size / 1e6:,.0f} MB")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="bench_pecgm_"))
        path = workdir / "PECGM_2A_202610.txt"
        start = time.perf_counter()
        write_file(path, args.records, args.accented_share, args.strip_every)
        shape = f"1 line in {args.strip_every} stripped" if args.strip_every else "equal lines"
        print(
            f"file: {args.records:,} records, {path.stat().st_size / 1e6:,.0f} MB, "
            f"{args.accented_share:.0%} of lines accented, {shape}, "
            f"written in {time.perf_counter() - start:.1f} s"
        )
    size_mb = path.stat().st_size / 1e6
    phases = [name for name in PHASES if name in args.phases.split(",")]
    print(f"machine before: {machine_load()}")
    runs = {name: [run_phase(name, path) for _ in range(args.repeat)] for name in phases}
    print(f"machine after:  {machine_load()}")
    results = {name: median_run(r) for name, r in runs.items()}
    cpu = {name: statistics.median(x["cpu"] for x in r) for name, r in runs.items()}
    scan, fwf, load, command = (results.get(name) for name in PHASES)
    print(f"median of {args.repeat} run(s) per phase, each in a fresh process (min-max):")
    for name, r in results.items():
        times = sorted(x["seconds"] for x in runs[name])
        loads = " ".join(f"{x['load_average']:.1f}" for x in runs[name])
        print(
            f"{name:9s} wall {r['seconds']:7.2f} s ({times[0]:.2f}-{times[-1]:.2f})   "
            f"cpu {cpu[name]:7.2f} s   peak {r['peak_mb']:7.0f} MB   "
            f"load average {loads}   rows {r['lines']:,}"
        )
    if load:
        _print_load(load, cpu["load"], size_mb)
    if load and scan:
        print(
            f"validate+load / raw scan : wall {load['seconds'] / scan['seconds']:.2f}x, "
            f"cpu {cpu['load'] / cpu['scan']:.2f}x  (target <= 3x, stretch 2x)"
        )
    if command and scan:
        print(f"whole command: {command['status']}, {command['lines']:,} records loaded")
        print(
            f"whole command / raw scan : wall {command['seconds'] / scan['seconds']:.2f}x, "
            f"cpu {cpu['command'] / cpu['scan']:.2f}x  (target <= 4.5x)"
        )
    if command and load:
        print(
            f"whole command - in process: wall {command['seconds'] - load['seconds']:.2f} s, "
            f"cpu {cpu['command'] - cpu['load']:.2f} s  (start-up, report folder, audit, exit)"
        )
    if load and fwf:
        print(
            f"validate+load / read_fwf : wall {load['seconds'] / fwf['seconds']:.2f}x, "
            f"cpu {cpu['load'] / cpu['read_fwf']:.2f}x  (target < 1x)"
        )
    if not args.keep:
        path.unlink()
        workdir.rmdir()
    else:
        print(f"kept: {path}")


if __name__ == "__main__":
    main()
