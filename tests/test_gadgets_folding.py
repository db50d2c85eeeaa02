"""The point and non-native gadgets together, as Nova's verifier uses them to fold a relaxed
instance of the other curve's circuit: W' = W1 + r·W2, E' = E1 + r·(T + r·E2), u' = u1 + r·u2,
X' = X1 + r·X2, with r a 128-bit challenge."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from gadget_harness import add, alloc_bits, mul

from crypto.circuit import ConstraintSystem, R1CSShape, ShapeRecorder, WitnessGenerator
from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets import nonnative as nn


@dataclass(frozen=True)
class Instance:
    """A relaxed instance: commitments W and E, scalar u, public inputs X (native values)."""

    W: tuple[int, int]
    E: tuple[int, int]
    u: int
    X: tuple[int, ...]


def fold_native(curve: ecc.Curve, a: Instance, b: Instance, T: tuple[int, int], r: int) -> Instance:
    m = curve.order
    return Instance(
        W=add(curve, a.W, mul(curve, r, b.W)),
        E=add(curve, a.E, mul(curve, r, add(curve, T, mul(curve, r, b.E)))),
        u=(a.u + r * b.u) % m,
        X=tuple((x + r * y) % m for x, y in zip(a.X, b.X, strict=True)),
    )


def fold_circuit(
    cs: ConstraintSystem,
    a: Instance | None,
    b: Instance | None,
    T: tuple[int, int] | None,
    r: int | None,
) -> tuple[ecc.Point, ecc.Point, nn.NonNative, list[nn.NonNative]]:
    def points(i: Instance | None, name: str) -> tuple[ecc.Point, ecc.Point]:
        return (
            ecc.alloc_point(cs, None if i is None else i.W, f"{name}_W"),
            ecc.alloc_point(cs, None if i is None else i.E, f"{name}_E"),
        )

    def scalars(i: Instance | None, name: str) -> list[nn.NonNative]:
        values = [None] * 3 if i is None else [i.u, *i.X]
        return [nn.alloc(cs, v, f"{name}_s{k}") for k, v in enumerate(values)]

    (w1, e1), (w2, e2) = points(a, "a"), points(b, "b")
    (u1, *x1), (u2, *x2) = scalars(a, "a"), scalars(b, "b")
    t = ecc.alloc_point(cs, T, "T")
    bits = alloc_bits(cs, r, 128)
    w = ecc.add(cs, w1, ecc.scalar_mul(cs, w2, bits, "rW"), "W")
    inner = ecc.add(cs, t, ecc.scalar_mul(cs, e2, bits, "rE"), "T_rE")
    e = ecc.add(cs, e1, ecc.scalar_mul(cs, inner, bits, "r_T_rE"), "E")
    u = nn.fold(cs, u1, u2, bits, "u")
    x = [nn.fold(cs, p, q, bits, f"X{k}") for k, (p, q) in enumerate(zip(x1, x2, strict=True))]
    return w, e, u, x


@pytest.mark.parametrize("curve", [ecc.GRUMPKIN, ecc.BN254_G1], ids=lambda c: c.name)
def test_folding_a_relaxed_instance_in_circuit_matches_native(curve: ecc.Curve) -> None:
    rng = random.Random(curve.name)
    m = curve.order

    def instance() -> Instance:
        def point() -> tuple[int, int]:
            return mul(curve, rng.randrange(1, m), curve.generator)

        return Instance(point(), point(), rng.randrange(m), (rng.randrange(m), rng.randrange(m)))

    a, b = instance(), instance()
    T, r = mul(curve, rng.randrange(1, m), curve.generator), rng.getrandbits(128)

    recorder = ShapeRecorder(curve.field)
    fold_circuit(recorder, None, None, None, None)
    shape = R1CSShape.from_recorder(recorder)
    generator = WitnessGenerator(curve.field)
    w, e, u, x = fold_circuit(generator, a, b, T, r)
    assert shape.first_unsatisfied(generator.assignment()) is None

    expected = fold_native(curve, a, b, T, r)
    assert w.value(generator) == expected.W and e.value(generator) == expected.E
    assert u.value(generator) == expected.u
    assert tuple(v.value(generator) for v in x) == expected.X
    # Inputs: 5 points · 5 + 6 scalars · 260 + 128 bits = 1,713 constraints; the fold itself:
    # 3 scalar multiplications, 3 additions, 3 scalar folds = 3·1,037 + 3·16 + 3·536 = 4,767.
    assert shape.n_constraints == 1713 + 4767
