"""The command-line reference (`docs/cli.md`), generated from the parsers themselves.

    python -m pipelines.cli_doc            # print the reference
    python -m pipelines.cli_doc --write    # rewrite docs/cli.md
    python -m pipelines.cli_doc --check    # exit 1 when docs/cli.md is out of date

As sqlite-utils does with cog: the reference cannot drift from the code, and a test checks
that the committed file is the generated one.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

from pipelines import generated_doc
from pipelines.cli import build_parser

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
WIDTH = "100"  # argparse wraps at $COLUMNS: fixed, so the file is the same on every machine

HEADER = """# Ligne de commande — référence

Page produite par `python -m pipelines.cli_doc --write` à partir des définitions des
commandes (ne pas la modifier à la main : un test vérifie qu'elle est à jour). Le README
montre les usages courants ; cette page donne toutes les commandes et toutes leurs options.

Codes de sortie : 0 fait (ou rien à faire), 1 fichier refusé ou chargement en échec,
2 erreur d'usage ou d'entrée/sortie.
"""


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, summary, parser) of every subcommand, nested ones (`users add`) included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, summaries.get(name, ""), sub
                for nested, summary, deeper in _subcommands(sub):
                    yield f"{name} {nested}", summary, deeper


def commands() -> list[str]:
    """Every subcommand's name, as a user types it after `python -m pipelines`."""
    return [name for name, _, _ in _subcommands(build_parser())]


def render() -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        parser = build_parser()
        parts = [HEADER, "```text", parser.format_help().rstrip(), "```", ""]
        for name, summary, sub in _subcommands(parser):
            parts += [
                f"## `{name}`",
                "",
                f"{summary[0].upper()}{summary[1:]}." if summary else "",
                "",
            ]
            parts += ["```text", sub.format_help().rstrip(), "```", ""]
        return "\n".join(parts)
    finally:
        if previous is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = previous


def main(argv: list[str] | None = None) -> int:
    return generated_doc.main(argv, "python -m pipelines.cli_doc", DOC, render)


if __name__ == "__main__":
    raise SystemExit(main())
