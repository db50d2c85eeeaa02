"""The shared frame of built-in step circuits: one generic synthesis, one fast witness path.

`constrain` is the circuit, written once against any `ConstraintSystem`. When only values are
wanted (a plain `WitnessGenerator`), `synthesize` takes the circuit-specific path instead:
`values` computes the same private values in a tight loop on Python ints and appends them in one
call, with no Python call per constraint. Likewise `direct_shape` builds the step's matrices
from the circuit's regular structure with numpy instead of recording each constraint. Tests hold
each fast path to produce exactly what the generic one does (values; digest, names, arrays).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crypto.circuit.lc import Var, private_var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import Advice
from crypto.circuit.synthesis import values_only
from crypto.circuit.system import ConstraintSystem
from crypto.errors import StepCircuitError
from crypto.field import FR, Vector

Indices = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StepValues:
    """The private values one step allocates, in allocation order, and where z_{i+1} lies.

    `outputs[j]` is a position in (z_i, private): below the arity it names an input, otherwise
    the private value at `outputs[j] - arity`.
    """

    private: list[int]
    outputs: list[int]


class BuiltinStep(ABC):
    """A step circuit over `FR` without advice, with a fast witness path."""

    @property
    @abstractmethod
    def arity(self) -> int:
        """Number of field elements in z."""

    @property
    @abstractmethod
    def key(self) -> str:
        """``builtin:<name>?<parameter>=<value>``; `crypto.circuit.builtins.builtin` parses it."""

    @abstractmethod
    def constrain(self, cs: ConstraintSystem, z: Sequence[Var]) -> list[Var]:
        """The step's variables and constraints, for every mode; returns z_{i+1}."""

    @abstractmethod
    def values(self, z: Sequence[int]) -> StepValues:
        """The private values `constrain` allocates from z_i = `z`, computed directly."""

    @abstractmethod
    def step(self, z: Sequence[int]) -> list[int]:
        """z_{i+1} from a checked z_i."""

    @abstractmethod
    def direct_shape(self) -> R1CSShape:
        """The shape `record_step_shape(self)` records (z_i public), built without recording."""

    def synthesize(self, cs: ConstraintSystem, z: Sequence[Var], advice: Advice) -> list[Var]:
        """Constrains one step; a plain witness generator over FR takes the fast path.

        The fast path computes in FR, so any other field goes through the generic circuit.
        """
        self._check_advice(advice)
        if values_only(cs) and cs.field is FR:
            computed = self.values([cs.value(v) for v in z])
            first = cs.extend(computed.private)
            arity = self.arity
            return [
                z[at] if at < arity else private_var(first + at - arity) for at in computed.outputs
            ]
        return self.constrain(cs, z)

    def native(self, z: Sequence[int], advice: Advice) -> list[int]:
        """z_{i+1} computed directly, without constraints."""
        self._check_advice(advice)
        if len(z) != self.arity or any(not 0 <= v < FR.modulus for v in z):
            raise StepCircuitError(
                f"{self.key} takes z as {self.arity} field elements in [0, p); got {list(z)!r}"
            )
        return self.step(z)

    def _check_advice(self, advice: Advice) -> None:
        if advice:
            raise StepCircuitError(f"{self.key} takes no advice; got keys {sorted(advice)!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"


def csr_matrix(
    counts: Indices, indices: Indices, coefficients: Indices
) -> tuple[Indices, Indices, Vector]:
    """One matrix for `R1CSShape.from_csr`: `counts[i]` entries in row i, at `indices` with
    small signed integer `coefficients` (mapped into Fr through a table of their few values)."""
    distinct, position = np.unique(coefficients, return_inverse=True)
    table = FR.from_ints([int(c) % FR.modulus for c in distinct])
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, indices, table[position.reshape(-1)]
