"""The ``novanode`` command line."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each issue adds its sub-commands here."""
    parser = argparse.ArgumentParser(prog="novanode", description=__doc__)
    parser.add_argument("--version", action="version", version=f"novanode {version('novanode')}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
