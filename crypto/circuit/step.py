"""Step circuits: the function F that Nova applies N times, z_{i+1} = F(z_i, advice_i).

A step circuit is synthesised inside the augmented (folding-verifier) circuit, so it receives
the variables holding z_i and returns those holding z_{i+1}; its private per-step input
(`advice`, a JSON-like object as circom takes it) is None while only the shape is recorded.
`native` computes the same step without constraints, so a requester can compute the trace
z_0 … z_N cheaply and check the statement it will receive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from crypto.circuit.lc import Var
from crypto.circuit.system import ConstraintSystem

Advice: TypeAlias = Mapping[str, Any] | None
"""One step's private input in circom's JSON input format; None while recording the shape."""


@runtime_checkable
class StepCircuit(Protocol):
    """F: a fixed-arity state transition with per-step private advice."""

    @property
    def arity(self) -> int:
        """Number of field elements in z."""

    @property
    def key(self) -> str:
        """A string naming this circuit and its parameters (e.g. ``builtin:cubic?log2=10``)."""

    def synthesize(self, cs: ConstraintSystem, z: Sequence[Var], advice: Advice) -> list[Var]:
        """Constrains one step and returns the variables holding z_{i+1}."""

    def native(self, z: Sequence[int], advice: Advice) -> list[int]:
        """z_{i+1} computed directly, without constraints."""


def trace(circuit: StepCircuit, z0: Sequence[int], advice: Sequence[Advice]) -> list[list[int]]:
    """The execution trace z_0 … z_N for N = len(advice) steps."""
    states = [list(z0)]
    for step_advice in advice:
        states.append(circuit.native(states[-1], step_advice))
    return states
