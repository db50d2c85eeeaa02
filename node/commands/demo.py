"""`novanode demo`: the whole system on one machine, from nothing to a verified proof.

It starts a local network of `novanode start` processes (`node.localnet`: temporary data
directories, loopback, free ports), waits until they are connected, and runs a requester in
this process (the SDK, `node.client`) that submits a real job of a built-in circuit to all of
them and shows its progress per tree level (`node.commands.progress_view`). When the proof
comes back it reads each node's counters from its local API (what it proved, merged and
verified, and in how many seconds), stops the network, and verifies the compressed proof
offline, as anyone holding the circuit could: against the statement the requester expects from
its own trace (z0, the step count, the final state) and the job's id. It prints a summary and
removes every temporary directory, also on Ctrl-C or SIGTERM.

Exit codes: 0 when the proof verified, 1 when the job failed or its proof did not verify, 2 for
unusable options or a node that did not start or stopped answering (with its log's tail), 130
after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TextIO

import trio

from crypto.circuit.builtins import PREFIX, builtin
from crypto.circuit.step import Advice
from crypto.errors import CryptoError
from crypto.snark import compressed
from crypto.tree.node import Statement
from crypto.tree.params import public_params
from node.client import (
    Expected,
    ProofResult,
    TracedJob,
    builtin_spec,
    connect,
    prepare,
    verify_offline,
)
from node.commands.progress_view import show_progress
from node.errors import JobSpecError, NodeError
from node.localnet import LocalNet, LocalNode, open_localnet

OK, FAILED, UNUSABLE, INTERRUPTED = 0, 1, 2, 130
DEFAULT_NODES: Final = 4
DEFAULT_STEPS: Final = 16
DEFAULT_CIRCUIT: Final = "builtin:cubic?log2=10"
"""The reference circuit every node proves at start to measure its speed (`node.capacity`): its
parameters are then in each node's cache, so the nodes claim the job at once instead of first
deriving them, which on a busy machine can take longer than the claim window (SPEC §8)."""
MAX_DEMO_NODES: Final = 32
"""More processes than a workstation runs side by side usefully."""
JOB_TIMEOUT_S: Final = 600.0
WORKER_WAIT_S: Final = 60.0
LOOPBACK: Final = "/ip4/127.0.0.1/tcp/0"


@dataclass(frozen=True)
class NodeWork:
    """One node's share of the job, from its /metrics (its counters start at zero)."""

    name: str
    peer_id: str
    leaves: int
    merges: int
    verified: int
    compressed: bool
    proving_s: float


@dataclass(frozen=True)
class Outcome:
    """What the requester got: the proof and the statement it expects, or why it has none."""

    result: ProofResult | None
    expected: Expected | None
    job_s: float
    error: str = ""


def demo(
    nodes: int = DEFAULT_NODES,
    steps: int = DEFAULT_STEPS,
    circuit: str = DEFAULT_CIRCUIT,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Runs the demo; see the module docstring."""
    out, err = out or sys.stdout, err or sys.stderr
    if not 1 <= nodes <= MAX_DEMO_NODES:
        print(f"novanode demo: --nodes must be 1 to {MAX_DEMO_NODES}, got {nodes}", file=err)
        return UNUSABLE
    if steps < 1:
        print(f"novanode demo: --steps must be at least 1, got {steps}", file=err)
        return UNUSABLE
    try:
        traced = demo_job(circuit, steps)
    except (CryptoError, JobSpecError) as error:
        print(f"novanode demo: --circuit: {error}", file=err)
        return UNUSABLE
    began = time.perf_counter()
    previous = signal.signal(signal.SIGTERM, _as_interrupt)
    try:
        with open_localnet() as net:
            print(f"starting {nodes} nodes on loopback (each measures its speed first) …", file=out)
            net.start_many(nodes, together=True)
            net.wait_connected()
            for node in net.nodes:
                print(f"  {node.name}  {node.address}", file=out)
            print(
                f"network up in {time.perf_counter() - began:.1f} s; submitting {steps} steps "
                f"of {circuit} to {nodes} nodes",
                file=out,
                flush=True,
            )
            outcome = trio.run(_request, net, traced, nodes, out)
            work = [node_work(node) for node in net.nodes]
            print("stopping the network", file=out, flush=True)
    except KeyboardInterrupt:
        return _interrupted(err)
    except BaseExceptionGroup as group:  # Ctrl-C inside trio's nurseries
        if group.subgroup(KeyboardInterrupt) is None:
            raise
        return _interrupted(err)
    except NodeError as error:
        print(f"novanode demo: {error}", file=err)
        return UNUSABLE
    finally:
        signal.signal(signal.SIGTERM, previous)
    if outcome.result is None or outcome.expected is None:
        print(f"novanode demo: the job failed: {outcome.error}", file=err)
        return FAILED
    print("verifying the proof offline (first deriving the circuit's keys) …", file=out, flush=True)
    try:
        statement, verify_s = verify(traced, outcome.result, outcome.expected)
    except NodeError as error:
        print(f"novanode demo: {error}", file=err)
        return FAILED
    print(
        f"proof verified: {statement.b - statement.a} steps of {circuit} take z0 "
        f"{_states(statement.z_a)} to zN {_states(statement.z_b)} (job {outcome.result.job.hex()})",
        file=out,
    )
    _print_summary(
        out, work, outcome, len(outcome.result.proof), verify_s, time.perf_counter() - began
    )
    return OK


def _as_interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the demo as Ctrl-C does: re-raised as SIGINT, which trio turns into
    KeyboardInterrupt at a safe point, so the nodes are stopped and their directories removed."""
    signal.raise_signal(signal.SIGINT)


def _interrupted(err: TextIO) -> int:
    print("\ninterrupted: the nodes were stopped and their directories removed", file=err)
    return INTERRUPTED


def demo_job(circuit: str, steps: int) -> TracedJob:
    """``steps`` steps of the built-in ``circuit`` from a fixed start (z0 = 1, 2, …), with
    per-step advice where the circuit takes some (the Poseidon chain absorbs one value a step),
    traced here: the trace gives the final state the proof must end in."""
    arity = builtin(circuit).arity
    advice: list[Advice] = [_advice(circuit, i) for i in range(steps)]
    return prepare(builtin_spec(circuit, range(1, arity + 1), steps=steps, advice=advice))


def _advice(circuit: str, index: int) -> Advice:
    if circuit.startswith(f"{PREFIX}poseidon_chain"):
        return {"advice": str(1000 * index + 3)}
    return None


async def _request(net: LocalNet, traced: TracedJob, workers: int, out: TextIO) -> Outcome:
    """Submits the job from a requester bootstrapped to every node, shows its progress, and
    returns its proof (checked by the requester's node) or the reason it has none."""
    bootstrap = [node.address for node in net.nodes]
    async with connect(bootstrap, data_dir=net.root / "requester", listen=LOOPBACK) as client:
        began = time.perf_counter()
        try:
            request = await client.submit(traced, workers=workers, wait_s=WORKER_WAIT_S)
            print(f"job {request.job.hex()} submitted", file=out, flush=True)
            began = time.perf_counter()
            with trio.fail_after(JOB_TIMEOUT_S):
                await show_progress(request)
                result = await request.result()
        except NodeError as error:
            return Outcome(None, None, time.perf_counter() - began, str(error))
        except trio.TooSlowError:
            return Outcome(None, None, JOB_TIMEOUT_S, f"no proof in {JOB_TIMEOUT_S:g} s")
        return Outcome(result, request.expected, time.perf_counter() - began)


def node_work(node: LocalNode) -> NodeWork:
    """The node's share of the work, from its /metrics."""
    series = node.metrics()
    proving = sum(v for k, v in series.items() if k.startswith("novanode_proving_seconds_sum"))
    return NodeWork(
        node.name,
        node.peer_id,
        int(series.get("novanode_leaves_proven_total", 0)),
        int(series.get("novanode_merges_total", 0)),
        int(series.get("novanode_verification_seconds_count", 0)),
        series.get('novanode_proving_seconds_count{kind="compress"}', 0) > 0,
        proving,
    )


def verify(traced: TracedJob, result: ProofResult, expected: Expected) -> tuple[Statement, float]:
    """The proof checked offline against the expected statement (`node.client.verify_offline`),
    and the seconds that took; the circuit's verifying keys are derived first, so the time is
    the check's alone. `InvalidProofError` says what does not hold."""
    compressed.snark_keys(public_params(traced.circuit))
    began = time.perf_counter()
    statement = verify_offline(result.file(), traced.circuit, expected)
    return statement, time.perf_counter() - began


def _print_summary(
    out: TextIO,
    work: Sequence[NodeWork],
    outcome: Outcome,
    proof_bytes: int,
    verify_s: float,
    total_s: float,
) -> None:
    print("", file=out)
    header = f"{'node':<8} {'peer':<12} {'steps':>5} {'merges':>6} {'verified':>8} {'proving s':>9}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for node in work:
        root = "  root" if node.compressed else ""
        print(
            f"{node.name:<8} …{node.peer_id[-10:]:<11} {node.leaves:>5} {node.merges:>6} "
            f"{node.verified:>8} {node.proving_s:>9.2f}{root}",
            file=out,
        )
    print("", file=out)
    print(f"job wall time   {outcome.job_s:.1f} s (submitted → verified root proof)", file=out)
    print(f"demo wall time  {total_s:.1f} s (with starting and stopping the network)", file=out)
    print(f"proof size      {proof_bytes:,} bytes", file=out)
    print(f"verify time     {verify_s * 1e3:.0f} ms", file=out)


def _states(values: tuple[int, ...]) -> str:
    shown = [str(v) if len(str(v)) <= 12 else f"{str(v)[:5]}…{str(v)[-5:]}" for v in values]
    return f"[{', '.join(shown)}]"
