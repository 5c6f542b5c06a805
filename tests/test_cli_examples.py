"""Every command and subcommand of `python -m pipelines` shows an example in its `--help`,
and every example is a command line the parser accepts (an option renamed without its
example fails here, not in front of a user)."""

from __future__ import annotations

import argparse
import shlex

import pytest

from pipelines import cli, cli_doc
from pipelines.cli_registry import epilog

PROGRAM = "python -m pipelines"


def _parsers() -> dict[str, argparse.ArgumentParser]:
    return {name: sub for name, _, sub in cli_doc._subcommands(cli.build_parser())}


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    """The command lines of a parser's epilog (notes in parentheses left out)."""
    return [
        line.strip()
        for line in (parser.epilog or "").splitlines()
        if line.strip().startswith(PROGRAM)
    ]


@pytest.mark.parametrize("command", cli_doc.commands())
def test_every_command_shows_an_example_of_itself_in_its_help(command) -> None:
    parser = _parsers()[command]
    examples = _examples(parser)
    assert examples, f"« {command} » n'a pas d'exemple dans son --help"
    assert all(e.startswith(f"{PROGRAM} {command} ") or e == f"{PROGRAM} {command}"
               for e in examples), examples  # fmt: skip
    help_text = parser.format_help()
    assert help_text.rstrip().endswith(parser.epilog)  # printed last, as written
    assert "\nexemple :\n" in help_text or "\nexemples :\n" in help_text


@pytest.mark.parametrize("command", cli_doc.commands())
def test_every_example_is_accepted_by_the_parser(command) -> None:
    for example in _examples(_parsers()[command]):
        args = cli.build_parser().parse_args(shlex.split(example)[3:])
        assert args.command == command.split()[0]


def test_every_registered_command_is_run_by_main() -> None:
    assert set(cli.COMMANDS) == {name for name in cli_doc.commands() if " " not in name}


def test_the_example_heading_says_one_or_several() -> None:
    assert epilog("python -m pipelines journal") == "exemple :\n  python -m pipelines journal"
    assert epilog(f"{PROGRAM} a\n{PROGRAM} b\n(note)") == (
        f"exemples :\n  {PROGRAM} a\n  {PROGRAM} b\n  (note)"
    )
