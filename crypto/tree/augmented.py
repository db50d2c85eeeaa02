"""The two augmented circuits of a tree node: P over Fr (docs/tree-nova.md §5), S over Fq (§6).

P runs the step circuit F once (its output discarded at a join) and verifies three folds of the
children's secondary instances: each present child's running U2 with its fresh u2 (whose X[0]
P recomputes as the child's h1, so that check costs nothing), then the two results. It checks
the seam (ranges adjacent, z continuous through the pivot step) and outputs
[h1(node), h2(L), h2(R)], forwarding each child's h2 (0 for an absent child) to the node's S.

S verifies two folds of primary instances: the children's running U1 (each checked against the
h2 that P forwarded, through the public inputs of the fresh u1 it folds), then the node's own u1
(P's instance). It outputs [h1(node), h2(node)]: the public IO of the node's fresh secondary
instance.

Each circuit has one shape whatever the flags: `synthesize(cs, None)` records it. An absent
child is filled with the zero instance Z (identity commitments, u = 0, X = 0), whose folds are
honest with a zero cross term, so no case needs its own constraints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets import nonnative as nn
from crypto.circuit.gadgets.bits import pack, to_bits
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.eq import select as select_lc
from crypto.circuit.gadgets.nifs_verifier import AllocatedRelaxedInstance, fold, select
from crypto.circuit.lc import ONE, LCLike, LinearCombination, Var, as_lc
from crypto.circuit.step import Advice, StepCircuit
from crypto.circuit.system import ConstraintSystem
from crypto.errors import FieldMismatchError, ShapeMismatchError
from crypto.field import FQ, FR, PrimeField
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import RelaxedInstance
from crypto.folding.transcript import digest_element, point_elements
from crypto.group import CurvePoint
from crypto.tree.hashes import HASH_BITS, h1_bits, h2_bits
from crypto.tree.node import PRIMARY_PUBLIC, SECONDARY_PUBLIC


def zero_instance(shape_field: PrimeField, n_public: int) -> RelaxedInstance:
    """Z: the instance an absent child stands for (identity commitments, u = 0, X = 0),
    satisfied by the all-zero witness."""
    identity = curve_for(shape_field).identity()
    return RelaxedInstance(identity, identity, 0, (0,) * n_public)


@dataclass(frozen=True)
class PrimaryChild:
    """What P reads of a present child: its statement, its secondary pair and the cross term
    of folding them (comm_T on Grumpkin)."""

    a: int
    b: int
    z_start: tuple[int, ...]
    z_end: tuple[int, ...]
    U2: RelaxedInstance
    u2: RelaxedInstance
    comm_T: CurvePoint  # noqa: N815


@dataclass(frozen=True)
class PrimaryInputs:
    """P's witness: the node's start (d_S, ctx, a, z_a), whether it applies F (`step`), its
    children (None where absent), the cross term of fold C and F's advice."""

    d_S: bytes  # noqa: N815
    ctx: bytes
    a: int
    z_a: tuple[int, ...]
    step: bool
    left: PrimaryChild | None
    right: PrimaryChild | None
    comm_T_LR: CurvePoint  # noqa: N815
    advice: Advice


@dataclass(frozen=True)
class SecondaryInputs:
    """S's witness: d_P, the children's primary running instances (None where absent), the
    node's fresh primary instance u1 and the cross terms of folds 1 and 2 (on G1)."""

    d_P: bytes  # noqa: N815
    left: RelaxedInstance | None
    right: RelaxedInstance | None
    u1: RelaxedInstance
    comm_T_a: CurvePoint  # noqa: N815
    comm_T_b: CurvePoint  # noqa: N815


class PrimaryCircuit:
    """P over Fr with the step circuit F embedded."""

    def __init__(self, step: StepCircuit) -> None:
        self.step = step
        self.arity = step.arity

    def synthesize(self, cs: ConstraintSystem, inputs: PrimaryInputs | None) -> None:
        """Constrains one node; `inputs` is None while the shape is recorded."""
        _check_field(cs, FR, "P")
        if inputs is not None and len(inputs.z_a) != self.arity:
            raise ShapeMismatchError(
                f"z_a has {len(inputs.z_a)} elements; F's arity is {self.arity}"
            )
        n = self.arity
        with cs.namespace("statement"):
            d_S = cs.alloc(digest_element(inputs.d_S) if inputs is not None else None, "d_S")
            ctx = cs.alloc(digest_element(inputs.ctx) if inputs is not None else None, "ctx")
            a = cs.alloc(inputs.a if inputs is not None else None, "a")
            z_a = _alloc_all(cs, inputs.z_a if inputs is not None else None, n, "z_a")
        with cs.namespace("flags"):
            e_L = Boolean.alloc(cs, inputs.left is None if inputs is not None else None, "e_L")
            e_R = Boolean.alloc(cs, inputs.right is None if inputs is not None else None, "e_R")
            s = Boolean.alloc(cs, inputs.step if inputs is not None else None, "s")
            # A join (s = 0) has both children.
            cs.enforce(ONE - s.lc, e_L.lc + e_R.lc, 0, "join_has_children")

        filled: list[PrimaryChild | None] = [None, None]
        if inputs is not None:
            filled = [absent_child(n) if c is None else c for c in (inputs.left, inputs.right)]
        left, right = (
            _alloc_child_statement(cs, n, child, f"child_{side}")
            for side, child in zip("LR", filled, strict=True)
        )

        # The seam first, so that a violation fails before the costly folds.
        with cs.namespace("seam"):
            _enforce_if_present(cs, e_L, [left.a], [a], "a_L")
            _enforce_if_present(cs, e_L, left.z_start, z_a, "z_L_start")
            m = select_lc(cs, e_L, a, left.b, "m")
            z_m = [select_lc(cs, e_L, z_a[k], left.z_end[k], f"z_m{k}") for k in range(n)]
        with cs.namespace("F"):
            z_F = self.step.synthesize(cs, z_m, inputs.advice if inputs is not None else None)
        if len(z_F) != n:
            raise ShapeMismatchError(f"{self.step.key} returned {len(z_F)} outputs, not {n}")
        with cs.namespace("seam"):
            z_next = [select_lc(cs, s, z_F[k], z_m[k], f"z_next{k}") for k in range(n)]
            m_next = as_lc(m) + s.lc
            _enforce_if_present(cs, e_R, [right.a], [m_next], "a_R")
            _enforce_if_present(cs, e_R, right.z_start, z_next, "z_R_start")
            b = select_lc(cs, e_R, m_next, right.b, "b")
            z_b = [select_lc(cs, e_R, z_next[k], right.z_end[k], f"z_b{k}") for k in range(n)]

        G = [
            _fold_child(cs, d_S, ctx, held, absent, child, f"child_{side}")
            for side, held, absent, child in zip(
                "LR", (left, right), (e_L, e_R), filled, strict=True
            )
        ]
        with cs.namespace("fold_C"):
            comm_T_LR = ecc.alloc_point(
                cs, _point(inputs.comm_T_LR) if inputs is not None else None, "comm_T"
            )
            U2 = fold(cs, d_S, G[0].G, G[1].G, comm_T_LR)

        with cs.namespace("output"):
            _output(cs, pack(h1_bits(cs, d_S, ctx, a, b, z_a, z_b, U2)), "h1")
            for side, absent, folded in (("L", e_L, G[0]), ("R", e_R, G[1])):
                _forward(cs, absent, folded.h2, f"h2_{side}")


@dataclass(frozen=True)
class _ChildStatement:
    a: Var
    b: Var
    z_start: list[Var]
    z_end: list[Var]


@dataclass(frozen=True)
class _FoldedChild:
    """A child's forwarded h2 and G = sel(absent, Z2, U2 + u2)."""

    h2: LinearCombination
    G: AllocatedRelaxedInstance


def _alloc_child_statement(
    cs: ConstraintSystem, n: int, child: PrimaryChild | None, name: str
) -> _ChildStatement:
    with cs.namespace(name):
        return _ChildStatement(
            cs.alloc(None if child is None else child.a, "a"),
            cs.alloc(None if child is None else child.b, "b"),
            _alloc_all(cs, None if child is None else child.z_start, n, "z_start"),
            _alloc_all(cs, None if child is None else child.z_end, n, "z_end"),
        )


def _fold_child(
    cs: ConstraintSystem,
    d_S: Var,
    ctx: Var,
    statement: _ChildStatement,
    absent: Boolean,
    child: PrimaryChild | None,
    name: str,
) -> _FoldedChild:
    """Recomputes a child's h1 as its fresh instance's X[0] and folds its secondary pair
    (fold A or B); `child` is None while recording (an absent one arrives as `absent_child`)."""
    with cs.namespace(name):
        U2 = AllocatedRelaxedInstance.alloc(
            cs, None if child is None else child.U2, SECONDARY_PUBLIC, "U2"
        )
        comm_W = ecc.alloc_point(cs, None if child is None else _point(child.u2.comm_W), "u2_W")
        forwarded = _alloc_hash(cs, None if child is None else child.u2.X[1], "u2_X1")
        s = statement
        k_c = h1_bits(cs, d_S, ctx, s.a, s.b, s.z_start, s.z_end, U2, "h1")
        u2 = AllocatedRelaxedInstance(
            comm_W,
            ecc.IDENTITY,
            nn.NonNative.constant(1),
            (_limbs(k_c), _limbs(forwarded)),
            fresh=True,
        )
        comm_T = ecc.alloc_point(cs, None if child is None else _point(child.comm_T), "comm_T")
        folded = fold(cs, d_S, U2, u2, comm_T, "fold")
        G = select(cs, absent, _constant_zero(SECONDARY_PUBLIC), folded, "G")
        return _FoldedChild(pack(forwarded), G)


@dataclass(frozen=True)
class _Child:
    """A child as P holds it: statement variables, its forwarded h2 and G = sel(e, Z, fold)."""

    a: Var
    b: Var
    z_start: list[Var]
    z_end: list[Var]
    h2: LinearCombination
    G: AllocatedRelaxedInstance


def absent_child(arity: int) -> PrimaryChild:
    """What P is given for an absent child: Z2, a fresh instance committing to nothing, a zero
    cross term. Any value would do (fold A/B's result is selected away); these are cheap."""
    zero = zero_instance(FQ, SECONDARY_PUBLIC)
    zeros = (0,) * arity
    return PrimaryChild(
        0, 0, zeros, zeros, zero, RelaxedInstance.fresh(FQ, zero.comm_W, (0, 0)), zero.comm_W
    )


class SecondaryCircuit:
    """S over Fq; independent of F."""

    def synthesize(self, cs: ConstraintSystem, inputs: SecondaryInputs | None) -> None:
        """Constrains one node's secondary side; `inputs` is None while the shape is recorded."""
        _check_field(cs, FQ, "S")
        d_P = cs.alloc(digest_element(inputs.d_P) if inputs is not None else None, "d_P")
        zero1 = zero_instance(FR, PRIMARY_PUBLIC)
        views = []
        hashes = []
        for side in ("L", "R"):
            given: RelaxedInstance | None = None
            if inputs is not None:
                given = inputs.left if side == "L" else inputs.right
            with cs.namespace(f"child_{side}"):
                absent = Boolean.alloc(cs, given is None if inputs is not None else None, "f")
                fill = None if inputs is None else zero1 if given is None else given
                U1 = AllocatedRelaxedInstance.alloc(cs, fill, PRIMARY_PUBLIC, "U1")
                V = select(cs, absent, _constant_zero(PRIMARY_PUBLIC), U1, "V")
                k = _limbs(h2_bits(cs, d_P, V, "h2"))
                views.append(V)
                hashes.append(nn.select(cs, absent, nn.NonNative.constant(0), k, "X"))
        with cs.namespace("u1"):
            comm_W = ecc.alloc_point(
                cs, _point(inputs.u1.comm_W) if inputs is not None else None, "comm_W"
            )
            x0_bits = _alloc_hash(cs, inputs.u1.X[0] if inputs is not None else None, "X0")
            u1 = AllocatedRelaxedInstance(
                comm_W,
                ecc.IDENTITY,
                nn.NonNative.constant(1),
                (_limbs(x0_bits), hashes[0], hashes[1]),
                fresh=True,
            )
        comm_T_a = ecc.alloc_point(
            cs, _point(inputs.comm_T_a) if inputs is not None else None, "comm_T_a"
        )
        comm_T_b = ecc.alloc_point(
            cs, _point(inputs.comm_T_b) if inputs is not None else None, "comm_T_b"
        )
        U_LR = fold(cs, d_P, views[0], views[1], comm_T_a, "fold_1")
        U1_node = fold(cs, d_P, U_LR, u1, comm_T_b, "fold_2")
        with cs.namespace("output"):
            _output(cs, pack(x0_bits), "h1")
            _output(cs, pack(h2_bits(cs, d_P, U1_node, "h2")), "h2")


def _forward(cs: ConstraintSystem, absent: Boolean, h2: LCLike, name: str) -> None:
    """A new public input equal to (1 − absent)·h2: a child's h2, or 0 for an absent child."""

    def value() -> int:
        return 0 if absent.value(cs) else cs.value(h2)

    x = cs.alloc_input(value if cs.computes_values else None, name)
    cs.enforce(ONE - absent.lc, h2, x, name)


def _output(cs: ConstraintSystem, value: LCLike, name: str) -> None:
    """A new public input equal to `value` (one constraint)."""
    x = cs.alloc_input((lambda: cs.value(value)) if cs.computes_values else None, name)
    cs.enforce(value, ONE, x, name)


def _alloc_hash(cs: ConstraintSystem, value: int | None, name: str) -> list[Boolean]:
    """A 250-bit value (a hash of either field) as its bits: HASH_BITS + 1 constraints, and
    its limbs are then exact (top limb below 2^58)."""
    with cs.namespace(name):
        var = cs.alloc(value, "value")
        return to_bits(cs, var, HASH_BITS, "bits")


def _limbs(bits: Sequence[Boolean]) -> nn.NonNative:
    """The non-native element whose limbs pack `bits` 64 at a time (range-checked by being
    bits, so free)."""
    return nn.NonNative(
        tuple(
            pack(bits[k : k + nn.LIMB_BITS])
            for k in range(0, nn.N_LIMBS * nn.LIMB_BITS, nn.LIMB_BITS)
        )
    )


def _constant_zero(n_public: int) -> AllocatedRelaxedInstance:
    zero = nn.NonNative.constant(0)
    return AllocatedRelaxedInstance(ecc.IDENTITY, ecc.IDENTITY, zero, (zero,) * n_public)


def _alloc_all(cs: ConstraintSystem, values: Sequence[int] | None, n: int, name: str) -> list[Var]:
    return [cs.alloc(None if values is None else values[k], f"{name}{k}") for k in range(n)]


def _enforce_if_present(
    cs: ConstraintSystem,
    absent: Boolean,
    left: Sequence[LCLike],
    right: Sequence[LCLike],
    name: str,
) -> None:
    """(1 − absent)·(left[k] − right[k]) = 0 for each k."""
    for k, (x, y) in enumerate(zip(left, right, strict=True)):
        cs.enforce(ONE - absent.lc, as_lc(x) - y, 0, f"{name}{k}")


def _point(point: CurvePoint) -> ecc.NativePoint:
    x, y = point_elements(point)
    return x, y


def _check_field(cs: ConstraintSystem, field: PrimeField, circuit: str) -> None:
    if cs.field is not field:
        raise FieldMismatchError(f"{circuit} is a circuit over {field.name}, not {cs.field.name}")


__all__ = [
    "PRIMARY_PUBLIC",
    "SECONDARY_PUBLIC",
    "PrimaryChild",
    "PrimaryCircuit",
    "PrimaryInputs",
    "SecondaryCircuit",
    "SecondaryInputs",
    "absent_child",
    "zero_instance",
]
