"""The benchmark scripts still run end to end (on a tiny input): figures, never timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_pecgm_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_pecgm.py"), "--records", "300",
         "--repeat", "2"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "median of 2 run(s)" in out
    assert "load status: loaded" in out
    for figure in ("validate+load / raw scan", "validate+load / read_fwf", "throughput", "peak"):
        assert figure in out, figure
    rows = [line for line in out.splitlines() if "rows " in line and line.split()[0] != "read_fwf"]
    assert [line.split("rows ")[1] for line in rows] == ["302", "300"]  # header+footer scanned


def test_bench_caf_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_caf.py"), "--mb", "0.2"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    for figure in ("bare, tag filter", "caf.stage / bare iterparse: wall", "cpu", "peak"):
        assert figure in out, figure
    assert "'status': 'loaded'" in out and "'loadable': True" in out
