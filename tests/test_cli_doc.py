"""The command-line reference is generated from the parsers, and every command answers --help
at once (without importing the runtime)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli_doc
from pipelines.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_docs_cli_md_is_the_generated_reference():
    assert cli_doc.DOC.read_text(encoding="utf-8") == cli_doc.render(), (
        "docs/cli.md est à régénérer : python -m pipelines.cli_doc --write"
    )


@pytest.mark.parametrize("command", cli_doc.commands())
def test_every_command_is_documented_and_answers_help(command, capsys):
    assert f"## `{command}`" in cli_doc.DOC.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main([*command.split(), "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("utilisation : python -m pipelines")
    assert "show this help message" not in out and "usage:" not in out  # French throughout


def test_help_does_not_import_the_runtime():
    """`--help` answers without DuckDB, Great Expectations or argon2 (lazy imports)."""
    code = (
        "import sys, runpy\n"
        "sys.argv = ['pipelines', '--help']\n"
        "try:\n    runpy.run_module('pipelines', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('duckdb', 'great_expectations', 'argon2', 'pandas') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["load"], "arguments obligatoires manquants : source, file"),
        (["journal", "--limit", "x"], "argument --limit : valeur invalide 'x'"),
        (
            ["indicators", "--departement", "2A", "--month", "2026-13"],
            "argument --month : mois attendu au format AAAA-MM",
        ),
        (["chargerr"], "argument command : choix invalide 'chargerr'"),
    ],
)
def test_usage_errors_are_french_one_liners(argv, message, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"erreur : {message}" in err
    assert "Traceback" not in err


def test_the_old_mois_option_is_still_accepted():
    args = cli_doc.build_parser().parse_args(
        ["load", "lrsa", "f.csv", "--departement", "2A", "--mois", "2026-10"]
    )
    assert args.month == "2026-10"
