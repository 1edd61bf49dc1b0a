"""`hoidap`: the command line, put together from the interface commands (ui/) and the
evaluation commands (evals/), so that neither package imports the other."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from evals import cli as eval_cli
    from ui import cli as ui_cli

    parser = argparse.ArgumentParser(prog="hoidap", description="Cited answers about the book and the plans for studying it.")
    sub = parser.add_subparsers(dest="command", required=True)
    ui_cli.add_commands(sub)
    eval_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
