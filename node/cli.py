"""The ``novanode`` command line."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

from node.commands import circuit, demo, monitor, operator, start, submit, tree


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

    prove = commands.add_parser("prove", help="prove a whole job locally as one proof tree")
    prove.add_argument(
        "--circuit", required=True, metavar="builtin:NAME|PATH.r1cs", help="the step circuit"
    )
    witnesses = prove.add_mutually_exclusive_group()
    witnesses.add_argument(
        "--wasm", type=Path, metavar="PATH.wasm", help="a circom circuit's generator"
    )
    witnesses.add_argument(
        "--witness-dir",
        type=Path,
        metavar="DIR",
        help="a circom circuit's steps recorded beforehand, one .wtns file per step",
    )
    prove.add_argument(
        "--z0", required=True, metavar="JSON", help="the initial state, a JSON array"
    )
    prove.add_argument(
        "--advice", type=Path, metavar="PATH.json", help="a JSON array of one input object per step"
    )
    prove.add_argument("--steps", type=int, required=True, metavar="N")
    prove.add_argument("--workers", type=int, default=1, metavar="P")
    prove.add_argument("--out", type=Path, required=True, metavar="FILE")
    prove.add_argument(
        "--cache", type=Path, metavar="DIR", help="a directory keeping circuit shapes across runs"
    )
    prove.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="keep every proven node in DIR and prove none already there: after an interruption, "
        "the same command goes on where it stopped",
    )
    prove.add_argument(
        "--uncompressed",
        action="store_true",
        help="write the root node (megabytes, with its witnesses) instead of the compressed proof",
    )

    verify = commands.add_parser(
        "verify", help="check a proof file (compressed or a root node) and print its statement"
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument("--expect-zn", metavar="JSON", help="fail unless the final state is this")
    verify.add_argument(
        "--expect-job", metavar="HEX", help="fail unless the proof is of this network job"
    )
    verify.add_argument("--r1cs", type=Path, metavar="PATH.r1cs", help="a circom proof's circuit")
    verify.add_argument(
        "--cache", type=Path, metavar="DIR", help="a directory keeping circuit shapes across runs"
    )

    inspect = commands.add_parser(
        "inspect", help="print a proof file's kind, statement and sizes (no verification)"
    )
    inspect.add_argument("file", type=Path, metavar="FILE")

    keygen = commands.add_parser(
        "keygen", help="create the node's identity key in its data directory; prints the peer id"
    )
    keygen.add_argument("--data-dir", type=Path, metavar="DIR", help="default ~/.novanode")
    keygen.add_argument(
        "--force", action="store_true", help="replace an existing key (a new peer id)"
    )

    start_command = commands.add_parser(
        "start", help="run the node until SIGINT or SIGTERM; prints its full listen addresses"
    )
    add_node_options(start_command)
    config_check = commands.add_parser(
        "config-check", help="print the configuration `start` would use, or what is wrong in it"
    )
    add_node_options(config_check)

    request = commands.add_parser(
        "submit", help="ask a network for a proof of a job; writes the verified proof file"
    )
    request.add_argument(
        "--bootstrap", nargs="+", required=True, metavar="MULTIADDR", help="nodes to dial"
    )
    request.add_argument(
        "--circuit", required=True, metavar="builtin:NAME|PATH.r1cs", help="the step circuit"
    )
    inputs = request.add_mutually_exclusive_group()
    inputs.add_argument("--wasm", type=Path, metavar="PATH.wasm", help="a circom generator")
    inputs.add_argument(
        "--witness-dir",
        type=Path,
        metavar="DIR",
        help="a circom circuit's steps computed beforehand, one .wtns file per step",
    )
    request.add_argument("--z0", required=True, metavar="JSON", help="the initial state")
    request.add_argument(
        "--advice", type=Path, metavar="PATH.json", help="a JSON array of one input object per step"
    )
    request.add_argument("--steps", type=int, required=True, metavar="N")
    request.add_argument("--out", type=Path, required=True, metavar="PROOF")
    request.add_argument(
        "--workers", type=int, default=1, metavar="P", help="wait for at least P workers"
    )
    request.add_argument(
        "--data-dir",
        type=Path,
        default=Path("~/.novanode/requester"),
        metavar="DIR",
        help="the requester's key and jobs (default ~/.novanode/requester)",
    )
    request.add_argument(
        "--wait", type=float, default=30.0, metavar="S", help="how long to wait for workers"
    )

    demo_command = commands.add_parser(
        "demo",
        help="start a local network, prove a job on it, verify the proof and print a summary",
    )
    demo_command.add_argument(
        "--nodes", type=int, default=demo.DEFAULT_NODES, metavar="N", help="node processes"
    )
    demo_command.add_argument(
        "--steps", type=int, default=demo.DEFAULT_STEPS, metavar="S", help="steps of the job"
    )
    demo_command.add_argument(
        "--circuit",
        default=demo.DEFAULT_CIRCUIT,
        metavar="builtin:NAME",
        help=f"a built-in step circuit (default {demo.DEFAULT_CIRCUIT})",
    )

    for name, what in (
        ("status", "the running node's id, addresses and uptime"),
        ("peers", "the running node's peers and their scores"),
    ):
        query = commands.add_parser(name, help=f"print {what}, from its local API")
        query.add_argument("--config", type=Path, metavar="FILE.toml", help="a config file")
        query.add_argument(
            "--api-port", type=int, metavar="P", help="the API's port (default: the config's)"
        )
    return parser


NODE_OPTIONS = (
    "listen",
    "bootstrap",
    "data-dir",
    "capacity",
    "api-port",
    "log-level",
    "log-format",
)
"""The options of `start` that override its config file's keys of the same names."""


def add_node_options(parser: argparse.ArgumentParser) -> None:
    """``--config`` and the options that override its keys (`node.config`)."""
    parser.add_argument("--config", type=Path, metavar="FILE.toml", help="a config file")
    parser.add_argument("--listen", metavar="MULTIADDR", help="e.g. /ip4/0.0.0.0/tcp/4001")
    parser.add_argument(
        "--bootstrap", nargs="+", metavar="MULTIADDR", help="peers to dial: /ip4/…/tcp/…/p2p/…"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="default ~/.novanode")
    parser.add_argument("--capacity", type=int, metavar="N", help="tasks proven at once")
    parser.add_argument("--api-port", type=int, metavar="P", help="the local HTTP API's port")
    parser.add_argument("--log-level", metavar="LEVEL", help="debug, info, warning or error")
    parser.add_argument(
        "--log-format", metavar="FORMAT", help="text (key=value) or json, one record a line"
    )


def node_overrides(args: argparse.Namespace) -> dict[str, object]:
    """The config keys the command line sets (None where it sets nothing)."""
    return {option: getattr(args, option.replace("-", "_")) for option in NODE_OPTIONS}


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
    if args.command == "prove":
        return tree.prove(
            args.circuit,
            wasm=args.wasm,
            witness_dir=args.witness_dir,
            z0=args.z0,
            advice_path=args.advice,
            steps=args.steps,
            workers=args.workers,
            out_path=args.out,
            cache_dir=args.cache,
            resume=args.resume,
            uncompressed=args.uncompressed,
        )
    if args.command == "verify":
        return tree.verify(
            args.file,
            expect_zn=args.expect_zn,
            expect_job=args.expect_job,
            r1cs=args.r1cs,
            cache_dir=args.cache,
        )
    if args.command == "inspect":
        return tree.inspect(args.file)
    if args.command == "submit":
        return submit.submit(
            submit.SubmitOptions(
                bootstrap=args.bootstrap,
                circuit=args.circuit,
                wasm=args.wasm,
                witness_dir=args.witness_dir,
                z0=args.z0,
                advice=args.advice,
                steps=args.steps,
                out=args.out,
                workers=args.workers,
                data_dir=args.data_dir,
                wait_s=args.wait,
            )
        )
    if args.command == "keygen":
        return operator.keygen(args.data_dir, force=args.force)
    if args.command == "start":
        return start.start(args.config, node_overrides(args))
    if args.command == "config-check":
        return operator.config_check(args.config, node_overrides(args))
    if args.command == "demo":
        return demo.demo(args.nodes, args.steps, args.circuit)
    if args.command in ("status", "peers"):
        query = monitor.status if args.command == "status" else monitor.peers
        return query(args.config, {"api-port": args.api_port})
    parser.error(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
