"""The job scheduler: P = 2 worker processes give the root that P = 1 gives. The tree's shape
is `protocol.tree`'s, tested in test_protocol_tree.py."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from tree_samples import STEP_KEY, step

from crypto.circuit.builtins import builtin
from crypto.circuit.step import trace
from crypto.errors import StepCircuitError
from crypto.tree.encoding import encode_node
from crypto.tree.params import public_params
from crypto.tree.prover import verify_node
from crypto.tree.scheduler import _assign, _subtrees_here, prove_job, prove_range
from protocol.tree import local_nodes


def test_empty_ranges_and_no_workers_are_refused() -> None:
    with pytest.raises(StepCircuitError):
        prove_range(public_params(step()), bytes(32), 3, (7,), [])
    with pytest.raises(StepCircuitError):
        prove_job(functools.partial(builtin, STEP_KEY), bytes(32), (7,), [None], workers=0)


def test_two_workers_prove_the_job(tmp_path: Path) -> None:
    """P = 2 on three steps: both leaves in parallel (one in this process, one in the worker),
    then the root from a child in memory and a decoded one. Proving is deterministic, so the
    root is the one P = 1 gives (`prove_range`, tested with the prover)."""
    n, z0, ctx = 3, (7,), bytes(32)
    seen: list[tuple[int, int]] = []
    root = prove_job(
        functools.partial(builtin, STEP_KEY),
        ctx,
        z0,
        [None] * n,
        workers=2,
        cache_dir=tmp_path,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    statement = verify_node(public_params(step()), root, ctx=ctx, a=0, b=n, z_a=z0)
    assert statement.z_b == tuple(trace(step(), z0, [None] * n)[-1])
    sequential = prove_range(public_params(step()), ctx, 0, z0, [None] * n)
    assert encode_node(root) == encode_node(sequential)


def test_provers_take_whole_subtrees_first() -> None:
    """With two provers the in-order tree over 32 steps is cut below its root: the left subtree
    [0, 16) and the root stay in this process, the right subtree [17, 32) goes to the worker, so
    only the right subtree's root crosses processes; an idle prover still takes other work."""
    here = _subtrees_here(32, 2)
    nodes = local_nodes(0, 32)
    assert {(t.start, t.end) for t in nodes if here((t.start, t.end))} == {(0, 32)} | {
        (t.start, t.end) for t in nodes if t.end <= 16
    }
    one = _subtrees_here(32, 1)
    assert all(one((t.start, t.end)) for t in nodes)
    leaves = [t for t in nodes if not t.children]
    left = [t for t in leaves if t.end <= 16]
    right = [t for t in leaves if t.start >= 17]
    plan = _assign(leaves, True, 1, here)
    assert plan == [(right[0], False), (left[0], True)]
    # Only the worker's subtree is ready: this thread takes from it rather than wait.
    assert _assign(right[:3], True, 1, here) == [(right[0], False), (right[1], True)]
    assert _assign(left[:2], False, 1, here) == [(left[0], False)]
