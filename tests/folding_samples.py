"""Shapes and satisfying assignments for the folding tests, over Fr and Fq.

Built-ins give Fr shapes of the kind the network folds; `random_circuit` records random R1CS of
any size over either field with the ShapeRecorder, each constraint in its own namespace.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crypto.circuit import ConstraintSystem, LinearCombination, R1CSShape, ShapeRecorder
from crypto.circuit.builtins import builtin
from crypto.circuit.builtins.base import BuiltinStep
from crypto.circuit.cache import ShapeCache
from crypto.circuit.lc import ONE, Var
from crypto.circuit.synthesis import compact_from_ints, record_step_shape, step_witness
from crypto.circuit.system import SatisfactionChecker
from crypto.field import PrimeField
from crypto.folding.relaxed import RelaxedInstance, RelaxedWitness, fresh
from crypto.witness import CompactVector


@dataclass(frozen=True)
class Sample:
    """A shape and a way to draw satisfying assignments (public X, private W) of it."""

    name: str
    shape: R1CSShape
    draw: Callable[[random.Random], tuple[list[int], CompactVector]]

    def fresh(self, rng: random.Random) -> tuple[RelaxedInstance, RelaxedWitness]:
        X, W = self.draw(rng)
        return fresh(self.shape, X, W)


def builtin_sample(key: str) -> Sample:
    circuit = builtin(key)
    shape = ShapeCache().step_shape(circuit)

    def draw(rng: random.Random) -> tuple[list[int], CompactVector]:
        z = [rng.randrange(shape.field.modulus) for _ in range(circuit.arity)]
        witness = step_witness(circuit, z, None)
        return witness.public, witness.private

    return Sample(key, shape, draw)


def recorded_sample(key: str, field: PrimeField) -> Sample:
    """A built-in recorded over `field` through its generic constraints (the built-ins' fast
    paths are Fr-only), its witnesses computed while checking every constraint."""
    circuit = builtin(key)
    assert isinstance(circuit, BuiltinStep)
    shape = record_step_shape(circuit, field)

    def draw(rng: random.Random) -> tuple[list[int], CompactVector]:
        checker = SatisfactionChecker(field)
        z = [checker.alloc_input(rng.randrange(field.modulus)) for _ in range(circuit.arity)]
        circuit.constrain(checker, z)
        assignment = checker.assignment()
        return assignment.public, compact_from_ints(field, assignment.private)

    return Sample(f"{key}#{field.name}", shape, draw)


Circuit = Callable[[ConstraintSystem, Sequence[int | None]], None]


def random_circuit(seed: int, n_inputs: int, n_constraints: int) -> Circuit:
    """A random circuit: each constraint multiplies two random combinations of earlier
    variables (some with the constant) into a new private variable; a few are booleans."""

    def synthesize(cs: ConstraintSystem, inputs: Sequence[int | None]) -> None:
        rng = random.Random(seed)
        p = cs.modulus
        variables: list[Var] = [cs.alloc_input(v, f"x{i}") for i, v in enumerate(inputs)]

        def combination() -> LinearCombination:
            picked = rng.sample(variables, min(len(variables), rng.randint(1, 3)))
            lc = LinearCombination({})
            for var in picked:
                lc = lc + var * rng.choice([1, p - 1, rng.randrange(p)])
            return lc + ONE * rng.choice([0, 1, rng.randrange(p)])

        for i in range(n_constraints):
            with cs.namespace(f"gate{i}"):
                if rng.random() < 0.2:
                    bit = rng.randint(0, 1)
                    b = cs.alloc(lambda bit=bit: bit, "bit")
                    cs.enforce(b, ONE - b, LinearCombination({}), "boolean")
                    variables.append(b)
                    continue
                a, b = combination(), combination()
                c = cs.alloc(lambda a=a, b=b: cs.value(a) * cs.value(b), "product")
                cs.enforce(a, b, c, "mul")
                variables.append(c)

    return synthesize


def random_sample(field: PrimeField, seed: int, n_inputs: int, n_constraints: int) -> Sample:
    circuit = random_circuit(seed, n_inputs, n_constraints)
    recorder = ShapeRecorder(field)
    circuit(recorder, [None] * n_inputs)
    shape = R1CSShape.from_recorder(recorder)

    def draw(rng: random.Random) -> tuple[list[int], CompactVector]:
        checker = SatisfactionChecker(field)
        circuit(
            checker, [rng.choice([0, 1, rng.randrange(field.modulus)]) for _ in range(n_inputs)]
        )
        assignment = checker.assignment()
        return assignment.public, compact_from_ints(field, assignment.private)

    return Sample(f"random-{field.name}-{seed}-{n_constraints}", shape, draw)
