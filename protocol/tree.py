"""The shape of a job's proof tree for any step count N ≥ 1 (SPEC.md §7).

Leaves are single steps; an internal node proves a contiguous step range [start, end) and has two
children [start, mid) and [mid, end). The tree has two parts:

* inside one position's range, the *local* tree is left-balanced: a range of n ≥ 2 steps splits
  at mid = start + the largest power of two below n (no padding, no skipped steps);
* above the positions, the merge routing of `protocol.assignment.merge_plan` joins the positions'
  nodes.

So the tree has exactly N leaves and N - 1 internal nodes. How a node is encoded, and whether the
proof engine pads a level or folds a node two levels up (the BN254/Grumpkin cycle alternates
curves by level), is fixed by the proof engine ([tree-nova]) behind the node blob.
"""

from __future__ import annotations

from protocol.assignment import Assignment
from protocol.errors import OutOfRangeError

Span = tuple[int, int, int]
"""An internal node as (start, mid, end): children [start, mid) and [mid, end)."""


def split(start: int, end: int) -> int:
    """Where the local tree splits [start, end): after the largest power of two below its size."""
    size = end - start
    if size < 2:
        raise OutOfRangeError("range", f"[{start}, {end}) has no children to split into")
    return start + (1 << ((size - 1).bit_length() - 1))


def local_merges(start: int, end: int) -> tuple[Span, ...]:
    """The internal nodes of the local tree over [start, end), children before parents."""
    if start >= end:
        raise OutOfRangeError("range", f"[{start}, {end}) is empty")
    out: list[Span] = []
    # Iterative post-order walk: a node is emitted after both of its subtrees.
    stack: list[tuple[int, int, bool]] = [(start, end, False)]
    while stack:
        lo, hi, expanded = stack.pop()
        if hi - lo < 2:
            continue
        mid = split(lo, hi)
        if expanded:
            out.append((lo, mid, hi))
        else:
            stack.extend([(lo, hi, True), (mid, hi, False), (lo, mid, False)])
    return tuple(out)


def job_tree(assignment: Assignment) -> tuple[tuple[int, Span], ...]:
    """Every internal node of the job's tree with the position that builds it, in build order."""
    nodes: list[tuple[int, Span]] = []
    for p in assignment.positions:
        nodes.extend((p.index, span) for span in local_merges(p.start, p.end))
    nodes.extend((m.receiver, (m.start, m.mid, m.end)) for m in assignment.merges)
    return tuple(nodes)
