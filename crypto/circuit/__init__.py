"""Writing R1CS circuits in Python: one description yields a cached shape and compact witnesses.

A circuit is a function of a `ConstraintSystem`. Run against a `ShapeRecorder` it yields the
`R1CSShape` (sparse A, B, C and a digest); run against a `WitnessGenerator` it yields only the
assignment, with no linear combination built, which is the cheap path taken once per step.
"""

from crypto.circuit.lc import ONE, LinearCombination, Var, private_var
from crypto.circuit.shape import R1CSShape
from crypto.circuit.system import (
    Assignment,
    ConstraintSystem,
    SatisfactionChecker,
    ShapeRecorder,
    WitnessGenerator,
)

__all__ = [
    "ONE",
    "Assignment",
    "ConstraintSystem",
    "LinearCombination",
    "R1CSShape",
    "SatisfactionChecker",
    "ShapeRecorder",
    "Var",
    "WitnessGenerator",
    "private_var",
]
