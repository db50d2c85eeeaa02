"""`novanode demo`: the whole system on one machine, from nothing to a verified proof.

It starts a local network of `novanode start` processes (`node.localnet`: temporary data
directories, loopback, free ports), waits until they are connected, and runs a requester in
this process (`node.requester`) that submits a real job of a built-in circuit to all of them and
shows its progress. When the root proof comes back it reads each node's counters from its local
API (what it proved, merged and verified, and in how many seconds), stops the network, and
verifies the compressed proof offline, as anyone holding the circuit could: against the
statement the requester expects from its own native run (z0, the step count, the final state)
and the job's id. It prints a summary and removes every temporary directory, also on Ctrl-C.

Exit codes: 0 when the proof verified, 1 when the job failed or its proof did not verify, 2 for
unusable options or a network that did not start (with the failing node's log tail), 130 after
Ctrl-C.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TextIO

import trio
from nacl.signing import SigningKey

from crypto.circuit.builtins import PREFIX, builtin
from crypto.circuit.package import builtin_package, load_package
from crypto.circuit.step import Advice
from crypto.errors import CryptoError
from crypto.snark import compressed
from crypto.snark.encoding import decode_proof
from crypto.tree.node import Statement
from crypto.tree.params import public_params
from node.datadir import open_data_dir
from node.errors import InvalidProofError, NodeError
from node.localnet import LocalNet, LocalNode, open_localnet
from node.requester import JobHandle, JobResult, PreparedJob, open_requester, prepare_job, submit

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
PROGRESS_INTERVAL_S: Final = 0.5
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
    """What the requester got: the result, or why it got none."""

    result: JobResult | None
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
        prepared = demo_job(circuit, steps)
    except CryptoError as error:
        print(f"novanode demo: --circuit: {error}", file=err)
        return UNUSABLE
    began = time.perf_counter()
    try:
        with open_localnet() as net:
            print(f"starting {nodes} nodes on loopback (each measures its speed first) …", file=out)
            net.start_many(nodes)
            net.wait_connected()
            for node in net.nodes:
                print(f"  {node.name}  {node.address}", file=out)
            print(
                f"network up in {time.perf_counter() - began:.1f} s; submitting {steps} steps "
                f"of {circuit} to {nodes} nodes",
                file=out,
                flush=True,
            )
            outcome = trio.run(_request, net, prepared, nodes, out)
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
    if outcome.result is None:
        print(f"novanode demo: the job failed: {outcome.error}", file=err)
        return FAILED
    try:
        statement, verify_s = verify_offline(prepared, outcome.result)
    except (CryptoError, NodeError) as error:
        print(f"novanode demo: the proof did NOT verify: {error}", file=err)
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


def _interrupted(err: TextIO) -> int:
    print("\ninterrupted: the nodes were stopped and their directories removed", file=err)
    return INTERRUPTED


def demo_job(circuit: str, steps: int) -> PreparedJob:
    """``steps`` steps of the built-in ``circuit`` from a fixed start (z0 = 1, 2, …), with
    per-step advice where the circuit takes some (the Poseidon chain absorbs one value a step)."""
    step = builtin(circuit)
    z0 = list(range(1, step.arity + 1))
    advice: list[Advice] = [_advice(circuit, i) for i in range(steps)]
    return prepare_job(builtin_package(step.key), z0, advice)


def _advice(circuit: str, index: int) -> Advice:
    if circuit.startswith(f"{PREFIX}poseidon_chain"):
        return {"advice": str(1000 * index + 3)}
    return None


async def _request(net: LocalNet, prepared: PreparedJob, workers: int, out: TextIO) -> Outcome:
    """Submits the job from a requester bootstrapped to every node, shows its progress, and
    returns its verified result (or the reason it has none); Ctrl-C cancels it."""
    with open_data_dir(net.root / "requester") as data_dir:
        bootstrap = [node.address for node in net.nodes]
        async with open_requester(
            SigningKey.generate(), data_dir, listen=LOOPBACK, bootstrap=bootstrap
        ) as requester:
            began = time.perf_counter()
            try:
                handle = await submit(requester, prepared, workers=workers, wait_s=WORKER_WAIT_S)
                print(f"job {handle.job.hex()} submitted", file=out, flush=True)
                began = time.perf_counter()
                with trio.fail_after(JOB_TIMEOUT_S):
                    result = await _wait_showing_progress(handle, out)
            except NodeError as error:
                return Outcome(None, time.perf_counter() - began, str(error))
            except trio.TooSlowError:
                return Outcome(None, JOB_TIMEOUT_S, f"no verified proof in {JOB_TIMEOUT_S:g} s")
            return Outcome(result, time.perf_counter() - began)


async def _wait_showing_progress(handle: JobHandle, out: TextIO) -> JobResult:
    """`JobHandle.wait` with `show_progress` beside it; its error raised as itself (not in
    the nursery's exception group)."""
    failure: NodeError | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(show_progress, handle, out)
        try:
            result = await handle.wait()
        except NodeError as error:
            failure = error
        nursery.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result


async def show_progress(handle: JobHandle, out: TextIO) -> None:
    """Prints a line whenever the job's progress changes (polled from `JobHandle.report`);
    runs until cancelled. The one place the demo shows progress."""
    began = time.perf_counter()
    shown = ""
    while True:
        line = progress_line(handle.report())
        if line != shown:
            print(f"  [{time.perf_counter() - began:6.1f} s] {line}", file=out, flush=True)
            shown = line
        await trio.sleep(PROGRESS_INTERVAL_S)


def progress_line(report: dict[str, object]) -> str:
    """A report (`JobHandle.report`) as one line: claims, proven steps, merges, the root."""
    positions = report["positions"]
    rejections = report["rejections"]
    assert isinstance(positions, list) and isinstance(rejections, list)
    claimed = sum(1 for p in positions if p["claimed"])
    done = sum(int(p["done"]) for p in positions)
    total = sum(int(p["range"][1]) - int(p["range"][0]) for p in positions)
    line = (
        f"{report['state']}: {claimed}/{len(positions)} positions claimed, "
        f"{done}/{total} steps reported, {report['merges']}/{report['merges_total']} merges, "
        f"root proof {'in' if report['root'] else 'pending'}"
    )
    return line + (f", {len(rejections)} rejections" if rejections else "")


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


def verify_offline(prepared: PreparedJob, result: JobResult) -> tuple[Statement, float]:
    """Checks the compressed proof with the circuit's parameters alone and against the statement
    the requester expects; the statement and the seconds `compressed.verify` took.
    `InvalidProofError` (or the crypto error of the failing check) if it does not hold."""
    keys = compressed.snark_keys(public_params(load_package(prepared.circuit)))
    proof = decode_proof(result.proof, keys)
    began = time.perf_counter()
    statement = compressed.verify(keys, proof)
    verify_s = time.perf_counter() - began
    expected = (result.job, 0, prepared.steps, prepared.z0, prepared.final_state)
    got = (statement.ctx, statement.a, statement.b, statement.z_a, statement.z_b)
    if got != expected:
        raise InvalidProofError(
            "the proof is valid but proves another statement than the job's: "
            f"(ctx, a, b, z0, zN) = {got}, expected {expected}"
        )
    return statement, verify_s


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
