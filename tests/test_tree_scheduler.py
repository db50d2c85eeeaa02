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
from crypto.tree.scheduler import prove_job, prove_range


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
