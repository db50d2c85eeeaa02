"""Proving a whole range bottom-up as the in-order tree of its steps (docs/tree-nova.md §2.3).

A range [a, b) of n ≥ 1 steps has its pivot at m = a + ⌊n/2⌋: the node for it applies F at
step m, with a left subtree over [a, m) if m > a and a right subtree over [m + 1, b) if
m + 1 < b. The tree's depth is ⌈log₂(n + 1)⌉ and any shape gives the same root statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.circuit.step import Advice
from crypto.errors import StepCircuitError
from crypto.tree.node import Node
from crypto.tree.params import PublicParams
from crypto.tree.prover import prove_step


def pivot(a: int, b: int) -> int:
    """The step the node over [a, b) applies F to."""
    return a + (b - a) // 2


def prove_range(
    params: PublicParams,
    ctx: bytes,
    a: int,
    z_a: Sequence[int],
    advice: Sequence[Advice],
) -> Node:
    """The root node over [a, a + len(advice)) from z_a, sequentially (P = 1); advice[i] is
    step a + i's."""
    if not advice:
        raise StepCircuitError("a range has at least one step")
    states = [tuple(z_a)]
    for step_advice in advice:
        states.append(tuple(params.step.native(states[-1], step_advice)))

    def prove(lo: int, hi: int) -> Node:
        m = pivot(lo, hi)
        left = prove(lo, m) if m > lo else None
        right = prove(m + 1, hi) if m + 1 < hi else None
        return prove_step(params, ctx, a + m, states[m], advice[m], left, right)

    return prove(0, len(advice))


__all__ = ["pivot", "prove_range"]
