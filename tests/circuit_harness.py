"""Runs a circuit in all three constraint-system modes and checks that they agree.

`synthesize` records the shape, checks every constraint while computing values, computes the
witness alone, and asserts that both assignments are equal and satisfy the shape; tests then
read outputs through the witness generator and tamper with the assignment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from crypto.circuit import (
    Assignment,
    ConstraintSystem,
    R1CSShape,
    SatisfactionChecker,
    ShapeRecorder,
    Var,
    WitnessGenerator,
)
from crypto.field import PrimeField

Out = TypeVar("Out")


@dataclass(frozen=True)
class Synthesis(Generic[Out]):
    shape: R1CSShape
    assignment: Assignment
    generator: WitnessGenerator
    output: Out


def synthesize(field: PrimeField, circuit: Callable[[ConstraintSystem], Out]) -> Synthesis[Out]:
    recorder = ShapeRecorder(field)
    circuit(recorder)
    shape = R1CSShape.from_recorder(recorder)
    checker = SatisfactionChecker(field)
    circuit(checker)
    assert checker.n_constraints == shape.n_constraints
    generator = WitnessGenerator(field)
    output = circuit(generator)
    assignment = generator.assignment()
    assert assignment == checker.assignment()
    assert shape.first_unsatisfied(assignment) is None
    return Synthesis(shape, assignment, generator, output)


def tampered(assignment: Assignment, var: Var, value: int) -> Assignment:
    """`assignment` with the private variable `var` set to `value`."""
    assert not var.is_public
    private = list(assignment.private)
    private[var.id >> 1] = value
    return replace(assignment, private=private)


def first_failure(shape: R1CSShape, assignment: Assignment) -> str:
    """The name of the first constraint `assignment` violates (failing if there is none)."""
    index = shape.first_unsatisfied(assignment)
    assert index is not None, "the tampered assignment satisfies the shape"
    return shape.name_of(index)
