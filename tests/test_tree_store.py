"""The node store: an interrupted job resumes where it stopped and gives the same bytes; files
that are damaged, partial or of another node are proven again; `prune` removes invalid nodes.

Three steps make a root over two leaves: [0, 1) and [2, 3) below [0, 3) (pivot 1)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from tree_samples import STEP_KEY, step

from crypto.circuit.builtins import builtin
from crypto.folding.relaxed import RelaxedWitness
from crypto.tree.encoding import decode_node, encode_node
from crypto.tree.node import Node
from crypto.tree.params import public_params
from crypto.tree.scheduler import Progress, ProverPool, prove_job
from crypto.tree.store import NodeStore
from protocol.tree import JoinNode, StepNode

CTX = bytes(range(32))
Z0 = (7,)
STEPS = 3
LEFT, RIGHT, ROOT = StepNode(0, 0, 1), StepNode(2, 2, 3), StepNode(0, 1, 3)
make = functools.partial(builtin, STEP_KEY)


class _InterruptedError(Exception):
    """Stands for the operator's Ctrl-C, or the machine going down, between two nodes."""


def _stop_after(count: int) -> Progress:
    def progress(done: int, total: int) -> None:
        if done == count:
            raise _InterruptedError

    return progress


def _prove(store: NodeStore, workers: int = 1) -> tuple[bytes, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    root = prove_job(
        make, CTX, Z0, [None] * STEPS, workers, progress=lambda *p: seen.append(p), store=store
    )
    return encode_node(root), seen


def _path(store: NodeStore, place: StepNode | JoinNode) -> Path:
    return store.path(public_params(step()).digest, CTX, place)


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Path]:
    """The uninterrupted job's root blob and its store, holding every node."""
    directory = tmp_path_factory.mktemp("complete")
    root, seen = _prove(NodeStore(directory))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    return root, directory


def _copy(complete: tuple[bytes, Path], tmp_path: Path) -> NodeStore:
    shutil.copytree(complete[1], tmp_path / "store")
    return NodeStore(tmp_path / "store")


def test_each_node_is_a_file_named_by_its_place(complete: tuple[bytes, Path]) -> None:
    """Files hold the canonical node blob; steps and joins over one range are kept apart."""
    store = NodeStore(complete[1])
    params = public_params(step())
    files = sorted(p.name for p in store.directory.rglob("*") if p.is_file())
    assert files == ["step-0-0-1.node", "step-0-1-3.node", "step-2-2-3.node"]
    for place in (LEFT, RIGHT, ROOT):
        data = _path(store, place).read_bytes()
        node = decode_node(data, params.layout())
        assert (node.statement.a, node.statement.b) == (place.start, place.end)
        assert encode_node(node) == data
    assert _path(store, ROOT).read_bytes() == complete[0]
    assert _path(store, JoinNode(0, 1, 3)).name == "join-0-1-3.node"
    assert _path(store, ROOT).parent == store.directory / params.digest.hex() / CTX.hex()


def test_an_interrupted_job_resumes_with_the_same_bytes(
    complete: tuple[bytes, Path], tmp_path: Path
) -> None:
    store = NodeStore(tmp_path)
    with pytest.raises(_InterruptedError):
        prove_job(make, CTX, Z0, [None] * STEPS, 1, progress=_stop_after(1), store=store)
    assert _path(store, LEFT).exists() and not _path(store, ROOT).exists()
    root, seen = _prove(store)
    assert seen == [(1, 2), (2, 2)]  # the left leaf is not proven again
    assert root == complete[0]
    # Once complete, the job is the stored root: nothing is proven.
    assert _prove(store) == (complete[0], [])


def test_two_workers_resume_with_the_same_bytes(
    complete: tuple[bytes, Path], tmp_path: Path
) -> None:
    """Both leaves run at once; the run stops when the first is in, the other one is lost."""
    store = NodeStore(tmp_path / "store")
    with ProverPool(make, 2, tmp_path / "cache") as pool:
        with pytest.raises(_InterruptedError):
            pool.prove(CTX, Z0, [None] * STEPS, _stop_after(1), store)
        assert not _path(store, ROOT).exists()
        seen: list[tuple[int, int]] = []
        root = pool.prove(CTX, Z0, [None] * STEPS, lambda *p: seen.append(p), store)
    assert seen == [(1, 2), (2, 2)]
    assert encode_node(root) == complete[0]


def test_damaged_partial_or_misplaced_files_are_proven_again(
    complete: tuple[bytes, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The root file cut short, the right leaf's file holding the left leaf's node, and a
    temporary file left by a write that never finished: the root and the right leaf are proven
    again (the left leaf is used), and the job's bytes are the uninterrupted job's."""
    store = _copy(complete, tmp_path)
    root_path, right_path = _path(store, ROOT), _path(store, RIGHT)
    root_path.write_bytes(root_path.read_bytes()[:-100])
    shutil.copy(_path(store, LEFT), right_path)
    right_path.with_name(right_path.name + ".tmp").write_bytes(b"\xa1")
    with caplog.at_level(logging.WARNING, logger="crypto.tree.store"):
        root, seen = _prove(store)
    assert seen == [(1, 2), (2, 2)]
    assert root == complete[0]
    assert root_path.read_bytes() == complete[0]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"{root_path} is not a readable node ({messages[0].split('(', 1)[1]}",
        f"{right_path} holds another node than the job's; proving it again",
    ]
    assert not right_path.with_name(right_path.name + ".tmp").exists()


def _damaged(node: Node) -> Node:
    """`node` with one value of its primary witness changed: it still decodes, with the same
    statement, but it is no longer a valid node."""
    W = node.W1.dense_W().copy()
    W[5, 0] ^= np.uint64(1)
    return dataclasses.replace(node, W1=RelaxedWitness(W, node.W1.E))


def test_prune_removes_damaged_nodes(complete: tuple[bytes, Path], tmp_path: Path) -> None:
    """A changed witness value is no decoding error: the store loads the node. `prune` verifies
    every stored node and removes the damaged one (the stored root was proven before the damage
    and is kept; test_cli_tree.py has a root proven on a damaged node removed too)."""
    params = public_params(step())
    store = _copy(complete, tmp_path)
    left_path = _path(store, LEFT)
    damaged = _damaged(decode_node(left_path.read_bytes(), params.layout()))
    left_path.write_bytes(encode_node(damaged))
    assert store.load(params, damaged.statement, LEFT) == damaged
    assert store.prune(params, CTX) == [left_path]
    assert sorted(p.name for p in left_path.parent.iterdir()) == [
        "step-0-1-3.node",
        "step-2-2-3.node",
    ]
