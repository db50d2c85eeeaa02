"""Helpers shared by the gadget tests: boolean inputs, tampered assignments, dishonest provers,
and the pure-Python curves (`crypto.reference.curve`) in the gadgets' notation of points."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from crypto.circuit import Assignment, ConstraintSystem, ShapeRecorder, Var, WitnessGenerator
from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.system import Value
from crypto.field import PrimeField
from crypto.reference import curve as ref

Circuit = Callable[[ConstraintSystem], object]


def alloc_bits(cs: ConstraintSystem, k: int | None, n: int) -> list[Boolean]:
    """The n little-endian bits of k as new private bits (a challenge's, in the gadget tests)."""
    return [Boolean.alloc(cs, None if k is None else bool(k >> i & 1)) for i in range(n)]


def free_bits(cs: ConstraintSystem, n: int) -> list[Boolean]:
    """n variables taken as bits without any constraint: for counting a gadget's own."""
    return [Boolean(cs.alloc().lc()) for _ in range(n)]


def n_private(cs: ConstraintSystem) -> int:
    """How many private variables `cs` holds so far (where a gadget's own ones start)."""
    if isinstance(cs, ShapeRecorder):
        return cs.n_private
    assert isinstance(cs, WitnessGenerator)
    return len(cs.private)


def tampered(assignment: Assignment, changes: dict[int, int], p: int) -> Assignment:
    """`assignment` with private values replaced: index → new value (mod p)."""
    private = list(assignment.private)
    for index, value in changes.items():
        private[index] = value % p
    return replace(assignment, private=private)


class Steered(WitnessGenerator):
    """A dishonest prover: variables at the given namespace paths take the given values, every
    other value is computed honestly from them (so bits, carries and sums follow the lie)."""

    def __init__(self, field: PrimeField, overrides: dict[str, int]) -> None:
        super().__init__(field)
        self.overrides = overrides
        self.used: set[str] = set()
        self.at: dict[str, Var] = {}

    def alloc(self, value: Value = None, name: str = "") -> Var:
        path = self.path(name)
        if path in self.overrides:
            self.used.add(path)
            value = self.overrides[path]
        var = super().alloc(value, name)
        self.at[path] = var
        return var


def honest_value(
    field: PrimeField, circuit: Callable[[ConstraintSystem], object], path: str
) -> int:
    """The value an honest prover gives the variable allocated at `path`."""
    prover = Steered(field, {})
    circuit(prover)
    return prover.value(prover.at[path])


def steered(field: PrimeField, circuit: Circuit, overrides: dict[str, int]) -> Assignment:
    """The assignment a prover steering `overrides` produces (each path must exist)."""
    prover = Steered(field, overrides)
    circuit(prover)
    assert prover.used == set(overrides), f"no variable at {set(overrides) - prover.used}"
    return prover.assignment()


# The reference curves, with the identity written as the gadgets write it


IDENTITY = (0, 0)
"""The gadgets' identity (on neither curve); the reference writes it None."""


def reference_curve(curve: ecc.Curve) -> ref.Curve:
    """The reference model of a gadget curve (the one over the same base field)."""
    (model,) = (m for m in (ref.BN254_G1, ref.GRUMPKIN) if m.p == curve.field.modulus)
    return model


def _to_reference(point: ecc.NativePoint) -> ref.Point:
    return None if point == IDENTITY else point


def _from_reference(point: ref.Point) -> ecc.NativePoint:
    return IDENTITY if point is None else point


def on_curve(curve: ecc.Curve, a: ecc.NativePoint) -> bool:
    return ref.is_on_curve(reference_curve(curve), _to_reference(a))


def add(curve: ecc.Curve, a: ecc.NativePoint, b: ecc.NativePoint) -> ecc.NativePoint:
    model = reference_curve(curve)
    return _from_reference(ref.add(model, _to_reference(a), _to_reference(b)))


def neg(curve: ecc.Curve, a: ecc.NativePoint) -> ecc.NativePoint:
    return _from_reference(ref.neg(reference_curve(curve), _to_reference(a)))


def mul(curve: ecc.Curve, k: int, a: ecc.NativePoint) -> ecc.NativePoint:
    """k·a (the reference reduces k modulo the group order)."""
    return _from_reference(ref.mul(reference_curve(curve), _to_reference(a), k))
