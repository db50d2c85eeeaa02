"""The in-order tree (docs/tree-nova.md §2.3) and the job scheduler: P = 2 worker processes give
the root that P = 1 gives."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from tree_samples import STEP_KEY, step

from crypto.circuit.builtins import builtin
from crypto.circuit.step import trace
from crypto.errors import StepCircuitError
from crypto.tree.params import public_params
from crypto.tree.prover import verify_node
from crypto.tree.scheduler import in_order_tasks, pivot, prove_job


def test_in_order_tree_covers_every_step_once() -> None:
    for n in range(1, 40):
        tasks = in_order_tasks(0, n)
        assert sorted(t.m for t in tasks) == list(range(n))
        root = tasks[-1]
        assert (root.a, root.b, root.m) == (0, n, pivot(0, n))
        for t in tasks:
            left = None if t.left is None else tasks[t.left]
            right = None if t.right is None else tasks[t.right]
            assert (left.a, left.b) == (t.a, t.m) if left else t.m == t.a
            assert (right.a, right.b) == (t.m + 1, t.b) if right else t.m + 1 == t.b
        assert len(tasks) == n


def test_empty_ranges_and_no_workers_are_refused() -> None:
    with pytest.raises(StepCircuitError):
        in_order_tasks(3, 3)
    with pytest.raises(StepCircuitError):
        prove_job(functools.partial(builtin, STEP_KEY), bytes(32), (7,), [None], workers=0)


def test_two_workers_prove_the_job(tmp_path: Path) -> None:
    """P = 2 on three steps: both leaves in parallel, then the root. Proving is deterministic,
    so the root is the one P = 1 gives (`prove_range`, tested with the prover)."""
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
