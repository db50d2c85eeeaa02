"""The proof tree (SPEC.md §7): N step nodes in each position's in-order tree plus the A − 1 joins
of the §6.5 routing. Every step is the pivot of exactly one step node, every node's range is its
children's ranges and its pivot laid side by side, a local tree over n steps has depth
⌊log₂ n⌋ + 1, and the joins are exactly the routing's merges."""

from __future__ import annotations

import hashlib
import itertools
import random

import pytest

from protocol.assignment import Assignment, assign
from protocol.errors import OutOfRangeError
from protocol.messages import WorkerEntry
from protocol.tree import JoinNode, StepNode, job_tree, local_nodes, pivot

JOB = hashlib.sha256(b"job").digest()


def _workers(count: int, rng: random.Random, max_cps: int = 10**6) -> list[WorkerEntry]:
    return [WorkerEntry(rng.randbytes(32), rng.randint(1, max_cps)) for _ in range(count)]


def _tiles(node: StepNode | JoinNode) -> None:
    """The node's range is the union of its children's ranges and its pivot, in order, with no
    gap or overlap: siblings are adjacent (a step node's are separated by its pivot)."""
    pieces = list(node.children)
    if isinstance(node, StepNode):
        assert node.start <= node.pivot < node.end
        pieces.append((node.pivot, node.pivot + 1))
    else:
        assert node.start < node.mid < node.end
    pieces.sort()
    assert pieces[0][0] == node.start and pieces[-1][1] == node.end
    for (_, end), (start, _) in itertools.pairwise(pieces):
        assert end == start
    assert all(lo < hi for lo, hi in pieces)


def _check_local_tree(start: int, end: int) -> None:
    nodes = local_nodes(start, end)
    n = end - start
    assert len(nodes) == n
    assert sorted(node.pivot for node in nodes) == list(range(start, end))
    depth: dict[tuple[int, int], int] = {}
    for node in nodes:  # children before parents, each child used once
        _tiles(node)
        assert node.pivot == pivot(node.start, node.end)
        depth[(node.start, node.end)] = 1 + max((depth.pop(c) for c in node.children), default=0)
    assert depth == {(start, end): n.bit_length()}  # ⌊log₂ n⌋ + 1


def _check_job_tree(a: Assignment) -> None:
    tree = job_tree(a)
    steps = [p for p in tree if isinstance(p.node, StepNode)]
    joins = [p for p in tree if isinstance(p.node, JoinNode)]
    assert len(steps) == a.steps and len(joins) == len(a.positions) - 1
    pivots = sorted(p.node.pivot for p in steps if isinstance(p.node, StepNode))
    assert pivots == list(range(a.steps))
    # The joins follow §6.5: one per merge, built by its receiver, in routing order.
    assert [(p.position, p.node) for p in joins] == [
        (m.receiver, JoinNode(m.start, m.mid, m.end)) for m in a.merges
    ]
    # Building in the listed order, every node finds its children already built by the positions
    # that hold them, and position 1 ends holding [0, N).
    merges = {(m.start, m.mid, m.end): m for m in a.merges}
    held: dict[tuple[int, int], int] = {}
    for placed in tree:
        node = placed.node
        _tiles(node)
        if isinstance(node, StepNode):
            owner = a.position(placed.position)
            assert owner.start <= node.start and node.end <= owner.end
            assert all(held.pop(c) == placed.position for c in node.children)
        else:
            merge = merges[(node.start, node.mid, node.end)]
            left, right = node.children
            assert held.pop(left) == merge.receiver and held.pop(right) == merge.sender
        held[(node.start, node.end)] = placed.position
    assert held == {(0, a.steps): 1}


def test_pivot_is_the_middle_step() -> None:
    assert [pivot(0, n) for n in range(1, 9)] == [0, 1, 1, 2, 2, 3, 3, 4]
    assert pivot(3, 5) == 4 and pivot(10, 11) == 10
    for start, end in [(2, 2), (3, 2), (-1, 2)]:
        with pytest.raises(OutOfRangeError):
            pivot(start, end)
    with pytest.raises(OutOfRangeError):
        local_nodes(5, 5)


def test_small_local_trees() -> None:
    assert local_nodes(4, 5) == (StepNode(4, 4, 5),)
    assert local_nodes(0, 2) == (StepNode(0, 0, 1), StepNode(0, 1, 2))
    assert local_nodes(0, 3) == (StepNode(0, 0, 1), StepNode(2, 2, 3), StepNode(0, 1, 3))
    leaf, one_child = local_nodes(0, 2)
    assert leaf.left is None and leaf.right is None and leaf.children == ()
    assert one_child.left == (0, 1) and one_child.right is None
    root = local_nodes(0, 3)[-1]
    assert root.children == ((0, 1), (2, 3))
    assert JoinNode(0, 3, 7).children == ((0, 3), (3, 7))


def test_local_tree_for_every_n_up_to_300_and_a_sample_up_to_1000() -> None:
    for n in [*range(1, 301), *range(301, 1001, 13), 511, 512, 513, 1000]:
        _check_local_tree(0, n)
    for start, n in [(7, 1), (123, 77), (999_000, 1000)]:
        _check_local_tree(start, start + n)


@pytest.mark.parametrize("n", [2**15 - 1, 2**15 + 1, 100_003])
def test_large_local_trees(n: int) -> None:
    _check_local_tree(1_048_576 - n, 1_048_576)


def test_a_full_size_local_tree_is_in_order() -> None:
    """The largest range a job can have: 2^20 step nodes, the root's pivot in the middle."""
    nodes = local_nodes(0, 1 << 20)
    assert len(nodes) == 1 << 20
    assert nodes[-1] == StepNode(0, 1 << 19, 1 << 20) and nodes[0] == StepNode(0, 0, 1)


def test_job_tree_for_every_n_up_to_100_and_1_to_64_workers() -> None:
    rng = random.Random(7)
    for n in range(1, 101):
        for w in range(1, 65):
            _check_job_tree(assign(JOB, n, _workers(w, rng)))


def test_job_tree_for_a_dense_sample_up_to_1000() -> None:
    rng = random.Random(8)
    for n in [*range(101, 1001, 17), 511, 512, 513, 999, 1000]:
        for w in (1, 2, 3, 5, 8, 13, 21, 34, 55, 63, 64):
            _check_job_tree(assign(JOB, n, _workers(w, rng)))


def test_job_tree_with_equal_capacities() -> None:
    """Five positions of 10 steps: 50 step nodes, and the joins 2→1, 4→3, 3→1, 5→1."""
    a = assign(JOB, 50, _workers(5, random.Random(9), max_cps=1))
    joins = [(p.position, p.node) for p in job_tree(a) if isinstance(p.node, JoinNode)]
    assert joins == [
        (1, JoinNode(0, 10, 20)),
        (3, JoinNode(20, 30, 40)),
        (1, JoinNode(0, 20, 40)),
        (1, JoinNode(0, 40, 50)),
    ]
    _check_job_tree(a)
