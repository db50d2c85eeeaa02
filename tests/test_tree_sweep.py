"""Completeness over every small job size (issue 5), and a job split into positions whose nodes
are merged by the routing of SPEC.md §6.5.

Affordable in CI because every range is proven once: `JobNodes` memoises the in-order nodes by
range, so the roots of [0, N) for N = 1..33 cost 164 nodes, not 561, over one set of public
parameters per circuit. P = 1 is that memo (the in-order tree `prove_range` walks, whose shape
`protocol.tree` defines and test_protocol_tree.py checks); P = 2 runs the scheduler's worker
processes on N ∈ {1, 2, 3, 16, 17} only (`P2_SIZES`: odd and even, a one-node tree, and the
first sizes past a power of two), each root compared with P = 1's statement.

The built-in is the smallest F (`builtin:cubic?log2=1`, two constraints), for N = 1..33. The
circom fixture (a 518-constraint Poseidon chain) is proven from its 16 recorded `.wtns` steps,
so for N = 1..16 (54 nodes), with P = 2 on N ∈ {3, 16}.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from tree_sweep import JobNodes

from crypto.circuit.builtins import builtin
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.errors import StepCircuitError
from crypto.tree.node import Node
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import prove_join, verify_node
from crypto.tree.scheduler import prove_job, prove_range
from protocol.assignment import assign
from protocol.messages import WorkerEntry

CTX = bytes(range(32))
BUILTIN = "builtin:cubic?log2=1"
BUILTIN_Z0 = (7,)
BUILTIN_SIZES = range(1, 34)
P2_SIZES = (1, 2, 3, 16, 17)

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
CIRCOM_Z0 = (1, 0)
CIRCOM_SIZES = range(1, 17)
CIRCOM_P2_SIZES = (3, 16)


def _check_roots(job: JobNodes, z0: tuple[int, ...], sizes: range) -> None:
    for n in sizes:
        statement = verify_node(job.params, job.node(0, n), ctx=CTX, a=0, b=n, z_a=z0)
        assert statement.z_b == job.states[n], f"N = {n}"


def _distinct_ranges(sizes: range) -> int:
    seen: set[tuple[int, int]] = set()

    def walk(a: int, b: int) -> None:
        if a < b and (a, b) not in seen:
            seen.add((a, b))
            m = a + (b - a) // 2
            walk(a, m)
            walk(m + 1, b)

    for n in sizes:
        walk(0, n)
    return len(seen)


@pytest.fixture(scope="module")
def builtin_job() -> JobNodes:
    params = public_params(builtin(BUILTIN))
    return JobNodes(params, CTX, BUILTIN_Z0, [None] * max(BUILTIN_SIZES))


_recorded_circom = functools.partial(
    CircomStepCircuit.from_witnesses,
    FIXTURE / "poseidon_chain.r1cs",
    sorted(FIXTURE.glob("step_*.wtns")),
)
"""The fixture's circuit proving its recorded steps (a partial: it pickles to workers)."""


@pytest.fixture(scope="module")
def circom_job() -> JobNodes:
    params = public_params(_recorded_circom())
    return JobNodes(params, CTX, CIRCOM_Z0, [None] * max(CIRCOM_SIZES))


def test_builtin_roots_for_every_n_from_1_to_33(builtin_job: JobNodes) -> None:
    _check_roots(builtin_job, BUILTIN_Z0, BUILTIN_SIZES)
    assert builtin_job.proven == _distinct_ranges(BUILTIN_SIZES) == 164


def test_builtin_two_workers_give_the_same_roots(builtin_job: JobNodes, tmp_path: Path) -> None:
    make = functools.partial(builtin, BUILTIN)
    for n in P2_SIZES:
        root = prove_job(make, CTX, BUILTIN_Z0, [None] * n, workers=2, cache_dir=tmp_path)
        assert root.statement == builtin_job.node(0, n).statement, f"N = {n}"


def test_circom_roots_for_every_n_from_1_to_16(circom_job: JobNodes) -> None:
    """The recorded steps' roots, each ending in the state circom's own trace records."""
    _check_roots(circom_job, CIRCOM_Z0, CIRCOM_SIZES)
    recorded = json.loads((FIXTURE / "trace.json").read_text())["steps"]
    for n in CIRCOM_SIZES:
        expected = tuple(int(v) for v in recorded[n - 1]["step_out"])
        assert circom_job.node(0, n).statement.z_b == expected


def test_circom_two_workers_give_the_same_roots(circom_job: JobNodes, tmp_path: Path) -> None:
    for n in CIRCOM_P2_SIZES:
        root = prove_job(
            _recorded_circom, CTX, CIRCOM_Z0, [None] * n, workers=2, cache_dir=tmp_path
        )
        assert root.statement == circom_job.node(0, n).statement, f"N = {n}"


def test_recorded_steps_prove_nothing_else(circom_job: JobNodes) -> None:
    """A state no recorded step starts from cannot be proven from the witnesses."""
    with pytest.raises(StepCircuitError, match="no recorded step"):
        prove_range(circom_job.params, CTX, 0, (2, 0), [None])


def _merged_by_routing(
    params: PublicParams, ctx: bytes, steps: int, workers: int, job: JobNodes
) -> tuple[Node, list[Node]]:
    """The job's root built as the network builds it: each position proves its range with
    `prove_range`, then the merges of the assignment join the nodes the positions hold."""
    entries = [WorkerEntry(bytes([i + 1]) * 32, 1000) for i in range(workers)]
    assignment = assign(b"\x42" * 32, steps, entries)
    assert len(assignment.positions) == workers
    held = {
        p.index: prove_range(params, ctx, p.start, job.states[p.start], job.advice[p.start : p.end])
        for p in assignment.positions
    }
    joins = []
    for merge in assignment.merges:
        left, right = held[merge.receiver], held.pop(merge.sender)
        assert (left.statement.b, right.statement.a) == (merge.mid, merge.mid)
        held[merge.receiver] = prove_join(params, left, right, job.advice[merge.mid])
        joins.append(held[merge.receiver])
    assert list(held) == [1]
    return held[1], joins


def test_three_positions_merged_by_routing_give_the_local_root(builtin_job: JobNodes) -> None:
    """Seven steps over three equal workers: ranges of 3, 2 and 2 steps, then two joins. The
    root's statement is the in-order tree's over [0, 7), and every join verifies."""
    n = 7
    root, joins = _merged_by_routing(builtin_job.params, CTX, n, 3, builtin_job)
    assert len(joins) == 2
    for join in joins:
        s = join.statement
        verify_node(builtin_job.params, join, ctx=CTX, a=s.a, b=s.b, z_a=builtin_job.states[s.a])
    assert verify_node(builtin_job.params, root, ctx=CTX, a=0, b=n, z_a=BUILTIN_Z0) == (
        builtin_job.node(0, n).statement
    )
