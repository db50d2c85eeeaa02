"""Proving a whole range bottom-up as the in-order tree of its steps (docs/tree-nova.md §2.3).

The tree's shape is the protocol's (SPEC.md §7, `protocol.tree.local_nodes`): a range [a, b) of
n ≥ 1 steps has its pivot at m = a + ⌊n/2⌋, the node for it applies F at step m between a left
subtree over [a, m) and a right subtree over [m + 1, b), each absent when empty.

`prove_range` proves it in this process (P = 1). `prove_job` runs the nodes on P provers: a
thread of this process, which has the parameters already and keeps its nodes in memory (with
the products its folds carry, `crypto.tree.node.ProductCache`), and P − 1 worker processes,
each building the parameters once from an on-disk shape cache this process fills (shapes and
commitment-key generators, read back rather than derived). The thread starts proving at once,
so the workers' start-up (a couple of seconds) is not idle time. A node is handed to a free
prover as soon as its children are proven, and nodes travel between processes as their
canonical CBOR blobs (`crypto.tree.encoding`), encoded or decoded once, when first needed.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from pathlib import Path
from typing import Any

from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import Advice, StepCircuit
from crypto.errors import StepCircuitError
from crypto.tree.encoding import decode_node, encode_node
from crypto.tree.node import Node, NodeLayout
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import prove_step
from protocol.tree import Range, StepNode, local_nodes

Progress = Callable[[int, int], None]
"""Called with (nodes proven, nodes in all) after each node."""


def _step_nodes(a: int, b: int) -> tuple[StepNode, ...]:
    """The in-order tree's step nodes over [a, b), children first (`protocol.tree.local_nodes`)."""
    if not 0 <= a < b:
        raise StepCircuitError(f"a range has at least one step; got [{a}, {b})")
    return local_nodes(a, b)


def _states(
    params: PublicParams, z_a: Sequence[int], advice: Sequence[Advice]
) -> list[tuple[int, ...]]:
    states = [tuple(z_a)]
    for step_advice in advice:
        states.append(tuple(params.step.native(states[-1], step_advice)))
    return states


def prove_range(
    params: PublicParams,
    ctx: bytes,
    a: int,
    z_a: Sequence[int],
    advice: Sequence[Advice],
    progress: Progress | None = None,
) -> Node:
    """The root node over [a, a + len(advice)) from z_a, in this process (P = 1); advice[i]
    is step a + i's."""
    tasks = _step_nodes(a, a + len(advice))
    states = _states(params, z_a, advice)
    nodes: dict[Range, Node] = {}
    for task in tasks:
        i = task.pivot - a
        left = None if task.left is None else nodes[task.left]
        right = None if task.right is None else nodes[task.right]
        nodes[task.start, task.end] = prove_step(
            params, ctx, task.pivot, states[i], advice[i], left, right
        )
        if progress is not None:
            progress(len(nodes), len(tasks))
    return nodes[a, a + len(advice)]


def prove_job(
    make_circuit: Callable[[], StepCircuit],
    ctx: bytes,
    z0: Sequence[int],
    advice: Sequence[Advice],
    workers: int,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Node:
    """The root over [0, len(advice)) from z0 on `workers` provers: a thread of this process
    and `workers` − 1 worker processes (1: this process alone, `prove_range`).

    `make_circuit` builds the step circuit in each process (it must pickle: e.g. a
    `functools.partial` of `builtin`); `cache_dir` is a `ShapeCache` directory the processes
    share, so the shapes are recorded and the keys derived once (without one, a temporary
    directory lasting the job serves the workers)."""
    if workers < 1:
        raise StepCircuitError(f"a job runs on at least one worker, not {workers}")
    if workers > 1 and cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="novanode-params-") as shared:
            return prove_job(make_circuit, ctx, z0, advice, workers, Path(shared), progress)
    cache = ShapeCache(cache_dir) if cache_dir is not None else None
    params = public_params(make_circuit(), cache)
    if workers == 1:
        return prove_range(params, ctx, 0, z0, advice, progress)
    tasks = _step_nodes(0, len(advice))
    states = _states(params, z0, advice)
    layout = params.layout()
    proven: dict[Range, _Proven] = {}
    running: dict[Future[Any], tuple[StepNode, bool]] = {}  # Node here, bytes from a worker
    waiting = list(tasks)
    # Spawned, not forked: the kernel's thread pool does not survive a fork.
    context = multiprocessing.get_context("spawn")
    with (
        ThreadPoolExecutor(1) as here,
        ProcessPoolExecutor(
            workers - 1, context, initializer=_init_worker, initargs=(make_circuit, cache_dir)
        ) as pool,
    ):
        while waiting or running:
            for task in [t for t in waiting if all(c in proven for c in t.children)]:
                busy_here = sum(local for _, local in running.values())
                if busy_here and len(running) - busy_here >= workers - 1:
                    break
                waiting.remove(task)
                i = task.pivot
                children = [None if c is None else proven[c] for c in (task.left, task.right)]
                future: Future[Any]
                if not busy_here:
                    left, right = (None if c is None else c.node(layout) for c in children)
                    future = here.submit(
                        prove_step, params, ctx, i, states[i], advice[i], left, right
                    )
                else:
                    left_blob, right_blob = (None if c is None else c.blob() for c in children)
                    future = pool.submit(
                        _prove_task, ctx, i, states[i], advice[i], left_blob, right_blob
                    )
                running[future] = task, not busy_here
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task, _ = running.pop(future)
                proven[task.start, task.end] = _Proven(future.result())
                if progress is not None:
                    progress(len(proven), len(tasks))
    return proven[0, len(advice)].node(layout)


class _Proven:
    """A proven node in the form its prover left it: in memory (this process's, with its
    carried products) or as its blob (a worker's); the other form is made once, when needed."""

    def __init__(self, result: Node | bytes) -> None:
        self._result = result
        self._decoded: Node | None = None
        self._encoded: bytes | None = None

    def node(self, layout: NodeLayout) -> Node:
        if isinstance(self._result, Node):
            return self._result
        if self._decoded is None:
            self._decoded = decode_node(self._result, layout)
        return self._decoded

    def blob(self) -> bytes:
        if isinstance(self._result, bytes):
            return self._result
        if self._encoded is None:
            self._encoded = encode_node(self._result)
        return self._encoded


_WORKER_PARAMS: list[PublicParams] = []


def _init_worker(make_circuit: Callable[[], StepCircuit], cache_dir: Path | None) -> None:
    """Derives the parameters once per worker process."""
    cache = ShapeCache(cache_dir) if cache_dir is not None else None
    _WORKER_PARAMS.append(public_params(make_circuit(), cache))


def _prove_task(
    ctx: bytes,
    m: int,
    z_m: tuple[int, ...],
    advice: Advice,
    left: bytes | None,
    right: bytes | None,
) -> bytes:
    (params,) = _WORKER_PARAMS
    layout = params.layout()
    node = prove_step(
        params,
        ctx,
        m,
        z_m,
        advice,
        None if left is None else decode_node(left, layout),
        None if right is None else decode_node(right, layout),
    )
    return encode_node(node)


__all__ = ["Progress", "prove_job", "prove_range"]
