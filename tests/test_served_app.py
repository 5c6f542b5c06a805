"""The dashboard as `make run` and the systemd unit serve it (`dashboard.serve`, run from the
repository, so with its .streamlit/config.toml): the caches are filled as soon as the
server is up, before anyone signs in, and GET /_pilotage/pret says when they are; no
source file is watched (Streamlit's watcher walked every imported module at each new
session and after each run: 0.4 to 1 s of every page reload, docs/performances.md)."""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request

import pytest

from dashboard.readiness import READY_PATH
from pipelines import loader
from pipelines.settings import Settings
from tests.conftest import REPO, TEST_KEY, pecgm_lines, write_pecgm
from tests.test_e2e_browser import serve


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_the_server_fills_its_caches_at_start_and_says_when(one_month_db, tmp_path) -> None:
    env = {
        "PILOTAGE_DB": str(one_month_db),
        "PILOTAGE_SECRET_KEY": TEST_KEY,
        "PILOTAGE_KEY_FILE": str(tmp_path / "cle"),
    }
    for url in serve(env):  # no page is ever opened on this server
        deadline = time.monotonic() + 300  # a guard against a filling that never ends
        status, state = _get(url + READY_PATH)
        while status != 200:
            # filling since the start; « a_venir » would mean it waits for a first visitor
            assert (status, state) == (503, "en_cours")
            assert time.monotonic() < deadline, "le remplissage des caches ne finit pas"
            time.sleep(0.2)  # polling the server's state, not waiting for a fixed time
            status, state = _get(url + READY_PATH)
        assert state == "pret"

        # A load by another process (the arrivals timer), then what its service runs
        # after it: the server starts filling the new generation at once.
        later = write_pecgm(tmp_path / "PECGM_suivant.txt", pecgm_lines(month="2026-11"))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PILOTAGE_SECRET_KEY", TEST_KEY)
            assert loader.load("pecgm", later, Settings.from_env(one_month_db)).status == "loaded"
        asked = subprocess.run(
            [sys.executable, "-m", "dashboard.readiness", "--url", url],
            cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        assert asked.stdout.strip() == "a_venir"
        assert _get(url + READY_PATH)[1] in ("en_cours", "pret")  # started, without a visitor


def test_the_served_app_watches_no_source_file() -> None:
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    # ...and every way of serving it reads that file: run from the repository
    unit = (REPO / "deploy" / "systemd" / "pilotage-rsa.service").read_text(encoding="utf-8")
    assert "WorkingDirectory=/opt/pilotage-rsa" in unit
    assert "-m dashboard.serve" in (REPO / "Makefile").read_text(encoding="utf-8")
