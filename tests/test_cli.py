"""The command line: French help, exit codes, one-line errors, the indicators contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pipelines.cli import main
from tests.conftest import pecgm_lines, write_pecgm

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args], cwd=REPO, capture_output=True, text=True
    )


def test_usage_error_exits_2_in_one_line() -> None:
    result = run("load")
    assert result.returncode == 2 and "erreur" in result.stderr and "Traceback" not in result.stderr


def test_missing_file_exits_2_without_traceback(tmp_path) -> None:
    result = run("load", "pecgm", str(tmp_path / "absent.txt"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"erreur : Fichier introuvable : {tmp_path / 'absent.txt'}"
    ]


def test_unknown_source_exits_2(tmp_path) -> None:
    path = write_pecgm(tmp_path / "f.txt", pecgm_lines())
    assert run("validate", "xyz", str(path)).returncode == 2


def test_auto_detects_pecgm_and_validate_writes_nothing(tmp_path, settings, capsys) -> None:
    path = write_pecgm(tmp_path / "f.txt", pecgm_lines())
    assert main(["validate", "auto", str(path)]) == 0
    assert "Fichier chargeable." in capsys.readouterr().out
    assert not settings.db_path.exists()


def test_journal_lists_loads(tmp_path, capsys) -> None:
    path = write_pecgm(tmp_path / "PECGM_2A_202610.txt", pecgm_lines())
    main(["load", "pecgm", str(path)])
    capsys.readouterr()
    assert main(["journal"]) == 0
    out = capsys.readouterr().out
    assert "PECGM_2A_202610.txt" in out and "loaded" in out and "ISO-8859-1" in out


def test_indicators_json_contract(tmp_path, capsys) -> None:
    lines = pecgm_lines(persons=100)
    path = write_pecgm(tmp_path / "f.txt", lines)
    main(["load", "pecgm", str(path)])
    capsys.readouterr()
    assert main(["indicators", "--departement", "2A", "--month", "2026-10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in (
        "departement",
        "month",
        "stock_total",
        "categorie",
        "modalite",
        "axe",
        "cer_notifie_share",
        "contact_90j_share",
        "orientations",
    ):
        assert key in data
    assert data["stock_total"] == len(lines) - 2
    assert sum(data["categorie"].values()) == data["stock_total"] == sum(data["modalite"].values())
    assert (
        0 <= data["cer_notifie_share"] <= 1
        and round(data["cer_notifie_share"], 4) == data["cer_notifie_share"]
    )


def test_indicators_on_an_empty_month_are_null_shares(tmp_path, capsys) -> None:
    main(["load", "pecgm", str(write_pecgm(tmp_path / "f.txt", pecgm_lines()))])
    capsys.readouterr()
    main(["indicators", "--departement", "2A", "--month", "2020-01"])
    data = json.loads(capsys.readouterr().out)
    assert (
        data["stock_total"] == 0 and data["cer_notifie_share"] is None and data["categorie"] == {}
    )


def test_indicators_csv(tmp_path, capsys) -> None:
    main(["load", "pecgm", str(write_pecgm(tmp_path / "f.txt", pecgm_lines()))])
    capsys.readouterr()
    main(["indicators", "--departement", "2A", "--month", "2026-10", "--csv"])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "indicateur;code;valeur" and any(
        line.startswith("categorie;1;") for line in out
    )
