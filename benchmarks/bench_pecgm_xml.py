"""PECGM XML (fichier-PE-CG) load benchmark: prints figures, never fails because a machine
is slow.

    python benchmarks/bench_pecgm_xml.py [--records 1000000] [--repeat 1] [--keep]
                                         [--file EXISTING_FILE] [--phases iterparse,load]

Generates a synthetic XML file of N dossiers with every field of the tag map filled
(about 1.8 KB a dossier: 1,000,000 dossiers make about 1.8 GB), or takes `--file`, then
runs, in one invocation and each in a fresh process (peak memory per phase):
  1. a bare `lxml.etree.iterparse` pass that only counts the dossiers (the floor: parsing
     the XML at all, element by element, with the memory kept flat);
  2. our validation alone (`pecgm.stage`: parse, checks, suite), nothing written;
  3. our validate + load into an empty warehouse (`pipelines.loader.load`);
  4. the whole command a user runs, `python -m pipelines load pecgm FILE` (start-up,
     imports, the load, the report folder, the audit, the exit).
and prints wall and CPU times (user + system, every thread), the ratios to the bare pass,
throughput, peak memory and the machine's load (as `uptime` gives it): on a shared
machine the CPU ratio is the fairer one, and the figures only mean something beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The load alone, as the earlier figures were measured: storing the pages' opening reads,
# which each write now adds, is timed by bench_precalcul.py (the commands run here inherit it).
os.environ.setdefault("PILOTAGE_PRECALCUL", "0")
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pecgm import (  # noqa: E402
    child_peak_mb,
    cpu_seconds,
    machine_load,
    median_run,
    peak_mb,
    phase_command,
    phase_load,
    run_phase,
)

from pipelines.readers.layout import available_layouts  # noqa: E402
from sample_data import generate, pecgm_xml  # noqa: E402

LAYOUT = available_layouts("pecgm")["001,0"]
FULL = {  # the fields the simulated people leave blank, filled as a full real file would be
    "code_situation_emploi": "CEN",
    "libelle_situation_emploi": "CHERCHEUR D'EMPLOI NON INDEMNISE",
    "libelle_niveau_formation": "NIVEAU CAP BEP OU EQUIVALENT",
    "secteur_formation": "22403",
    "libelle_secteur_formation": "COMMERCE VENTE",
    "code_rome": "D1106",
    "libelle_rome": "VENTE EN ALIMENTATION",
    "structure_deleguee_nom": "MISSION LOCALE",
    "structure_deleguee_code_postal": "20090",
    "no_allocataire_caf": "0000000",
    "no_allocataire_msa": "0000000",
    "nom_marital": "FICTIF",
    "date_cessation_ide": "",
}


def write_file(path: Path, records: int) -> None:
    """N distinct dossiers: 2,000 simulated people, re-keyed so every NIR and PE id is unique."""
    ref = generate.month_end(2026, 10)
    _, people = list(generate.simulate("2A", 1, 4000, 1, ref))[-1]
    templates = [{**generate.detail_values(p, ref), **FULL} for p in people[:2000]]
    for t in templates:
        t["date_notification_cer"] = t["date_notification_cer"] or t["date_signature_ppae"]
        t["date_dernier_contact"] = t["date_dernier_contact"] or t["date_signature_ppae"]

    def dossiers():
        for i in range(records):
            values = dict(templates[i % len(templates)])
            values["nir"] = f"{values['nir'][:5]}99{i:06d}"
            values["identifiant_pe"] = f"{i:07d}{chr(65 + i % 26)}"
            yield values

    pecgm_xml.write(path, pecgm_xml.document(LAYOUT, "2A", ref, dossiers(), records))


def phase_iterparse(path: Path) -> dict:
    """The floor: iterparse the dossiers and count them, clearing each one."""
    from lxml import etree

    start = time.perf_counter()
    count = 0
    for _event, element in etree.iterparse(
        str(path), events=("end",), tag="dossier", resolve_entities=False, no_network=True
    ):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return {"seconds": time.perf_counter() - start, "lines": count}


def phase_stage(path: Path) -> dict:
    import duckdb

    from pipelines import pseudonymise
    from pipelines.readers.encoding import inspect_file
    from pipelines.sources import pecgm

    start = time.perf_counter()
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1536MB"})
    pseudonymise.register_macros(con, b"\xab" * 32)
    report = pecgm.stage(con, inspect_file(path))
    return {
        "seconds": time.perf_counter() - start,
        "lines": report.rows_read,
        "status": "valid" if report.loadable else "refused",
    }


PHASES = {
    "iterparse": phase_iterparse,
    "stage": phase_stage,
    "load": phase_load,
    "command": phase_command,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument(
        "--phases",
        default="iterparse,stage,load,command",
        help="phases to run, comma-separated (iterparse and load are always needed)",
    )
    parser.add_argument("--file", type=Path, help="measure this file instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each phase; the median is reported"
    )
    args = parser.parse_args()
    if args.phase:
        before = cpu_seconds()
        result = PHASES[args.phase](args.file)
        result["peak_mb"] = max(result.get("peak_mb", 0.0), peak_mb())
        result["child_peak_mb"] = child_peak_mb()  # the second half's process, if any
        # CPU seconds of every thread: on a crowded machine, a fairer ratio than the clock
        # (the whole command's are its process's own, counted by `phase_command`)
        if args.phase != "command":
            result["cpu"] = cpu_seconds() - before
        print(json.dumps(result))
        return

    if args.file:
        path, args.keep = args.file, True
        print(f"file: {path}, {path.stat().st_size / 1e6:,.0f} MB")
    else:
        workdir = Path(tempfile.mkdtemp(prefix="bench_pecgm_xml_"))
        path = workdir / "PECGM_2A_202610.xml"
        start = time.perf_counter()
        write_file(path, args.records)
        print(
            f"file: {args.records:,} dossiers, {path.stat().st_size / 1e6:,.0f} MB, "
            f"written in {time.perf_counter() - start:.1f} s"
        )
    size_mb = path.stat().st_size / 1e6
    print(f"machine before: {machine_load()}")
    names = [n for n in PHASES if n in args.phases.split(",")]
    runs = {name: [run_phase(name, path, __file__) for _ in range(args.repeat)] for name in names}
    print(f"machine after : {machine_load()}")
    results = {name: median_run(r) for name, r in runs.items()}
    print(f"median of {args.repeat} run(s) per phase, each in a fresh process (min-max):")
    for name, r in results.items():
        times = sorted(x["seconds"] for x in runs[name])
        print(
            f"{name:9s} wall {r['seconds']:7.2f} s ({times[0]:.2f}-{times[-1]:.2f})   "
            f"cpu {r['cpu']:7.2f} s   peak {r['peak_mb']:7.0f} MB "
            f"(+ child {r.get('child_peak_mb', 0):.0f} MB)   dossiers {r['lines']:,}"
        )
    bare, load = results["iterparse"], results.get("load")
    if "stage" in results:
        stage = results["stage"]
        print(
            f"validate only / bare iterparse : wall {stage['seconds'] / bare['seconds']:.2f}x, "
            f"cpu {stage['cpu'] / bare['cpu']:.2f}x"
        )
    figures = [] if load is None else _load_figures(load, bare, size_mb)
    if "command" in results:
        whole = results["command"]
        figures.insert(
            min(1, len(figures)),
            (
                "whole command / bare iterparse",
                f"cpu {whole['cpu'] / bare['cpu']:.2f}x, "
                f"wall {whole['seconds'] / bare['seconds']:.2f}x ({whole['status']})",
                "<= 2x",
            ),
        )
    for label, value, target in figures:
        print(f"{label:31s}: {value}  (target {target})")
    if args.keep:
        print(f"kept: {path}")
    else:
        shutil.rmtree(path.parent)


def _load_figures(load: dict, bare: dict, size_mb: float) -> list[tuple[str, str, str]]:
    """The in-process load's figures (phase `load`), printed only when it was run."""
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in load.get("steps", {}).items())
    print(f"load status: {load['status']}, warehouse {load['warehouse_mb']:.0f} MB; steps: {steps}")
    child = load.get("child_peak_mb", 0.0)  # both peaks added: an upper bound
    return [
        (
            "validate+load / bare iterparse",
            f"cpu {load['cpu'] / bare['cpu']:.2f}x, wall {load['seconds'] / bare['seconds']:.2f}x",
            "<= 2x",
        ),
        (
            "throughput end to end",
            f"{size_mb / load['seconds']:.0f} MB/s wall, {size_mb / load['cpu']:.0f} MB per cpu s",
            ">= 60 MB/s",
        ),
        (
            "peak memory of the load",
            f"{load['peak_mb']:.0f} MB + child {child:.0f} MB = {load['peak_mb'] + child:.0f} MB",
            "< 1536 MB together",
        ),
    ]


if __name__ == "__main__":
    main()
