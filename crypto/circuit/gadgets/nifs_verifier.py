"""Verifying NIFS folds of the other curve's relaxed R1CS instances inside a circuit.

An Fr circuit folds instances of Fq shapes: their commitments are Grumpkin points, whose
coordinates are native Fr values, while u and X are Fq scalars, held as four 64-bit limbs
(`nonnative`). An Fq circuit folds Fr-shape instances the same way, with G1 points. The
transcript runs over the commitments' base field, the circuit's own, so the challenge is
recomputed with the Poseidon `Sponge` gadget absorbing exactly the elements the native
`crypto.folding.transcript` absorbs, in the same order: the folded instance then equals the one
`crypto.folding.nifs.fold_instances` computes (same points, same residues of u and X).

A fresh instance (u = 1, comm_E = identity) is fixed as fresh when its circuit is written: its
u and comm_E are constants, so a fold with it skips the scalar multiplication by E2 and the
multiplication of u2 by r.

The transcript absorbs each scalar as two halves (`scalar_halves`), limbs 0–1 and limbs 2–3
packed: linear combinations, so free. As each limb is range-checked below 2^64, each half is an
integer below 2^128, far below the circuit's prime: no wrap-around, and the two halves determine
the four limbs, so no other limbs absorb the same elements. Limbs are not forced below the other
prime: an honest prover's are canonical, and then the halves are the native transcript's (high
below 2^126), while another representative of the same residue folds to the same residues. It
only changes the transcript's input, which the challenge then hashes like any other prover
message, so it gains the prover nothing but a different random challenge; a native party
recomputing the hash of such an instance from its canonical values would find a mismatch and
reject it.

Constraints, for instances with n public inputs (k = 1 + n scalars): `alloc` 10 + 260·k,
`alloc_fresh` 5 + 260·n, `select` 3 per point and 4 per scalar where the sides differ.
`challenge` absorbs 2·(4 + 2k) + 3 elements, padded to a multiple of the rate 4, at 300 per
permutation (less 3: the tag's first S-box is constant), plus 334 for the bits: 1,831 for
n = 1, 2,131 for n = 2. `fold` adds 1,037 per scalar multiplication, 16 per point addition and
536 per scalar (270 for u = u1 + r with a fresh U2): with a fresh U2 4,743 (n = 1) or 5,579
(n = 2) in all, with a running U2 6,062 or 6,898.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.circuit.gadgets import ecc
from crypto.circuit.gadgets import nonnative as nn
from crypto.circuit.gadgets.bits import enforce_at_most, pack
from crypto.circuit.gadgets.boolean import Boolean
from crypto.circuit.gadgets.poseidon import Sponge
from crypto.circuit.lc import ONE, LCLike, LinearCombination, as_lc
from crypto.circuit.system import ConstraintSystem
from crypto.errors import NotFreshInstanceError, ShapeMismatchError
from crypto.folding.relaxed import RelaxedInstance
from crypto.folding.transcript import (
    CHALLENGE_BITS,
    HALF_BITS,
    NIFS_LABEL,
    SPONGE_WIDTH,
    point_elements,
)
from crypto.group import CurvePoint
from crypto.poseidon import domain_tag


@dataclass(frozen=True)
class AllocatedRelaxedInstance:
    """A relaxed instance of the other curve's shape: (comm_W, comm_E, u, X) in-circuit.

    `fresh` is fixed when the circuit is written: True where u = 1 and comm_E = identity are
    constants (`alloc_fresh`), which `fold` uses to skip work.
    """

    # The paper's names, as in `crypto.folding.relaxed.RelaxedInstance`.
    comm_W: ecc.Point  # noqa: N815
    comm_E: ecc.Point  # noqa: N815
    u: nn.NonNative
    X: tuple[nn.NonNative, ...]
    fresh: bool = False

    @classmethod
    def alloc(
        cls,
        cs: ConstraintSystem,
        value: RelaxedInstance | None,
        n_public: int,
        name: str = "instance",
    ) -> AllocatedRelaxedInstance:
        """A relaxed instance with `n_public` public inputs, every component a new private
        variable (10 + 260·(1 + n_public) constraints); `value` is None while recording."""
        _check_arity(value, n_public)
        with cs.namespace(name):
            return cls(
                ecc.alloc_point(cs, _point(None if value is None else value.comm_W), "comm_W"),
                ecc.alloc_point(cs, _point(None if value is None else value.comm_E), "comm_E"),
                nn.alloc(cs, None if value is None else value.u, "u"),
                _alloc_scalars(cs, value, n_public),
            )

    @classmethod
    def alloc_fresh(
        cls,
        cs: ConstraintSystem,
        value: RelaxedInstance | None,
        n_public: int,
        name: str = "fresh_instance",
    ) -> AllocatedRelaxedInstance:
        """A fresh (strict) instance: comm_W and X allocated (5 + 260·n_public constraints),
        u = 1 and comm_E = identity as constants. Raises `NotFreshInstanceError` for a value
        that is not fresh."""
        _check_arity(value, n_public)
        if value is not None and (value.u != 1 or not value.comm_E.is_identity()):
            raise NotFreshInstanceError(
                "alloc_fresh takes a strict instance (u = 1, comm_E = identity); allocate a "
                "folded one with AllocatedRelaxedInstance.alloc"
            )
        with cs.namespace(name):
            return cls(
                ecc.alloc_point(cs, _point(None if value is None else value.comm_W), "comm_W"),
                ecc.IDENTITY,
                nn.NonNative.constant(1),
                _alloc_scalars(cs, value, n_public),
                fresh=True,
            )

    def hash_elements(self) -> list[LCLike]:
        """What the transcript absorbs for this instance, in the native order
        (`crypto.folding.transcript.instance_elements`): comm_W (x, y), comm_E (x, y), u's two
        halves, then each X[i]'s. The identity's coordinates are (0, 0) on both sides."""
        elements: list[LCLike] = [self.comm_W.x, self.comm_W.y, self.comm_E.x, self.comm_E.y]
        for scalar in (self.u, *self.X):
            elements += scalar_halves(scalar)
        return elements


def scalar_halves(scalar: nn.NonNative) -> list[LinearCombination]:
    """`crypto.folding.transcript.scalar_halves` of the integer the limbs hold: its low and high
    128 bits, each the packing of two range-checked limbs (free; exact, see the module note)."""
    per_half = HALF_BITS // nn.LIMB_BITS
    return [
        LinearCombination.sum(
            as_lc(limb) * (1 << (nn.LIMB_BITS * i))
            for i, limb in enumerate(scalar.limbs[start : start + per_half])
        )
        for start in range(0, nn.N_LIMBS, per_half)
    ]


def select(
    cs: ConstraintSystem,
    bit: Boolean,
    if_true: AllocatedRelaxedInstance,
    if_false: AllocatedRelaxedInstance,
    name: str = "select_instance",
) -> AllocatedRelaxedInstance:
    """`if_true` where `bit` holds, else `if_false`, component by component (3 per point and 4
    per scalar; free where both sides are the same constant). Fresh only if both are."""
    if len(if_true.X) != len(if_false.X):
        raise ShapeMismatchError(
            f"cannot select between instances with {len(if_true.X)} and {len(if_false.X)} "
            "public inputs"
        )
    with cs.namespace(name):
        both_fresh = if_true.fresh and if_false.fresh
        return AllocatedRelaxedInstance(
            ecc.select(cs, bit, if_true.comm_W, if_false.comm_W, "comm_W"),
            if_true.comm_E
            if both_fresh
            else ecc.select(cs, bit, if_true.comm_E, if_false.comm_E, "comm_E"),
            if_true.u if both_fresh else nn.select(cs, bit, if_true.u, if_false.u, "u"),
            tuple(
                nn.select(cs, bit, a, b, f"X{i}")
                for i, (a, b) in enumerate(zip(if_true.X, if_false.X, strict=True))
            ),
            fresh=both_fresh,
        )


def challenge(
    cs: ConstraintSystem,
    digest_element: LCLike,
    U1: AllocatedRelaxedInstance,
    U2: AllocatedRelaxedInstance,
    comm_T: ecc.Point,
    name: str = "challenge",
) -> list[Boolean]:
    """The fold's challenge r as its 128 little-endian bits: the native `nifs.challenge`.

    `digest_element` is the shape digest as the transcript absorbs it
    (`transcript.digest_element(shape.digest)`), a constant or a variable.
    """
    with cs.namespace(name):
        sponge = Sponge(cs, domain_tag(NIFS_LABEL), SPONGE_WIDTH)
        sponge.absorb([digest_element])
        sponge.absorb(U1.hash_elements())
        sponge.absorb(U2.hash_elements())
        sponge.absorb([comm_T.x, comm_T.y])
        (element,) = sponge.squeeze(1)
        return low_bits(cs, element)


def low_bits(cs: ConstraintSystem, element: LCLike, name: str = "low_bits") -> list[Boolean]:
    """The low 128 bits of the canonical integer of `element` (382 constraints, not the ~445 of
    a strict 254-bit decomposition).

    With p = p_hi·2^128 + p_lo, the element is split as low + 2^128·high, low in 128 bits and
    high in 126, and high ≤ p_hi − 1 is enforced. Then low + 2^128·high < p, so the split is the
    canonical integer's and no other representative (the element plus p) gives other bits.
    An honest prover fails only when high = p_hi, i.e. the element lies in
    [p_hi·2^128, p): a fraction p_lo / p < 2^−125 of the field, which a squeezed element
    reaches with that negligible probability.
    """
    with cs.namespace(name):
        p = cs.modulus
        p_hi = p >> CHALLENGE_BITS
        value = cs.value(element) if cs.computes_values else None
        bits = [
            Boolean.alloc(cs, None if value is None else bool(value >> i & 1), f"bit{i}")
            for i in range(p.bit_length())
        ]
        cs.enforce(lambda: pack(bits), ONE, element, "pack")
        enforce_at_most(cs, bits[CHALLENGE_BITS:], p_hi - 1, "below_modulus")
        return bits[:CHALLENGE_BITS]


def fold(
    cs: ConstraintSystem,
    digest_element: LCLike,
    U1: AllocatedRelaxedInstance,
    U2: AllocatedRelaxedInstance,
    comm_T: ecc.Point,
    name: str = "fold",
) -> AllocatedRelaxedInstance:
    """The verifier's fold of U1 and U2 under the proof comm_T: `nifs.fold_instances`.

    comm_W = W1 + r·W2, comm_E = E1 + r·(T + r·E2) (= E1 + r·T + r²·E2, with two 128-bit
    scalar multiplications instead of one by the 256-bit r²), u = u1 + r·u2, X = X1 + r·X2.
    Where U2 is fresh, comm_E = E1 + r·T and u = u1 + r.
    """
    if len(U1.X) != len(U2.X):
        raise ShapeMismatchError(
            f"cannot fold instances with {len(U1.X)} and {len(U2.X)} public inputs"
        )
    with cs.namespace(name):
        r = challenge(cs, digest_element, U1, U2, comm_T)
        comm_W = ecc.add(cs, U1.comm_W, ecc.scalar_mul(cs, U2.comm_W, r, "r_W2"), "comm_W")
        if U2.fresh:
            cross = comm_T
            u = nn.reduce(cs, nn.add(U1.u, nn.from_bits(r)), "u")
        else:
            r_E2 = ecc.scalar_mul(cs, U2.comm_E, r, "r_E2")
            cross = ecc.add(cs, comm_T, r_E2, "T_r_E2")
            u = nn.fold(cs, U1.u, U2.u, r, "u")
        comm_E = ecc.add(cs, U1.comm_E, ecc.scalar_mul(cs, cross, r, "r_cross"), "comm_E")
        X = tuple(
            nn.fold(cs, x1, x2, r, f"X{i}")
            for i, (x1, x2) in enumerate(zip(U1.X, U2.X, strict=True))
        )
        return AllocatedRelaxedInstance(comm_W, comm_E, u, X)


def _check_arity(value: RelaxedInstance | None, n_public: int) -> None:
    if value is not None and len(value.X) != n_public:
        raise ShapeMismatchError(
            f"the instance has {len(value.X)} public inputs; the circuit expects {n_public}"
        )


def _point(point: CurvePoint | None) -> ecc.NativePoint | None:
    """A native point as the gadget's (x, y), the identity as (0, 0)."""
    if point is None:
        return None
    x, y = point_elements(point)
    return x, y


def _alloc_scalars(
    cs: ConstraintSystem, value: RelaxedInstance | None, n_public: int
) -> tuple[nn.NonNative, ...]:
    values: list[int | None] = [None] * n_public if value is None else list(value.X)
    return tuple(nn.alloc(cs, v, f"X{i}") for i, v in enumerate(values))


__all__ = ["AllocatedRelaxedInstance", "challenge", "fold", "low_bits", "scalar_halves", "select"]
