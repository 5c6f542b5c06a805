"""The benchmark scripts still run end to end (on a tiny input): figures, never timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_bench_pecgm_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_pecgm.py"), "--records", "300",
         "--repeat", "2"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "median of 2 run(s)" in out
    assert "load status: loaded" in out
    for figure in (
        "validate+load / raw scan",
        "validate+load / read_fwf",
        "whole command / raw scan",
        "throughput",
        "peak",
    ):
        assert figure in out, figure
    assert "whole command: loaded, 300 records loaded" in out
    rows = [line for line in out.splitlines() if "rows " in line and line.split()[0] != "read_fwf"]
    assert [line.split("rows ")[1] for line in rows] == ["302", "300", "300"]  # header+footer


def test_bench_sauvegarde_prints_every_figure(sample_db) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_sauvegarde.py"), "--db", str(sample_db)],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    for figure in ("sauvegarde :", "restauration", "lecteur au repos", "pendant la sauvegarde"):
        assert figure in out, figure


def test_bench_api_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_api.py"), "--persons", "40",
         "--delay", "0.01", "--concurrency", "4"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "status: loaded; found 36, not found 4, errors 0" in out
    assert "max in flight (server side):" in out and "(within the bound)" in out
    for figure in ("wall time", "calls alone", "ideal", "throughput", "load:"):
        assert figure in out, figure


def test_bench_rapport_prints_every_phase(one_month_db) -> None:
    """On a warehouse of one PECGM file: every phase (imports, build, html, pdf) still runs."""
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_comite.py"), "--db", str(one_month_db),
         "--repeat", "1"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "Rapport du comité 2A 2026-10 — 1 exécution(s)" in out
    for phase in ("imports", "build", "html", "pdf", "whole"):
        assert f"  {phase} " in out, phase


def test_bench_pecgm_xml_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_pecgm_xml.py"), "--records", "300"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "load status: loaded" in out and "machine before: load average" in out
    for figure in ("validate+load / bare iterparse", "throughput", "peak memory"):
        assert figure in out, figure
    assert "whole command / bare iterparse" in out and "(loaded)" in out
    counts = [
        line.split("dossiers ")[1]
        for line in out.splitlines()
        if "peak" in line and "dossiers " in line
    ]
    assert counts == ["300", "300", "300", "300"]


def test_bench_caf_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_caf.py"), "--mb", "0.2"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    for figure in ("bare, tag filter", "caf.stage / bare iterparse: wall", "cpu", "peak"):
        assert figure in out, figure
    assert "'status': 'loaded'" in out and "'loadable': True" in out


def test_bench_startup_prints_every_figure() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_startup.py"), "--repeat", "1",
         "--persons", "60"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    assert "machine before: load average" in out and "interpreter alone" in out
    for source in ("cgpem", "lrsa", "parcours"):
        line = next(x for x in out.splitlines() if x.startswith(f"validate {source} "))
        assert "whole command wall" in line and "exit 0" in line and "target <= 0.6 s" in line
    assert out.count("start-up: imports") == 3
    assert out.count("heavy packages imported: none") == 3


def test_bench_pages_times_a_page_that_draws(sample_db) -> None:
    """The page timed is the page a signed-in user sees (the bench stops on a refused or
    empty run), and the targets are printed with their verdict. The quality page, opened
    by the data steward's account (the first whose role may: the committee's would be
    refused), without the filling after a load (a whole cache fill, proven by
    tests/test_warm_caches.py): a tenth of the Synthèse's cost."""
    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_pages.py"), "--db", str(sample_db),
         "--runs", "1", "--page", "qualite", "--no-fill"],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    assert any(line.split()[:2] == ["qualite", "donnees"] for line in out.splitlines()), out
    assert "objectif première vue ≤ 300 ms" in out and "objectif p95 à chaud ≤ 100 ms" in out
    assert "load average before:" in out and "load average after:" in out


def test_bench_precalcul_prints_each_stored_read(sample_db) -> None:
    """Each read a write stores, with its count and size, then the whole computation."""
    from pipelines import precalcul

    out = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_precalcul.py"), "--db",
         str(sample_db), "--repeat", "1"],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    listed = {line.split()[0] for line in out.splitlines()[2:] if line.split()[-1].endswith("s")}
    assert set(precalcul.READS) <= listed, out
    assert "calcul complet (deux à la fois) :" in out and "résultats, médiane" in out


def test_bench_browser_names_a_page_that_never_draws(page, monkeypatch) -> None:
    """A page whose run never ends stops the browser benchmark with its title, what was
    still missing and a screenshot, never with a figure or Playwright's bare timeout."""
    from benchmarks import bench_browser

    monkeypatch.setattr(bench_browser, "WAIT_MS", 300)
    page.set_content(
        '<div data-testid="stApp" data-test-script-state="running"><h1>Synthèse</h1>'
        '<div data-testid="stPlotlyChart"></div></div>'
    )
    with pytest.raises(SystemExit) as stopped:
        bench_browser._drawn_ms(page, "Synthèse")
    message = str(stopped.value)
    assert message.startswith("« Synthèse » n'est pas dessinée")
    assert "exécution running" in message and "titre présent" in message
    assert "0 graphique(s) dessiné(s) sur 1" in message
    shot = Path(message.rsplit("Capture : ", 1)[1])
    assert shot.stat().st_size > 0
    shot.unlink()
