"""Proving a whole range bottom-up as the in-order tree of its steps (docs/tree-nova.md §2.3).

A range [a, b) of n ≥ 1 steps has its pivot at m = a + ⌊n/2⌋: the node for it applies F at
step m, with a left subtree over [a, m) if m > a and a right subtree over [m + 1, b) if
m + 1 < b. The tree's depth is ⌈log₂(n + 1)⌉ and any shape gives the same root statement.

`prove_range` proves it in this process (P = 1). `prove_job` runs the nodes on a pool of P
worker processes, each building the parameters once from an on-disk shape cache this process
fills (shapes and commitment-key generators, read back rather than derived); a node is
submitted as soon as its children are proven, and nodes travel between processes as their
canonical CBOR blobs (`crypto.tree.encoding`).
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from crypto.circuit.cache import ShapeCache
from crypto.circuit.step import Advice, StepCircuit
from crypto.errors import StepCircuitError
from crypto.tree.encoding import decode_node, encode_node
from crypto.tree.node import Node
from crypto.tree.params import PublicParams, public_params
from crypto.tree.prover import prove_step

Progress = Callable[[int, int], None]
"""Called with (nodes proven, nodes in all) after each node."""


def pivot(a: int, b: int) -> int:
    """The step the node over [a, b) applies F to."""
    return a + (b - a) // 2


@dataclass(frozen=True)
class Task:
    """One node of the in-order tree: range [a, b), pivot m, children as task indices."""

    a: int
    b: int
    m: int
    left: int | None
    right: int | None


def in_order_tasks(a: int, b: int) -> list[Task]:
    """The nodes of the in-order tree over [a, b), children before parents (the root last)."""
    if not a < b:
        raise StepCircuitError(f"a range has at least one step; got [{a}, {b})")
    tasks: list[Task] = []

    def add(lo: int, hi: int) -> int:
        m = pivot(lo, hi)
        left = add(lo, m) if m > lo else None
        right = add(m + 1, hi) if m + 1 < hi else None
        tasks.append(Task(lo, hi, m, left, right))
        return len(tasks) - 1

    add(a, b)
    return tasks


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
    tasks = in_order_tasks(a, a + len(advice))
    states = _states(params, z_a, advice)
    nodes: list[Node] = []
    for task in tasks:
        i = task.m - a
        left = None if task.left is None else nodes[task.left]
        right = None if task.right is None else nodes[task.right]
        nodes.append(prove_step(params, ctx, task.m, states[i], advice[i], left, right))
        if progress is not None:
            progress(len(nodes), len(tasks))
    return nodes[-1]


def prove_job(
    make_circuit: Callable[[], StepCircuit],
    ctx: bytes,
    z0: Sequence[int],
    advice: Sequence[Advice],
    workers: int,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Node:
    """The root over [0, len(advice)) from z0 on `workers` processes (1: in this process).

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
    tasks = in_order_tasks(0, len(advice))
    states = _states(params, z0, advice)
    blobs: dict[int, bytes] = {}
    running: dict[Future[bytes], int] = {}
    waiting = list(range(len(tasks)))
    # Spawned, not forked: the kernel's thread pool does not survive a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, context, initializer=_init_worker, initargs=(make_circuit, cache_dir)
    ) as pool:
        while waiting or running:
            for index in [i for i in waiting if _ready(tasks[i], blobs)]:
                waiting.remove(index)
                task = tasks[index]
                future = pool.submit(
                    _prove_task,
                    ctx,
                    task.m,
                    states[task.m],
                    advice[task.m],
                    None if task.left is None else blobs[task.left],
                    None if task.right is None else blobs[task.right],
                )
                running[future] = index
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                blobs[running.pop(future)] = future.result()
                if progress is not None:
                    progress(len(blobs), len(tasks))
    return decode_node(blobs[len(tasks) - 1], params.layout())


def _ready(task: Task, blobs: dict[int, bytes]) -> bool:
    return all(child is None or child in blobs for child in (task.left, task.right))


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


__all__ = ["Progress", "Task", "in_order_tasks", "pivot", "prove_job", "prove_range"]
