"""Inputs for the tree's augmented circuits: random instances and consistent node cases.

The circuits' internal constraints hold for any instances (the folds and hashes are computed,
not checked against anything), so unit tests feed random commitments and scalars; the seam
constraints need consistent statements, which `primary_inputs` builds for each case.
"""

from __future__ import annotations

import random
from typing import Literal

from crypto.circuit.builtins import builtin
from crypto.circuit.step import StepCircuit
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import RelaxedInstance
from crypto.group import CurvePoint
from crypto.tree.augmented import PrimaryChild, PrimaryInputs, SecondaryInputs
from crypto.tree.hashes import HASH_BITS

STEP_KEY = "builtin:cubic?log2=2"
Case = Literal["leaf", "left", "right", "both", "join"]
CASES: tuple[Case, ...] = ("leaf", "left", "right", "both", "join")


def step() -> StepCircuit:
    return builtin(STEP_KEY)


def random_point(rng: random.Random, field: PrimeField, identity_chance: float = 0.0) -> CurvePoint:
    curve = curve_for(field)
    if rng.random() < identity_chance:
        return curve.identity()
    return rng.randrange(1, 1 << 64) * curve.generator()


def random_instance(rng: random.Random, field: PrimeField, n_public: int) -> RelaxedInstance:
    """A relaxed instance of a `field` shape with random commitments and scalars."""
    return RelaxedInstance(
        random_point(rng, field),
        random_point(rng, field, 0.3),
        rng.randrange(field.modulus),
        tuple(rng.randrange(field.modulus) for _ in range(n_public)),
    )


def random_fresh(rng: random.Random, field: PrimeField, n_public: int) -> RelaxedInstance:
    """A fresh instance whose public inputs are 250-bit hashes, as the node's are."""
    X = tuple(rng.randrange(1 << HASH_BITS) for _ in range(n_public))
    return RelaxedInstance.fresh(field, random_point(rng, field), X)


def _child(rng: random.Random, a: int, b: int, z_start: int, z_end: int) -> PrimaryChild:
    return PrimaryChild(
        a,
        b,
        (z_start,),
        (z_end,),
        random_instance(rng, FQ, 2),
        random_fresh(rng, FQ, 2),
        random_point(rng, FQ),
    )


def primary_inputs(case: Case, seed: int = 0) -> PrimaryInputs:
    """A consistent P witness for `case`: a node over steps starting at 10 with z_a = 3."""
    rng = random.Random(seed)
    F = step()

    def apply(z: int) -> int:
        return F.native([z], None)[0]

    a, z_a = 10, 3
    left = right = None
    m, z_m = a, z_a
    if case in ("left", "both", "join"):
        m, z_m = a + 2, rng.randrange(FR.modulus)
        left = _child(rng, a, m, z_a, z_m)
    applies = case != "join"
    m_next, z_next = (m + 1, apply(z_m)) if applies else (m, z_m)
    if case in ("right", "both", "join"):
        right = _child(rng, m_next, m_next + 3, z_next, rng.randrange(FR.modulus))
    return PrimaryInputs(
        d_S=rng.randbytes(32),
        ctx=rng.randbytes(32),
        a=a,
        z_a=(z_a,),
        step=applies,
        left=left,
        right=right,
        comm_T_LR=random_point(rng, FQ, 0.2),
        advice=None,
    )


def secondary_inputs(case: Case, seed: int = 0) -> SecondaryInputs:
    """An S witness: children's U1 present as in `case`, a fresh u1 with X of 3."""
    rng = random.Random(seed)
    has_left = case in ("left", "both", "join")
    has_right = case in ("right", "both", "join")
    return SecondaryInputs(
        d_P=rng.randbytes(32),
        left=random_instance(rng, FR, 3) if has_left else None,
        right=random_instance(rng, FR, 3) if has_right else None,
        u1=random_fresh(rng, FR, 3),
        comm_T_a=random_point(rng, FR, 0.2),
        comm_T_b=random_point(rng, FR),
    )
