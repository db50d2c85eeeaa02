"""Evaluation proofs for multilinear polynomials under the folding commitment key: an
inner-product argument (Bulletproofs' halving protocol), transparent and not hiding.

Claim. ``comm = ⟨a, G⟩`` with ``G`` the first ``n = 2^k`` generators of the key and ``a`` the
table of a multilinear polynomial (``crypto.snark.multilinear``: first variable = top bit),
and ``value = ã(r) = ⟨a, b⟩`` with ``b = eq(r)`` for the point ``r = (r_0, …, r_{k-1})``.

Protocol, over the SNARK transcript (F = the key's scalar field, ``U`` = the single generator
``derive_generators(b"novanode/ipa/u/v1", 1)[0]`` of the key's curve)::

    absorb_point("ipa/comm", comm); absorb_scalars("ipa/point", r); absorb_scalar("ipa/value", v)
    w = challenge("ipa/w")                      # full-field; binds the value: P = comm + v·w·U
    for j = 0 … k-1 (vectors of length m, halves lo = [0, m/2) and hi = [m/2, m)):
        L_j = ⟨a_lo, G_hi⟩ + ⟨a_lo, b_hi⟩·w·U
        R_j = ⟨a_hi, G_lo⟩ + ⟨a_hi, b_lo⟩·w·U
        absorb_points("ipa/LR", [L_j, R_j])
        c = challenge("ipa/x") mod 2^128;  x_j = (c mod 2^64) + ⌊c / 2^64⌋·λ   (in F)
        a ← x_j·a_lo + a_hi;   b ← b_lo + x_j·b_hi;   G ← G_lo + x_j·G_hi
    proof = (L_0 … L_{k-1}, R_0 … R_{k-1}, a)   # a: the one scalar left

``λ`` is the curve's ``endomorphism_scalar`` (``crypto.group``), the cube root of unity by which
``φ(x, y) = (β·x, y)`` multiplies points, so ``x_j·P = c_lo·P + c_hi·φ(P)`` costs the prover's
generator fold (its largest part) 64 doublings a point instead of 254.

Each round keeps ``P_{j+1} = x_j·P_j + x_j²·L_j + R_j`` equal to ``⟨a, G⟩ + ⟨a, b⟩·w·U`` of the
halved vectors, with no inversion on either side. The halving folds the top variable first, so
after k rounds ``b`` is ``b_final = Π_j (1 − r_j + x_j·r_j)`` and ``G`` is ``⟨s, G⟩`` with
``s_i = Π_j x_j^{bit_j(i)}`` (``bit_j`` = the bit of variable j, the top bit for j = 0): ``s`` is
the tensor product ``(1, x_0) ⊗ … ⊗ (1, x_{k-1})``, built in n multiplications. The verifier
accepts iff

    ⟨a·s, G⟩ + a·b_final·w·U == X·(comm + v·w·U) + Σ_j c_j·(x_j²·L_j + R_j)

with ``X = Π_j x_j`` and ``c_j = Π_{i>j} x_i``: one MSM of size n and one of size 2k + 2.
A proof is 2k points and one scalar, 32 bytes each.

Soundness. ``w`` is drawn after ``comm`` and ``v`` are fixed, so a commitment carrying a hidden
multiple of ``U`` cannot pay for a false value. The round challenges range over the 2^128
elements ``c_lo + c_hi·λ``, close to uniformly (the low 128 bits of a uniform element of F are
within 2^-125 of uniform). They are distinct: two equal would give ``u ≡ v·λ`` with
``|u|, |v| < 2^64``, so ``u² + u·v + v² ≡ 0`` as ``λ² + λ + 1 = 0``, while ``0 < u² + u·v + v² <
p`` unless ``u = v = 0``. Each round is special-sound with 4 distinct challenges (the relation
between a round's openings is a polynomial of degree ≤ 3 in x_j), so the interactive knowledge
error is at most 3k / 2^128 (Attema–Cramer–Kohl), below 2^-122 for k ≤ 32, and a prover making
Q transcript queries wins with probability at most (Q + 1)·3k / 2^128 (Attema–Fehr–Klooß):
the level of the folding scheme's own 128-bit challenges.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from crypto.errors import (
    EvaluationProofError,
    FieldMismatchError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
)
from crypto.field import PrimeField, Vector, as_vector
from crypto.folding.commitment import CommitmentKey
from crypto.group import Curve, CurvePoint, PointVector
from crypto.snark.multilinear import eq_table
from crypto.snark.transcript import SnarkTranscript

U_LABEL: Final = b"novanode/ipa/u/v1"
"""The ``derive_generators`` label of the generator that carries the inner product."""

HALF_BITS: Final = 64
"""Each round challenge is two halves of this many bits (see the module docstring)."""


@dataclass(frozen=True)
class EvaluationProof:
    """One ``L`` and one ``R`` point per round (k = number of variables) and the final scalar."""

    L: tuple[CurvePoint, ...]
    R: tuple[CurvePoint, ...]
    a: int

    def size_bytes(self) -> int:
        """The proof's size encoded: 32 bytes per point and per scalar."""
        return 32 * (len(self.L) + len(self.R) + 1)


@functools.cache
def value_generator(curve: Curve[CurvePoint]) -> CurvePoint:
    """``U`` of the curve: independent of every commitment-key generator (another label)."""
    return curve.derive_generators(U_LABEL, 1)[0]


def prove_eval(
    key: CommitmentKey,
    transcript: SnarkTranscript,
    comm: CurvePoint,
    poly: Vector,
    point: Sequence[int],
    value: int,
) -> EvaluationProof:
    """Proves ``value == poly(point)`` for ``comm == key.commit(poly)`` (not rechecked)."""
    field, curve = key.field, key.curve
    poly = field.check(poly, "poly")
    n = _length(key, len(point))
    if len(poly) != n:
        raise ShapeMismatchError(
            f"a polynomial in {len(point)} variables has {n} values, got {len(poly)}"
        )
    w = _absorb_claim(key, transcript, comm, point, value)
    b = eq_table(field, point)
    if field.inner_product(poly, b) != value:
        raise EvaluationProofError("the claimed value is not the polynomial's value at the point")
    wu = value_generator(curve) * w
    a, bases = poly, _prefix(key, n)
    ls: list[CurvePoint] = []
    rs: list[CurvePoint] = []
    while len(a) > 1:
        half = len(a) // 2
        a_lo, a_hi, b_lo, b_hi = a[:half], a[half:], b[:half], b[half:]
        left = bases[half:].msm(a_lo) + wu * field.inner_product(a_lo, b_hi)
        right = bases[:half].msm(a_hi) + wu * field.inner_product(a_hi, b_lo)
        halves = _round_challenge(field, transcript, left, right)
        x = _endoscalar(curve, halves)
        ls.append(left)
        rs.append(right)
        a = field.axpy(a_hi, x, a_lo)
        b = field.axpy(b_lo, x, b_hi)
        if half > 1:
            bases = curve.fold_generators(bases, *halves)
    return EvaluationProof(L=tuple(ls), R=tuple(rs), a=field.to_ints(a)[0])


def verify_eval(
    key: CommitmentKey,
    transcript: SnarkTranscript,
    comm: CurvePoint,
    point: Sequence[int],
    value: int,
    proof: EvaluationProof,
) -> None:
    """Accepts a proof that ``comm`` opens to a polynomial worth ``value`` at ``point``.

    Raises ``EvaluationProofError`` for a proof that does not verify; ``ShapeMismatchError``
    when the proof's round count is not the number of variables or the key is too short;
    ``FieldMismatchError`` for a point of another curve; ``NonCanonicalEncodingError`` for a
    scalar outside the field.
    """
    field, curve = key.field, key.curve
    k = len(point)
    _length(key, k)
    if len(proof.L) != k or len(proof.R) != k:
        raise ShapeMismatchError(
            f"an evaluation proof in {k} variables has {k} L and {k} R points, "
            f"got {len(proof.L)} and {len(proof.R)}"
        )
    for side, points in (("L", proof.L), ("R", proof.R)):
        for j, item in enumerate(points):
            _check_curve(curve, item, f"{side}[{j}]")
    if not isinstance(proof.a, int) or not 0 <= proof.a < field.modulus:
        raise NonCanonicalEncodingError(
            f"the proof's final scalar is not an element of {field.name}"
        )
    w = _absorb_claim(key, transcript, comm, point, value)
    xs = [
        _endoscalar(curve, _round_challenge(field, transcript, lp, rp))
        for lp, rp in zip(proof.L, proof.R, strict=True)
    ]
    p = field.modulus
    b_final = folded_eq(field, point, xs)
    scalars = [0] * (2 * k)
    suffix = 1  # c_j = Π_{i>j} x_i, built from the last round down
    for j in reversed(range(k)):
        scalars[j] = suffix * xs[j] * xs[j] % p
        scalars[k + j] = suffix
        suffix = suffix * xs[j] % p
    product = suffix  # X = Π x_j
    u_scalar = (product * value - proof.a * b_final) * w % p
    claimed = curve.vector([comm, value_generator(curve), *proof.L, *proof.R]).msm(
        field.from_ints([product, u_scalar, *scalars])
    )
    folded = key.commit(tensor_table(field, proof.a, xs))
    if folded != claimed:
        raise EvaluationProofError(
            "the opening does not verify: the folded commitment is not the final scalar times "
            "the folded generators"
        )


def folded_eq(field: PrimeField, point: Sequence[int], xs: Sequence[int]) -> int:
    """``eq(point)`` after the k rounds of halving by ``xs``: ``Π_j (1 − r_j + x_j·r_j)``.

    ``eq(r)``'s halves are ``(1 − r_0)·eq(r')`` and ``r_0·eq(r')``, so one round turns it into
    ``(1 − r_0 + x_0·r_0)·eq(r')``.
    """
    p = field.modulus
    value = 1
    for r_j, x_j in zip(point, xs, strict=True):
        value = value * (1 - r_j + x_j * r_j) % p
    return value


def tensor_table(field: PrimeField, scale: int, xs: Sequence[int]) -> Vector:
    """``scale · (1, x_0) ⊗ … ⊗ (1, x_{k-1})``: entry i is ``scale · Π_j x_j^{bit_j(i)}``.

    The coefficients of the final generator on the original ones (``x_0`` on the top bit).
    """
    table = field.from_ints([scale])
    for x in xs:  # each new variable becomes the least significant bit
        table = np.ascontiguousarray(
            np.stack([table, field.scale(table, x)], axis=1).reshape(-1, 4)
        )
    return as_vector(table)


def _length(key: CommitmentKey, variables: int) -> int:
    """``2^variables``, checked against the key."""
    n = 1 << variables
    if n > len(key):
        raise ShapeMismatchError(
            f"a polynomial in {variables} variables has {n} values; this commitment key "
            f"commits at most {len(key)}"
        )
    return n


def _prefix(key: CommitmentKey, n: int) -> PointVector[CurvePoint]:
    return key.bases if len(key) == n else key.bases[:n]


def _check_curve(curve: Curve[CurvePoint], p: CurvePoint, what: str) -> None:
    if type(p) is not type(curve.identity()):
        raise FieldMismatchError(f"{what} is a {type(p).__name__}, not a {curve.name} point")


def _absorb_claim(
    key: CommitmentKey,
    transcript: SnarkTranscript,
    comm: CurvePoint,
    point: Sequence[int],
    value: int,
) -> int:
    """Absorbs the claim and draws ``w``, the scale of the value generator."""
    _check_curve(key.curve, comm, "the commitment")
    transcript.absorb_point(b"ipa/comm", comm)
    transcript.absorb_scalars(b"ipa/point", key.field, point)
    transcript.absorb_scalar(b"ipa/value", key.field, value)
    return transcript.challenge(b"ipa/w", key.field)


def _round_challenge(
    field: PrimeField, transcript: SnarkTranscript, left: CurvePoint, right: CurvePoint
) -> tuple[int, int]:
    """The halves ``(c_lo, c_hi)`` of round challenge ``c_lo + c_hi·λ``, after absorbing L, R."""
    transcript.absorb_points(b"ipa/LR", (left, right))
    c = transcript.challenge(b"ipa/x", field)
    mask = (1 << HALF_BITS) - 1
    return c & mask, (c >> HALF_BITS) & mask


def _endoscalar(curve: Curve[CurvePoint], halves: tuple[int, int]) -> int:
    """``c_lo + c_hi·λ`` in the curve's scalar field."""
    c_lo, c_hi = halves
    return (c_lo + c_hi * curve.endomorphism_scalar) % curve.order
