"""No fixed cost on the way to a verdict: a check or a load of a small file, in a fresh
process, ends without Great Expectations, pandas, plotly or streamlit in `sys.modules`
(lxml neither, for a file that is not XML; nor pyarrow and numpy, for a small tabular
file: `readers/columns.py`). A state check, not a timed test: the time is
benchmarks/bench_startup.py's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sample_data.demo import sample_files

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("great_expectations", "pandas", "plotly", "streamlit", "lxml", "scipy", "altair")
HEAVY += ("pyarrow", "numpy")  # a small tabular file's columns reach DuckDB as parameters
PROBE = f"""
import json, sys
from pipelines.cli import main
code = main(sys.argv[1:])
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


def _run(*args: str) -> dict:
    """`python -m pipelines ARGS` in a fresh process: its exit code and heavy imports."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sample(source: str) -> list[str]:
    found = [p for s, p in sample_files() if s == source]
    path = found[-1]
    return [str(p) for p in path] if isinstance(path, list) else [str(path)]


@pytest.mark.parametrize("source", ["cgpem", "lrsa", "parcours"])
def test_a_check_answers_without_heavy_imports(source) -> None:
    outcome = _run("validate", source, *_sample(source), "--departement", "2A")
    assert outcome == {"code": 0, "heavy": []}


def test_a_load_answers_without_heavy_imports(settings) -> None:
    """A load writes the warehouse, the journal, the report folder and the audit: none of
    it needs GX (its Data Docs are rendered when asked for) nor pandas."""
    outcome = _run("load", "cgpem", *_sample("cgpem"), "--departement", "2A")
    assert outcome == {"code": 0, "heavy": []}
    folder = next((settings.db_path.parent / "rapports").glob("chargement_*"))
    assert [p.name for p in folder.iterdir()] == ["rapport.html"]


def test_asking_for_the_data_docs_renders_them(settings, tmp_path) -> None:
    """The Data Docs come when asked for (`report N --data-docs`), GX imported then."""
    assert _run("load", "cgpem", *_sample("cgpem"), "--departement", "2A")["code"] == 0
    outcome = _run("report", "1", "--data-docs", str(tmp_path / "dd"))
    assert outcome["code"] == 0 and "great_expectations" in outcome["heavy"]
    assert (tmp_path / "dd" / "data_docs" / "index.html").exists()


PAGE_CHECK = """
import json, sys
from pathlib import Path
from dashboard.uploads import arrivals
from dashboard.views import chargement as view
from pipelines.access import User

user = User("steward", "donnees", ("2A",))
settings = view.settings_for(user)
folder = view.arrivals_dir(settings)
folder.mkdir(parents=True, exist_ok=True)
source = Path(sys.argv[1])
(folder / source.name).write_bytes(source.read_bytes())
arrival = next(a for a in arrivals(folder) if a.path.name == source.name)
request = view.Request("cgpem", [], [arrival], "2A", None, None)
checked = view.check(user, settings, request, {})
print(json.dumps({"verdict": checked.verdict, "gx": "great_expectations" in sys.modules}))
"""


def test_the_chargement_page_check_answers_without_great_expectations() -> None:
    """The page's check keeps its report without rendering Data Docs: its button renders
    them when clicked (tests/test_e2e_browser.py opens them offline)."""
    done = subprocess.run(
        [sys.executable, "-c", PAGE_CHECK, *_sample("cgpem")],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"verdict": "Fichier chargeable.", "gx": False}
