"""The in-order nodes of one job over many step ranges, each proven once.

The in-order trees of [0, N) differ per N, but their subtrees repeat: over N = 1..33 the 33 trees
have 561 nodes and only 164 distinct ranges. `JobNodes.node(a, b)` proves the node over [a, b)
with its in-order children, memoised by range, so a sweep over N pays for each range once.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto.circuit.step import Advice, trace
from crypto.tree.node import Node
from crypto.tree.params import PublicParams
from crypto.tree.prover import prove_step
from protocol.tree import pivot


class JobNodes:
    """The nodes of one job (parameters, ctx, z0 and the steps' advice) by step range."""

    def __init__(
        self, params: PublicParams, ctx: bytes, z0: Sequence[int], advice: Sequence[Advice]
    ) -> None:
        self.params, self.ctx, self.advice = params, ctx, list(advice)
        self.states = [tuple(z) for z in trace(params.step, z0, self.advice)]
        self._nodes: dict[tuple[int, int], Node] = {}

    def node(self, a: int, b: int) -> Node:
        """The root of the in-order tree over [a, b)."""
        if (a, b) not in self._nodes:
            m = pivot(a, b)
            left = self.node(a, m) if m > a else None
            right = self.node(m + 1, b) if m + 1 < b else None
            self._nodes[a, b] = prove_step(
                self.params, self.ctx, m, self.states[m], self.advice[m], left, right
            )
        return self._nodes[a, b]

    @property
    def proven(self) -> int:
        """How many nodes were proven so far."""
        return len(self._nodes)
