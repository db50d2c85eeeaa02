"""Proving a whole range bottom-up as the in-order tree of its steps (docs/tree-nova.md §2.3).

The tree's shape is the protocol's (SPEC.md §7, `protocol.tree.local_nodes`): a range [a, b) of
n ≥ 1 steps has its pivot at m = a + ⌊n/2⌋, the node for it applies F at step m between a left
subtree over [a, m) and a right subtree over [m + 1, b), each absent when empty.

`prove_range` proves it in this process (P = 1). `ProverPool` runs the nodes on P provers: a
thread of this process, which has the parameters already and keeps its nodes in memory (with
the products its folds carry, `crypto.tree.node.ProductCache`), and P − 1 worker processes,
each building the parameters once from an on-disk shape cache this process fills (shapes and
commitment-key generators, read back rather than derived). The thread starts proving at once,
so the workers' start-up (a couple of seconds) is not idle time, and the pool keeps its
workers for as many jobs as it is given. A node is handed to a free prover as soon as its
children are proven, and nodes travel between processes as their canonical CBOR blobs
(`crypto.tree.encoding`), encoded or decoded once, when first needed. `prove_job` is one job on
a pool of its own.

Given a `NodeStore`, every proven node is written to it, and a node already there is loaded
instead of proven (with nothing below it needed), so a job that was interrupted restarts where it
stopped and gives the same bytes: proving is deterministic.
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
from types import TracebackType
from typing import Any

from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import Advice, StepCircuit
from crypto.errors import StepCircuitError
from crypto.tree.encoding import decode_node, encode_node
from crypto.tree.node import Node, NodeLayout, Statement
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import prove_step
from crypto.tree.store import NodeStore
from protocol.tree import Range, StepNode, local_nodes

Progress = Callable[[int, int], None]
"""Called with (nodes proven, nodes to prove) after each node this run proves."""


def _states(
    params: PublicParams, z_a: Sequence[int], advice: Sequence[Advice]
) -> list[tuple[int, ...]]:
    states = [tuple(z_a)]
    for step_advice in advice:
        states.append(tuple(params.step.native(states[-1], step_advice)))
    return states


def _plan(
    params: PublicParams,
    ctx: bytes,
    a: int,
    states: Sequence[tuple[int, ...]],
    store: NodeStore | None,
) -> tuple[list[StepNode], dict[Range, Node]]:
    """The step nodes over [a, a + len(states) − 1) still to prove, children first, and the
    stored nodes they build on. A node found in `store` is loaded rather than proven, and then
    nothing below it is needed."""
    b = a + len(states) - 1
    if not 0 <= a < b:
        raise StepCircuitError(f"a range has at least one step; got [{a}, {b})")
    tasks = local_nodes(a, b)
    if store is None:
        return list(tasks), {}
    needed: set[Range] = {(a, b)}
    todo: list[StepNode] = []
    loaded: dict[Range, Node] = {}
    for task in reversed(tasks):  # parents before their children
        if (task.start, task.end) not in needed:
            continue
        expected = Statement(
            params.digest, ctx, task.start, task.end, states[task.start - a], states[task.end - a]
        )
        node = store.load(params, expected, task)
        if node is None:
            todo.append(task)
            needed.update(task.children)
        else:
            loaded[task.start, task.end] = node
    todo.reverse()
    return todo, loaded


def prove_range(
    params: PublicParams,
    ctx: bytes,
    a: int,
    z_a: Sequence[int],
    advice: Sequence[Advice],
    progress: Progress | None = None,
    store: NodeStore | None = None,
) -> Node:
    """The root node over [a, a + len(advice)) from z_a, in this process (P = 1); advice[i]
    is step a + i's. With a `store`, nodes found there are not proven again, and those proven
    are written there."""
    states = _states(params, z_a, advice)
    todo, nodes = _plan(params, ctx, a, states, store)
    for done, task in enumerate(todo, 1):
        i = task.pivot - a
        # A child is needed by its parent only: dropping it then, memory holds the nodes still
        # waiting for their parent (one per level at most), not every node of the range.
        left = None if task.left is None else nodes.pop(task.left)
        right = None if task.right is None else nodes.pop(task.right)
        node = prove_step(params, ctx, task.pivot, states[i], advice[i], left, right)
        nodes[task.start, task.end] = node
        if store is not None:
            store.save(params.digest, ctx, task, encode_node(node))
        if progress is not None:
            progress(done, len(todo))
    return nodes[a, a + len(advice)]


class ProverPool:
    """P provers of one step circuit — a thread of this process and P − 1 worker processes —
    proving the nodes of as many jobs as `prove` is given (a context manager: leaving it stops
    the processes).

    `make_circuit` builds the step circuit in each process (it must pickle: e.g. a
    `functools.partial` of `builtin`); `cache_dir` is the `ShapeCache` directory the processes
    read the parameters from, filled here first."""

    def __init__(
        self, make_circuit: Callable[[], StepCircuit], workers: int, cache_dir: Path
    ) -> None:
        if workers < 1:
            raise StepCircuitError(f"a pool has at least one prover, not {workers}")
        self.params = public_params(make_circuit(), ShapeCache(cache_dir))
        self._provers = workers
        self._here = ThreadPoolExecutor(1)
        # Spawned, not forked: the kernel's thread pool does not survive a fork.
        self._executor = (
            ProcessPoolExecutor(
                workers - 1,
                multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(make_circuit, cache_dir),
            )
            if workers > 1
            else None
        )

    def __enter__(self) -> ProverPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stops the provers (nodes queued but not started are dropped)."""
        self._here.shutdown(wait=True, cancel_futures=True)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def prove(
        self,
        ctx: bytes,
        z0: Sequence[int],
        advice: Sequence[Advice],
        progress: Progress | None = None,
        store: NodeStore | None = None,
    ) -> Node:
        """The root over [0, len(advice)) from z0, as `prove_range` gives it."""
        params = self.params
        layout = params.layout()
        states = _states(params, z0, advice)
        todo, loaded = _plan(params, ctx, 0, states, store)
        root = (0, len(advice))
        if root in loaded:
            return loaded[root]
        proven = {span: _Proven(node) for span, node in loaded.items()}
        running: dict[Future[Any], tuple[StepNode, bool]] = {}  # Node here, bytes from a worker
        waiting = list(todo)
        here_first = _subtrees_here(len(advice), self._provers)
        count = 0
        while waiting or running:
            ready = [t for t in waiting if all(c in proven for c in t.children)]
            busy_here = any(local for _, local in running.values())
            free_workers = self._provers - 1 - (len(running) - busy_here)
            for task, local in _assign(ready, not busy_here, free_workers, here_first):
                waiting.remove(task)
                i = task.pivot
                # A child is needed by its parent only: dropped from memory once handed over.
                children = [None if c is None else proven.pop(c) for c in (task.left, task.right)]
                future: Future[Any]
                if local:
                    left, right = (None if c is None else c.node(layout) for c in children)
                    future = self._here.submit(
                        prove_step, params, ctx, i, states[i], advice[i], left, right
                    )
                else:
                    assert self._executor is not None  # one prover: never busy elsewhere
                    left_blob, right_blob = (None if c is None else c.blob() for c in children)
                    future = self._executor.submit(
                        _prove_task, ctx, i, states[i], advice[i], left_blob, right_blob
                    )
                running[future] = task, local
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task, _ = running.pop(future)
                result = proven[task.start, task.end] = _Proven(future.result())
                if store is not None:
                    store.save(params.digest, ctx, task, result.blob())
                count += 1
                if progress is not None:
                    progress(count, len(todo))
        return proven[root].node(layout)


def _subtrees_here(steps: int, provers: int) -> Callable[[Range], bool]:
    """Which nodes this process's prover takes first: the in-order tree is cut at depth
    ⌈log₂ P⌉ and the subtrees below the cut dealt round-robin, left to right, to the P provers
    (this thread first, then the workers); the nodes above the cut stay here. A subtree proven
    by one prover needs no blob to cross processes until its root does."""
    cut = max(provers - 1, 0).bit_length()
    nodes = {(t.start, t.end): t for t in local_nodes(0, steps)}
    level = [(0, steps)]
    for _ in range(cut):
        level = [child for span in level for child in nodes[span].children]
    here = {span for span in nodes if _depth(nodes, span, steps) < cut}
    for index, top in enumerate(sorted(level)):
        if index % provers == 0:
            subtree = [top]
            while subtree:
                span = subtree.pop()
                here.add(span)
                subtree += nodes[span].children
    return here.__contains__


def _depth(nodes: dict[Range, StepNode], span: Range, steps: int) -> int:
    """The depth of the node over `span` in the in-order tree over [0, steps)."""
    depth, current = 0, (0, steps)
    while current != span:
        pivot = nodes[current].pivot
        current = (current[0], pivot) if span[1] <= pivot else (pivot + 1, current[1])
        depth += 1
    return depth


def _assign(
    ready: Sequence[StepNode],
    free_here: bool,
    free_workers: int,
    here_first: Callable[[Range], bool],
) -> list[tuple[StepNode, bool]]:
    """The ready nodes to start now and whether each runs here: every prover takes the nodes of
    its own subtrees first, then anyone else's rather than stay idle."""
    own_here = [t for t in ready if here_first((t.start, t.end))]
    own_workers = [t for t in ready if not here_first((t.start, t.end))]
    plan: list[tuple[StepNode, bool]] = []
    while free_workers > 0 and own_workers:
        plan.append((own_workers.pop(0), False))
        free_workers -= 1
    if free_here and (own_here or own_workers):
        plan.append(((own_here or own_workers).pop(0), True))
    while free_workers > 0 and own_here:
        plan.append((own_here.pop(0), False))
        free_workers -= 1
    return plan


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


def prove_job(
    make_circuit: Callable[[], StepCircuit],
    ctx: bytes,
    z0: Sequence[int],
    advice: Sequence[Advice],
    workers: int,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    store: NodeStore | None = None,
) -> Node:
    """The root over [0, len(advice)) from z0 on `workers` provers: a thread of this process
    and `workers` − 1 worker processes (1: this process alone, `prove_range`).

    `make_circuit` and `cache_dir` are as for `ProverPool` (without a directory, a temporary one
    lasting the job serves the workers); `store` as for `prove_range`."""
    if workers < 1:
        raise StepCircuitError(f"a job runs on at least one worker, not {workers}")
    if workers == 1:
        cache = ShapeCache(cache_dir) if cache_dir is not None else None
        return prove_range(
            public_params(make_circuit(), cache), ctx, 0, z0, advice, progress, store
        )
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="novanode-params-") as shared:
            return prove_job(make_circuit, ctx, z0, advice, workers, Path(shared), progress, store)
    with ProverPool(make_circuit, workers, cache_dir) as pool:
        return pool.prove(ctx, z0, advice, progress, store)


_WORKER_PARAMS: list[PublicParams] = []


def _init_worker(make_circuit: Callable[[], StepCircuit], cache_dir: Path) -> None:
    """Derives the parameters once per worker process."""
    _WORKER_PARAMS.append(public_params(make_circuit(), ShapeCache(cache_dir)))


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


__all__ = ["Progress", "ProverPool", "prove_job", "prove_range"]
