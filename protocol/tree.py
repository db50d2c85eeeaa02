"""The shape of a job's proof tree for any step count N ≥ 1 (SPEC.md §7).

The tree has two kinds of node, and nothing is padded:

* a **step node** applies the step circuit once, to its *pivot* step m, and proves a contiguous
  range [a, b) with a ≤ m < b from an optional left child [a, m) and an optional right child
  [m + 1, b). Inside one position's range the step nodes form the in-order tree with
  m = a + ⌊(b − a)/2⌋, so a range of n steps has n step nodes and depth ⌊log₂ n⌋ + 1;
* a **join node** is one merge of the routing in `protocol.assignment.merge_plan` (§6.5): it
  proves [start, end) from the two nodes [start, mid) and [mid, end) of two groups of positions
  and applies no step.

So a job of N steps over A positions has N step nodes and A − 1 joins. Every node is a proof on
both curves of the cycle; how a node is encoded is SPEC.md §7.1.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.assignment import Assignment
from protocol.errors import OutOfRangeError

Range = tuple[int, int]
"""A contiguous step range [start, end)."""


@dataclass(frozen=True, slots=True)
class StepNode:
    """Proves [start, end) by applying the step circuit once, at step ``pivot``, between its
    children: the left subtree over [start, pivot) and the right one over [pivot + 1, end),
    each absent when empty."""

    start: int
    pivot: int
    end: int

    @property
    def left(self) -> Range | None:
        """The left child's range, or None when the pivot is the first step."""
        return (self.start, self.pivot) if self.pivot > self.start else None

    @property
    def right(self) -> Range | None:
        """The right child's range, or None when the pivot is the last step."""
        return (self.pivot + 1, self.end) if self.pivot + 1 < self.end else None

    @property
    def children(self) -> tuple[Range, ...]:
        """The ranges of the children that exist, left before right."""
        return tuple(r for r in (self.left, self.right) if r is not None)


@dataclass(frozen=True, slots=True)
class JoinNode:
    """Proves [start, end) from two adjacent nodes [start, mid) and [mid, end), applying no
    step: one merge of the routing of SPEC.md §6.5."""

    start: int
    mid: int
    end: int

    @property
    def children(self) -> tuple[Range, Range]:
        """Both children's ranges, left before right."""
        return (self.start, self.mid), (self.mid, self.end)


TreeNode = StepNode | JoinNode


@dataclass(frozen=True, slots=True)
class PlacedNode:
    """A node of a job's tree with the 1-based index of the position that builds it."""

    position: int
    node: TreeNode


def pivot(start: int, end: int) -> int:
    """The step that the step node over [start, end) applies: the middle one, a + ⌊n/2⌋."""
    if not 0 <= start < end:
        raise OutOfRangeError("range", f"[{start}, {end}) is not a non-empty step range")
    return start + (end - start) // 2


def local_nodes(start: int, end: int) -> tuple[StepNode, ...]:
    """The step nodes of the in-order tree over [start, end), children before parents (left
    subtree, right subtree, then the node), so proving them in this order is bottom-up."""
    out: list[StepNode] = []
    # Iterative post-order walk: a node is emitted after both of its subtrees.
    stack: list[tuple[int, int, bool]] = [(start, end, False)]
    while stack:
        lo, hi, expanded = stack.pop()
        m = pivot(lo, hi)
        if expanded:
            out.append(StepNode(lo, m, hi))
            continue
        stack.append((lo, hi, True))
        if m + 1 < hi:
            stack.append((m + 1, hi, False))
        if m > lo:
            stack.append((lo, m, False))
    return tuple(out)


def job_tree(assignment: Assignment) -> tuple[PlacedNode, ...]:
    """Every node of the job's tree with the position that builds it, in a bottom-up order:
    each position's step nodes, then the joins in routing order. N step nodes, A − 1 joins."""
    nodes = [
        PlacedNode(p.index, node)
        for p in assignment.positions
        for node in local_nodes(p.start, p.end)
    ]
    nodes.extend(PlacedNode(m.receiver, JoinNode(m.start, m.mid, m.end)) for m in assignment.merges)
    return tuple(nodes)
