"""A step circuit on its own: its shape and its per-step witness, z_i as the public inputs.

This is the step as folding tests and benchmarks use it: z_i is allocated as `arity` public
inputs, then `synthesize` adds the step's private variables and constraints, so the shape has
exactly the step's constraints. (The augmented circuit instead calls `synthesize` on variables
of its own.) The witness is produced as the compact vector W that Nova commits to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard, runtime_checkable

from crypto.circuit.lc import Var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.step import Advice, StepCircuit
from crypto.circuit.system import (
    Assignment,
    ConstraintSystem,
    SatisfactionChecker,
    ShapeRecorder,
    WitnessGenerator,
)
from crypto.errors import StepCircuitError
from crypto.field import ELEMENT_BYTES, FR, PrimeField
from crypto.witness import CompactVector


@runtime_checkable
class DirectShape(Protocol):
    """A step circuit that builds its own shape over `FR` faster than recording it."""

    def direct_shape(self) -> R1CSShape:
        """Equal to `record_step_shape(circuit)`: same digest, names and arrays."""


@dataclass(frozen=True, eq=False)
class StepWitness:
    """One step's values: z_i (the public inputs), W (compact) and z_{i+1}."""

    public: list[int]
    private: CompactVector
    outputs: list[int]

    def assignment(self) -> Assignment:
        """The dense assignment, for satisfaction checks."""
        return Assignment(list(self.public), self.private.field.to_ints(self.private.to_dense()))


def record_step_shape(circuit: StepCircuit, field: PrimeField = FR) -> R1CSShape:
    """The shape of `circuit` on its own, recorded by running `synthesize` without values."""
    recorder = ShapeRecorder(field)
    _run(recorder, circuit, [None] * circuit.arity, None)
    return R1CSShape.from_recorder(recorder)


def step_witness(
    circuit: StepCircuit, z: Sequence[int], advice: Advice, field: PrimeField = FR
) -> StepWitness:
    """The witness of one step from z_i = `z`: the values `record_step_shape`'s shape checks."""
    if len(z) != circuit.arity or any(not 0 <= v < field.modulus for v in z):
        raise StepCircuitError(
            f"{circuit.key} takes z as {circuit.arity} field elements in [0, p); got {list(z)!r}"
        )
    generator = WitnessGenerator(field)
    outputs = _run(generator, circuit, list(z), advice)
    return StepWitness(
        public=generator.public[1:],
        private=compact_from_ints(field, generator.private),
        outputs=[generator.value(v) for v in outputs],
    )


def _run(
    cs: ConstraintSystem, circuit: StepCircuit, z: Sequence[int | None], advice: Advice
) -> list[Var]:
    inputs = [cs.alloc_input(value, f"z_in[{j}]") for j, value in enumerate(z)]
    outputs = circuit.synthesize(cs, inputs, advice)
    if len(outputs) != circuit.arity:
        raise StepCircuitError(
            f"{circuit.key} returned {len(outputs)} outputs; its arity is {circuit.arity}"
        )
    return list(outputs)


def values_only(cs: ConstraintSystem) -> TypeGuard[WitnessGenerator]:
    """Whether `cs` wants values and checks nothing: where circuit-specific witness code may
    append its values in bulk (`WitnessGenerator.extend`) instead of making constraints."""
    return isinstance(cs, WitnessGenerator) and not isinstance(cs, SatisfactionChecker)


def compact_from_ints(field: PrimeField, values: Sequence[int]) -> CompactVector:
    """The compact vector of `values`, ints already in [0, p) (the kernel checks that)."""
    dense = field.from_bytes(b"".join([v.to_bytes(ELEMENT_BYTES, "little") for v in values]))
    return CompactVector.from_dense(field, dense)
