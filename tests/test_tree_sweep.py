"""Completeness over every small job size (issue 5): N = 1..33 with P = 1 and P = 2, for a
built-in and the circom fixture; and a job split into positions whose nodes are merged by the
routing of SPEC.md §6.5.

Affordable in CI because each P proves every distinct node once. The in-order trees of [0, N)
for N = 1..33 have 561 nodes between them but only 164 distinct ones (subtrees repeat), and
each P proves the sizes in turn through the scheduler with a `NodeStore` of its own, which
hands each size the nodes an earlier size proved: 164 nodes per P and circuit. P = 1 is
`prove_range` in this process (what `prove_job` runs with one worker); P = 2 one `ProverPool` of
two workers kept for all 33 sizes. Every P = 1 root is verified against the states F computes,
and every P = 2 root is P = 1's byte for byte.

The built-in is the smallest F (`builtin:cubic?log2=1`, two constraints). The circom fixture
(a 518-constraint Poseidon chain) records 16 steps; the witnesses of all 33 are computed here
with its wasm generator (the first 16 are the recorded ones, value for value), and the sweep
proves from them as recorded steps, whose final states are checked against a pure-Python
Poseidon chain.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from crypto.circom import encode_wtns, load_wtns, step_out
from crypto.circuit.builtins import builtin
from crypto.circuit.circom_step import CircomStepCircuit
from crypto.circuit.step import Advice, StepCircuit, trace
from crypto.errors import StepCircuitError
from crypto.poseidon import poseidon_params
from crypto.reference.poseidon import permute as reference_permute
from crypto.tree.encoding import encode_node
from crypto.tree.node import Node
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import prove_join, verify_node
from crypto.tree.scheduler import Progress, ProverPool, prove_range
from crypto.tree.store import NodeStore
from protocol.assignment import assign
from protocol.messages import WorkerEntry
from protocol.tree import local_nodes

CTX = bytes(range(32))
SIZES = range(1, 34)
DISTINCT_NODES = len({(t.start, t.end) for n in SIZES for t in local_nodes(0, n)})
"""Distinct in-order nodes over the trees of [0, N) for N in SIZES (164)."""

BUILTIN = "builtin:cubic?log2=1"
BUILTIN_Z0 = (7,)
_builtin = functools.partial(builtin, BUILTIN)

FIXTURE = Path(__file__).parent / "fixtures" / "circom" / "poseidon_chain"
CIRCOM_Z0 = (1, 0)


def _circom_advice(i: int) -> int:
    """Step i's advice: the rule of the fixture's recorded steps (checked below), continued."""
    return 3 + 1000 * i


# P = 1 and P = 2 over every size


Roots = dict[int, Node]


def _sweep(prove: Callable[[int, Progress], Node], sizes: Iterable[int]) -> tuple[Roots, int]:
    """The roots for N in `sizes`, proven in turn by `prove(N, progress)`, and how many nodes
    were proven in all."""
    proven: list[int] = []
    roots = {n: prove(n, lambda done, total: proven.append(done)) for n in sizes}
    return roots, len(proven)


def _one_worker(params: PublicParams, z0: tuple[int, ...]) -> tuple[Roots, int]:
    """P = 1: `prove_range` in this process (`prove_job` with one worker)."""
    with tempfile.TemporaryDirectory(prefix="novanode-p1-") as directory:
        store = NodeStore(directory)
        return _sweep(
            lambda n, progress: prove_range(params, CTX, 0, z0, [None] * n, progress, store),
            SIZES,
        )


def _two_workers(make: Callable[[], StepCircuit], z0: tuple[int, ...]) -> tuple[Roots, int]:
    """P = 2: one pool for every size, the largest first. Either order proves each distinct node
    once, but a size's nodes that earlier sizes did not prove are mostly a chain; from the top
    down, more of them are independent, so both workers are busy more often (counted in rounds
    of at most two nodes: about 108 instead of 137)."""
    with tempfile.TemporaryDirectory(prefix="novanode-p2-") as directory:
        store = NodeStore(Path(directory) / "nodes")
        with ProverPool(make, 2, Path(directory) / "cache") as pool:
            return _sweep(
                lambda n, progress: pool.prove(CTX, z0, [None] * n, progress, store),
                reversed(SIZES),
            )


def _check_roots(roots: Roots, params: PublicParams, z0: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Verifies each root as the job's over [0, N) from z0; returns the final states."""
    ends = []
    for n, root in roots.items():
        statement = verify_node(params, root, ctx=CTX, a=0, b=n, z_a=z0)
        ends.append(statement.z_b)
    return ends


def _check_same_bytes(roots: Roots, reference: Roots) -> None:
    assert sorted(roots) == sorted(reference)
    for n, root in roots.items():
        assert encode_node(root) == encode_node(reference[n]), f"N = {n}"


@pytest.fixture(scope="module")
def builtin_roots() -> Roots:
    roots, proven = _one_worker(public_params(_builtin()), BUILTIN_Z0)
    assert proven == DISTINCT_NODES == 164
    return roots


def test_builtin_roots_for_every_n_from_1_to_33(builtin_roots: Roots) -> None:
    ends = _check_roots(builtin_roots, public_params(_builtin()), BUILTIN_Z0)
    assert ends == [tuple(z) for z in trace(_builtin(), BUILTIN_Z0, [None] * max(SIZES))[1:]]


def test_builtin_two_workers_give_the_same_roots(builtin_roots: Roots) -> None:
    roots, proven = _two_workers(_builtin, BUILTIN_Z0)
    assert proven == DISTINCT_NODES
    _check_same_bytes(roots, builtin_roots)


# The circom fixture, its 33 steps computed by its wasm generator


@pytest.fixture(scope="module")
def circom_steps(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """`.wtns` files of steps 0..32 from z0, computed by the fixture's wasm generator."""
    recorded_advice = json.loads((FIXTURE / "advice.json").read_text())
    assert recorded_advice == [{"advice": str(_circom_advice(i))} for i in range(16)]
    circuit = CircomStepCircuit.from_files(
        FIXTURE / "poseidon_chain.r1cs", FIXTURE / "poseidon_chain.wasm"
    )
    directory = tmp_path_factory.mktemp("circom-steps")
    paths = []
    z = CIRCOM_Z0
    for i in range(max(SIZES)):
        witness = circuit.witness(z, {"advice": str(_circom_advice(i))})
        paths.append(directory / f"step_{i:03}.wtns")
        paths[-1].write_bytes(encode_wtns(witness))
        z = step_out(witness, len(z))
    return paths


def _circom_chain(n: int) -> Iterator[tuple[int, int]]:
    """The fixture's states after 1..n steps by a pure-Python Poseidon: step_out[0] =
    Poseidon(step_in[0], advice) (circomlib's: [0, inputs] permuted), step_out[1] counts."""
    params = poseidon_params("Fr", 3)
    value, count = CIRCOM_Z0
    for i in range(n):
        value = reference_permute(params, [0, value, _circom_advice(i)])[0]
        count += 1
        yield value, count


def test_the_wasm_computes_the_recorded_steps(circom_steps: list[Path]) -> None:
    recorded = sorted(FIXTURE.glob("step_*.wtns"))
    assert len(recorded) == 16
    for ours, theirs in zip(circom_steps, recorded, strict=False):
        assert load_wtns(ours).values == load_wtns(theirs).values


@pytest.fixture(scope="module")
def recorded_circom(circom_steps: list[Path]) -> Callable[[], StepCircuit]:
    """The fixture's circuit proving the 33 steps (a partial: it pickles to workers)."""
    return functools.partial(
        CircomStepCircuit.from_witnesses, FIXTURE / "poseidon_chain.r1cs", circom_steps
    )


@pytest.fixture(scope="module")
def circom_roots(recorded_circom: Callable[[], StepCircuit]) -> Roots:
    roots, proven = _one_worker(public_params(recorded_circom()), CIRCOM_Z0)
    assert proven == DISTINCT_NODES
    return roots


def test_circom_roots_for_every_n_from_1_to_33(
    circom_roots: Roots, recorded_circom: Callable[[], StepCircuit]
) -> None:
    """Each root ends in the Poseidon chain's state, which for N ≤ 16 is also the one circom's
    own trace records."""
    ends = _check_roots(circom_roots, public_params(recorded_circom()), CIRCOM_Z0)
    assert ends == list(_circom_chain(max(SIZES)))
    recorded = json.loads((FIXTURE / "trace.json").read_text())["steps"]
    assert ends[:16] == [tuple(int(v) for v in step["step_out"]) for step in recorded]


def test_circom_two_workers_give_the_same_roots(
    circom_roots: Roots, recorded_circom: Callable[[], StepCircuit]
) -> None:
    roots, proven = _two_workers(recorded_circom, CIRCOM_Z0)
    assert proven == DISTINCT_NODES
    _check_same_bytes(roots, circom_roots)


def test_recorded_steps_prove_nothing_else(recorded_circom: Callable[[], StepCircuit]) -> None:
    """A state no recorded step starts from cannot be proven from the witnesses."""
    with pytest.raises(StepCircuitError, match="no recorded step"):
        prove_range(public_params(recorded_circom()), CTX, 0, (2, 0), [None])


# Positions merged by the routing


def _merged_by_routing(
    params: PublicParams, steps: int, workers: int, advice: list[Advice]
) -> tuple[Node, list[Node]]:
    """The job's root built as the network builds it: each position proves its range with
    `prove_range`, then the merges of the assignment join the nodes the positions hold."""
    states = trace(params.step, BUILTIN_Z0, advice)
    entries = [WorkerEntry(bytes([i + 1]) * 32, 1000) for i in range(workers)]
    assignment = assign(b"\x42" * 32, steps, entries)
    assert len(assignment.positions) == workers
    held = {
        p.index: prove_range(params, CTX, p.start, states[p.start], advice[p.start : p.end])
        for p in assignment.positions
    }
    joins = []
    for merge in assignment.merges:
        left, right = held[merge.receiver], held.pop(merge.sender)
        assert (left.statement.b, right.statement.a) == (merge.mid, merge.mid)
        held[merge.receiver] = prove_join(params, left, right, advice[merge.mid])
        joins.append(held[merge.receiver])
    assert list(held) == [1]
    return held[1], joins


def test_three_positions_merged_by_routing_give_the_local_root(builtin_roots: Roots) -> None:
    """Seven steps over three equal workers: ranges of 3, 2 and 2 steps, then two joins. The
    root's statement is the in-order tree's over [0, 7), and every join verifies."""
    n = 7
    params = public_params(_builtin())
    root, joins = _merged_by_routing(params, n, 3, [None] * n)
    assert len(joins) == 2
    states = trace(params.step, BUILTIN_Z0, [None] * n)
    for join in joins:
        s = join.statement
        verify_node(params, join, ctx=CTX, a=s.a, b=s.b, z_a=states[s.a])
    assert verify_node(params, root, ctx=CTX, a=0, b=n, z_a=BUILTIN_Z0) == (
        builtin_roots[n].statement
    )
