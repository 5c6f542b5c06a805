"""A page of `docs/` generated from the code (the command-line reference, the indicators'
reference): printed, rewritten with --write, or checked with --check (exit 1 when the
committed page is not the generated one), the same way for every such page."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def main(argv: list[str] | None, prog: str, doc: Path, render: Callable[[], str]) -> int:
    parser = argparse.ArgumentParser(prog=prog)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        doc.write_text(text, encoding="utf-8")
    elif args.check:
        if not doc.exists() or doc.read_text(encoding="utf-8") != text:
            print(f"{doc} n'est pas à jour : {prog} --write", file=sys.stderr)
            return 1
    else:
        print(text, end="")
    return 0
