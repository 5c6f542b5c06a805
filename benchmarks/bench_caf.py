"""CAF/MSA flux bénéficiaires load benchmark: prints figures, never fails on a slow machine.

    python benchmarks/bench_caf.py [--mb 300] [--repeat 1] [--file EXISTING_FLUX] [--keep]

Writes a synthetic vrsb0801 flux of about `--mb` megabytes (households of one or two
persons with three months of resources, as real monthly fluxes carry), or takes `--file`,
then runs each phase `--repeat` times (median reported), each run in a fresh process so
that peak memory is per phase:
  1. bare lxml iterparse passes over the file, nothing read: over every element (the
     textbook `for _, e in iterparse(f): e.clear()`), and over the households only
     (lxml's tag filter selecting them in C: the floor any streaming reader pays);
  2. our staging (`caf.stage`: stream, schema check of every household, the kept
     elements, normalisation and the GX suite in DuckDB);
  3. our validate + load into an empty warehouse (`pipelines.loader.load`).
and prints times, the ratios to the bare pass, throughput and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The load alone, as the earlier figures were measured: storing the pages' opening reads,
# which each write now adds, is timed by bench_precalcul.py (the commands run here inherit it).
os.environ.setdefault("PILOTAGE_PRECALCUL", "0")
sys.path.insert(0, str(REPO))

from bench_pecgm import cpu_seconds, peak_mb  # noqa: E402

from sample_data.caf_flux import Foyer, Personne, fake_nir, flux_chunks  # noqa: E402

HOUSEHOLD_BYTES = 4_700  # about what one household of the generated shape takes


def write_file(path: Path, megabytes: float) -> int:
    """A flux of about `megabytes` MB; returns its household count."""
    households = max(1, int(megabytes * 1_000_000 / HOUSEHOLD_BYTES))

    def foyers():
        for i in range(households):
            people = [Personne(fake_nir(2 * i), date(1980, 1, 1), "1", ressources=True)]
            if i % 2:
                people.append(
                    Personne(
                        fake_nir(2 * i + 1, "2"), date(1982, 1, 1), "2", "CJT", True, None, True
                    )
                )
            yield Foyer(f"{i:013d}", date(2025, 1 + i % 12, 1 + i % 28), "2", "2A004", people)

    with path.open("w", encoding="cp1252", newline="\n") as out:
        for chunk in flux_chunks("2A", date(2026, 10, 31), foyers()):
            out.write(chunk)
    return households


def _every(path: Path) -> dict:
    from lxml import etree

    from pipelines.readers.xml_safe import PARSER_OPTIONS

    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), **PARSER_OPTIONS):
        element.clear(keep_tail=False)
        if element.tag == "InfosFoyerRSA":
            count += 1
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return {"households": count}


def _bare(path: Path) -> dict:
    from lxml import etree

    from pipelines.readers.xml_safe import PARSER_OPTIONS

    count = 0
    for _, element in etree.iterparse(
        str(path), events=("end",), tag="InfosFoyerRSA", **PARSER_OPTIONS
    ):
        count += 1
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return {"households": count}


def _stage(path: Path) -> dict:
    from pipelines import pseudonymise, warehouse
    from pipelines.readers.encoding import inspect_file
    from pipelines.sources import caf

    con = warehouse.connect(threads=2, memory_limit="1536MB")
    pseudonymise.register_macros(con, b"benchmark-key-not-a-secret")
    report = caf.stage(con, inspect_file(path))
    return {"households": report.rows_read, "loadable": report.loadable}


def _load(path: Path) -> dict:
    from pipelines import loader
    from pipelines.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PILOTAGE_SECRET_KEY"] = "ab" * 32  # a synthetic key (32 bytes, hex)
        outcome = loader.load("caf", path, Settings.from_env(Path(tmp) / "wh.duckdb"))
    return {"status": outcome.status, "rows": outcome.rows_loaded}


PHASES = {
    "bare iterparse": _every,
    "bare, tag filter": _bare,
    "caf.stage": _stage,
    "validate+load": _load,
}


def _child(phase: str, path: Path) -> None:
    started, cpu = time.perf_counter(), cpu_seconds()
    result = PHASES[phase](path)
    result["seconds"] = time.perf_counter() - started
    result["cpu"] = cpu_seconds() - cpu
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def _run(phase: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", phase, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=300)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=PHASES)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.file)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="bench_caf_"))
    path = args.file
    if path is None:
        path = tmp / "RSABEM_bench.xml"
        started = time.perf_counter()
        households = write_file(path, args.mb)
        print(f"generated {households} households in {time.perf_counter() - started:.1f} s")
    size_mb = path.stat().st_size / 1_000_000
    print(f"file: {path.name}, {size_mb:.1f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"median of {args.repeat} run(s), each in a fresh process")
    medians, cpus = {}, {}
    for phase in PHASES:
        runs = [_run(phase, path) for _ in range(args.repeat)]
        seconds = [r["seconds"] for r in runs]
        medians[phase] = statistics.median(seconds)
        cpus[phase] = statistics.median(r["cpu"] for r in runs)
        extra = {k: v for k, v in runs[0].items() if k not in ("seconds", "cpu", "peak_mb")}
        print(
            f"{phase:16s} {medians[phase]:7.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f})"
            f"  cpu {cpus[phase]:7.2f} s  {size_mb / medians[phase]:6.1f} MB/s"
            f"  peak {max(r['peak_mb'] for r in runs):6.0f} MB  {extra}"
        )
    # On a shared machine the wall-clock ratio moves with the others' load; the CPU time
    # (user + system, every thread) is the steadier comparison.
    for phase in ("caf.stage", "validate+load"):
        for bare in ("bare iterparse", "bare, tag filter"):
            print(
                f"{phase} / {bare}: wall {medians[phase] / medians[bare]:.2f}, "
                f"cpu {cpus[phase] / cpus[bare]:.2f}"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not args.keep and args.file is None:
        path.unlink()
        tmp.rmdir()
    elif args.keep:
        print(f"kept: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
