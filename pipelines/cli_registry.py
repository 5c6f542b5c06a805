"""What every command of `python -m pipelines` is made of, apart from the commands themselves:
the French argparse parser, the option types checked before a command runs, and the
registry that keeps each command's options and example beside its handler.

A command is one unit in its module (`cli.py`, `oarsa_cli.py`):

    def validate_options(parser): ...            # its arguments

    @COMMANDS.command("validate", help="...", example="python -m pipelines validate ...",
                      options=validate_options)
    def cmd_validate(args): ...                  # its handler

`cli.build_parser()` adds the registered commands in order; the example becomes the
`--help` epilog (tests/test_cli_doc.py checks every command and subcommand has one).
Imports nothing heavy, and no command module: `oarsa_cli` and `cli` both read it.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass

from pipelines.errors import UsageError
from pipelines.nomenclatures import departement_code

# Commands whose work lives in a layer above the library (the committee's PDF and the
# OARSA annex are dashboard products; the demo warehouse is built from sample_data/): named
# here as package entry points are, "module:function", and imported only when the command
# runs, so that `pipelines` never imports `dashboard` nor `sample_data` (tests/test_layering.py).
ENTRIES = {
    "rapport": "dashboard.rapport_commande:run",
    "demo": "sample_data.demo:build_demo",
    "oarsa --pdf": "dashboard.oarsa_annexe:pdf_bytes",
}


def entry(command: str) -> Callable:
    """The function an upper layer provides for `command` (see ENTRIES), imported now."""
    module, _, function = ENTRIES[command].partition(":")
    return getattr(importlib.import_module(module), function)


class Formatter(argparse.HelpFormatter):
    """argparse's help, in French ("utilisation :" rather than "usage:")."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:  # type: ignore[override]
        # prefix "" is argparse naming a subcommand's program: left as it is.
        super().add_usage(usage, actions, groups, "utilisation : " if prefix is None else prefix)


# argparse's own messages, in French (it has no French catalogue of its own).
_ARGPARSE_MESSAGES = (
    (r"the following arguments are required: (.*)", "arguments obligatoires manquants : {0}"),
    (r"unrecognized arguments: (.*)", "arguments non reconnus : {0}"),
    (
        r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)",
        "argument {0} : choix invalide {1} (choix possibles : {2})",
    ),
    (r"argument (.*?): expected one argument", "argument {0} : une valeur est attendue"),
    (r"argument (.*?): invalid (\w+) value: (.*)", "argument {0} : valeur invalide {2}"),
    (
        r"argument (.*?): not allowed with argument (.*)",
        "argument {0} : incompatible avec l'argument {1}",
    ),
    (r"ambiguous option: (.*?) could match (.*)", "option ambiguë : {0} (possibles : {1})"),
    (r"argument (.*?): (.*)", "argument {0} : {1}"),  # a message of ours (type=month…)
)


def _french(message: str) -> str:
    for pattern, template in _ARGPARSE_MESSAGES:
        if match := re.fullmatch(pattern, message):
            return template.format(*match.groups())
    return message


class Parser(argparse.ArgumentParser):
    """argparse in French: help and section titles translated, usage errors exit 2 with a
    French one-liner (argparse's default is 2 too). The epilog (a command's examples) is
    printed as written, line breaks kept; the rest of the help is wrapped as usual."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="afficher cette aide"
        )

    def format_help(self) -> str:
        epilog, self.epilog = self.epilog, None
        try:
            text = super().format_help()
        finally:
            self.epilog = epilog
        return f"{text}\n{epilog}\n" if epilog else text

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"erreur : {_french(message)}", file=sys.stderr)
        raise SystemExit(2)


def month(value: str) -> str:
    """A month typed on the command line (AAAA-MM), checked before any command runs."""
    if not re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError("mois attendu au format AAAA-MM, par exemple 2026-10")
    return value


def departement(value: str) -> str:
    """A département typed on the command line, checked against the one list
    (`nomenclatures.departements`) before any command runs; « 2a » is read « 2A »."""
    try:
        return departement_code(value)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error).rstrip(".")) from error


def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every command has: the warehouse file, and `--debug` after the command."""
    p.add_argument(
        "--db",
        help="fichier DuckDB de l'entrepôt (défaut : $PILOTAGE_DB ou data/pilotage.duckdb)",
    )
    # SUPPRESS as default: a subcommand's own default must not reset the top-level
    # `--debug` (argparse copies subparser defaults over the namespace).
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    return p


def epilog(example: str) -> str:
    """A command's examples as its help shows them: one command line per line (a line in
    parentheses is a note about them), under « exemple : » or « exemples : »."""
    lines = example.strip("\n").splitlines()
    plural = sum(line.startswith("python -m pipelines") for line in lines) > 1
    return ("exemples :\n" if plural else "exemple :\n") + "\n".join(f"  {x}" for x in lines)


def add_command(sub, name: str, *, help: str, example: str, **kwargs) -> argparse.ArgumentParser:
    """A (sub)command's parser, with the common options and its example as epilog."""
    return with_db(sub.add_parser(name, help=help, epilog=epilog(example), **kwargs))


@dataclass(frozen=True)
class Command:
    """One command: its name, help, example and options, and the handler that runs it."""

    name: str
    run: Callable[[argparse.Namespace], int]
    options: Callable[[argparse.ArgumentParser], None]
    help: str
    example: str
    description: str | None = None

    def register(self, sub) -> argparse.ArgumentParser:
        extra = {"description": self.description} if self.description else {}
        parser = add_command(sub, self.name, help=self.help, example=self.example, **extra)
        self.options(parser)
        return parser


class Commands(dict[str, Command]):
    """A module's commands, in the order their help lists them."""

    def command(
        self,
        name: str,
        *,
        help: str,
        example: str,
        options: Callable[[argparse.ArgumentParser], None] = lambda parser: None,
        description: str | None = None,
    ) -> Callable:
        def register(run: Callable[[argparse.Namespace], int]) -> Callable:
            self[name] = Command(name, run, options, help, example, description)
            return run

        return register
