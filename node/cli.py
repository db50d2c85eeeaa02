"""The ``novanode`` command line."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

from node.commands import circuit


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each issue adds its sub-commands here."""
    parser = argparse.ArgumentParser(prog="novanode", description=__doc__)
    parser.add_argument("--version", action="version", version=f"novanode {version('novanode')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("circuit-info", help="print a circom circuit's field and counts")
    info.add_argument("r1cs", type=Path, metavar="PATH.r1cs")

    check = commands.add_parser(
        "circuit-check",
        help="check a witness against a circom circuit (exit 1 names the failing constraint)",
    )
    check.add_argument("r1cs", type=Path, metavar="PATH.r1cs")
    source = check.add_mutually_exclusive_group(required=True)
    source.add_argument("--witness", type=Path, metavar="STEP.wtns", help="a witness file")
    source.add_argument("--wasm", type=Path, metavar="PATH.wasm", help="a witness generator")
    check.add_argument(
        "--input", type=Path, metavar="INPUT.json", help="the generator's inputs (with --wasm)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "circuit-info":
        return circuit.circuit_info(args.r1cs)
    if args.command == "circuit-check":
        if (args.wasm is None) != (args.input is None):
            parser.error("circuit-check: --wasm and --input go together")
        return circuit.circuit_check(
            args.r1cs, witness_path=args.witness, wasm_path=args.wasm, input_path=args.input
        )
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
