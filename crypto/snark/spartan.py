"""Spartan for relaxed R1CS: a proof that a committed (W, E) satisfies A·z ∘ B·z = u·C·z + E.

The SNARK sees the constraints padded to 2^s rows and z reordered to
``z' = (W padded to 2^t, u, X, 0…)`` of 2^(t+1) values, with 2^t ≥ max(n_private, 1 + l), so
that ``z̃'(r_y) = (1 − r_y[0])·W̃(r_y[1:]) + r_y[0]·(u, X, 0…)~(r_y[1:])``: the verifier computes
the public half itself and needs one claim about W. The matrices keep the shape's column order;
the reordering acts on the vectors that meet them (a concatenation), never on the entries.

Protocol (transcript labels in quotes; ``p`` the field's modulus):

1. Absorb the key's digest ("key") and the instance: comm_W, comm_E ("comm_W", "comm_E"),
   u ("u"), X ("X"); squeeze τ ∈ F^s ("tau").
2. Outer sum-check ("outer", degree 3) of ``0 = Σ_x eq(τ, x)·(Az(x)·Bz(x) − u·Cz(x) − E(x))``
   to a point r_x; the prover sends Az, Bz, Cz, E at r_x ("claims") and the verifier checks
   the final value against them with eq(τ, r_x) it computes.
3. Squeeze ρ ("rho"). Inner sum-check ("inner", degree 2) of
   ``Az(r_x) + ρ·Bz(r_x) + ρ²·Cz(r_x) = Σ_y M(r_x, y)·z'(y)``, M = A + ρB + ρ²C, to r_y; the
   prover sends W̃(r_y[1:]) ("w_ry"); the verifier evaluates M̃(r_x, r_y) in one pass over the
   entries (``SparseMatrix.bilinear`` of equality tables) and the public half of z' directly.
4. Both claims W̃(r_y[1:]) and Ẽ(r_x) move to one point: with both vectors zero-padded to 2^m,
   m = max(s, t) (a padded vector's MLE at ``(0…0, r)`` is the short one's at r), squeeze γ
   ("gamma") and run a sum-check ("batch", degree 2) of
   ``W̃(r_y[1:]) + γ·Ẽ(r_x) = Σ_y eq(p_W, y)·W(y) + γ·eq(p_E, y)·E(y)`` to r_z; the prover sends
   W̃(r_z), Ẽ(r_z) ("opening_claims").
5. Squeeze c ("combine") and open ``comm_W + c·comm_E`` (zero padding leaves a commitment as it
   is) at r_z to ``W̃(r_z) + c·Ẽ(r_z)`` through the polynomial-commitment argument, with a
   commitment key of at least 2^m generators (``SpartanKey.opening_length``).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeVar

import numpy as np

from crypto.circuit.shape import R1CSShape
from crypto.errors import FieldMismatchError, ShapeMismatchError, SnarkError, SumcheckError
from crypto.field import PrimeField, Vector
from crypto.folding.commitment import CommitmentKey
from crypto.folding.relaxed import (
    RelaxedInstance,
    RelaxedWitness,
    check_instance,
    check_witness_lengths,
    z_vector,
)
from crypto.group import CurvePoint
from crypto.snark import sumcheck
from crypto.snark.multilinear import eq_table, padded
from crypto.snark.sumcheck import RoundMessage, eq_at
from crypto.snark.transcript import SnarkTranscript
from crypto.sparse import SparseMatrix

SPARTAN_KEY_DOMAIN: Final = b"novanode/spartan-key/v1\x00"

Opening = TypeVar("Opening")


class EvaluationArgument(Protocol[Opening]):
    """A polynomial-commitment opening (``crypto.snark.ipa``): proves ``ṽ(point) = value`` for
    the vector ``v`` of 2^len(point) values committed as ``comm`` with ``key``."""

    def prove_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        poly: Vector,
        point: Sequence[int],
        value: int,
    ) -> Opening: ...

    def verify_eval(
        self,
        key: CommitmentKey,
        transcript: SnarkTranscript,
        comm: CurvePoint,
        point: Sequence[int],
        value: int,
        proof: Opening,
    ) -> None: ...


@dataclass(frozen=True, eq=False)
class SpartanKey:
    """What proving and verifying one shape needs: its padding and the matrices' transposes."""

    shape: R1CSShape
    log_rows: int
    """s: the constraints padded to 2^s rows."""
    log_witness: int
    """t: W padded to 2^t values, 2^t ≥ max(n_private, 1 + n_public); z' has 2^(t+1)."""
    digest: bytes
    transposes: tuple[SparseMatrix, SparseMatrix, SparseMatrix]
    """Aᵀ, Bᵀ, Cᵀ, for the prover's Mᵀ·eq(r_x)."""

    @classmethod
    def of(cls, shape: R1CSShape) -> SpartanKey:
        """The key of ``shape`` (deterministic: its digest names the shape and the padding)."""
        log_rows = _log2_ceil(shape.n_constraints)
        log_witness = _log2_ceil(max(shape.n_private, 1 + shape.n_public))
        digest = hashlib.sha256(
            SPARTAN_KEY_DOMAIN + shape.digest + struct.pack("<QQ", log_rows, log_witness)
        ).digest()
        transposes = (_transpose(shape.A), _transpose(shape.B), _transpose(shape.C))
        return cls(shape, log_rows, log_witness, digest, transposes)

    @property
    def field(self) -> PrimeField:
        return self.shape.field

    @property
    def log_opening(self) -> int:
        """m = max(s, t): the opened vector W + c·E has 2^m values."""
        return max(self.log_rows, self.log_witness)

    @property
    def opening_length(self) -> int:
        """The fewest generators a commitment key needs for the opening."""
        return 1 << self.log_opening

    def reorder(self, head: Vector, tail: Vector) -> Vector:
        """The SNARK's layout of a vector over the shape's columns ``(head, tail)``: head the
        first ``1 + n_public`` (u, X), tail the ``n_private`` of W: (tail, 0…, head, 0…)."""
        half = 1 << self.log_witness
        field = self.field
        return np.concatenate([padded(field, tail, half), padded(field, head, half)])


@dataclass(frozen=True)
class SpartanProof(Generic[Opening]):
    """A Spartan proof: sum-check messages (each round's values at 0, 2, 3, … — the value at 1
    follows from the running claim, see ``crypto.snark.sumcheck``), claimed evaluations, and
    the opening."""

    outer_rounds: tuple[RoundMessage, ...]
    """s rounds of (g(0), g(2), g(3))."""
    az: int
    bz: int
    cz: int
    e_rx: int
    """Az, Bz, Cz and E at r_x."""
    inner_rounds: tuple[RoundMessage, ...]
    """t + 1 rounds of (g(0), g(2))."""
    w_ry: int
    """W̃ at r_y[1:]."""
    batch_rounds: tuple[RoundMessage, ...]
    """m rounds of (g(0), g(2))."""
    w_rz: int
    e_rz: int
    """W and E (padded to 2^m) at r_z."""
    opening: Opening


def prove(
    key: SpartanKey,
    ck: CommitmentKey,
    instance: RelaxedInstance,
    witness: RelaxedWitness,
    transcript: SnarkTranscript,
    pcs: EvaluationArgument[Opening],
) -> SpartanProof[Opening]:
    """A proof that ``witness`` satisfies ``instance`` (module docstring).

    The witness is not checked: an unsatisfying one gives a proof that does not verify.
    """
    shape, field = key.shape, key.field
    p = field.modulus
    check_instance(shape, instance)
    check_witness_lengths(shape, witness)
    _check_commitment_key(key, ck)
    _absorb_statement(key, instance, transcript)
    W = field.check(witness.dense_W(), "W")
    E = field.check(witness.E, "E")
    rows = 1 << key.log_rows

    # Outer sum-check.
    tau = transcript.challenges(b"tau", field, key.log_rows)
    z = z_vector(shape, instance, W)
    Az, Bz, Cz = (padded(field, M.matvec(z), rows) for M in (shape.A, shape.B, shape.C))
    E_rows = padded(field, E, rows)
    outer, r_x, (_, az, bz, _) = sumcheck.prove(
        field,
        transcript,
        b"outer",
        [eq_table(field, tau), Az, Bz, field.axpy(E_rows, instance.u, Cz)],
        lambda t: sumcheck.outer_round(field, *t),
    )
    eq_rx = eq_table(field, r_x)
    cz, e_rx = field.inner_product(Cz, eq_rx), field.inner_product(E_rows, eq_rx)
    transcript.absorb_scalars(b"claims", field, (az, bz, cz, e_rx))

    # Inner sum-check.
    rho = transcript.challenge(b"rho", field)
    eq_constraints = eq_rx[: shape.n_constraints]
    A_T, B_T, C_T = key.transposes
    M_rx = field.axpy(
        field.axpy(A_T.matvec(eq_constraints), rho, B_T.matvec(eq_constraints)),
        rho * rho % p,
        C_T.matvec(eq_constraints),
    )
    head = 1 + shape.n_public
    z_snark = key.reorder(z[:head], W)
    inner, r_y, _ = sumcheck.prove(
        field,
        transcript,
        b"inner",
        [key.reorder(M_rx[:head], M_rx[head:]), z_snark],
        lambda t: sumcheck.product_round(field, *t),
    )
    half = 1 << key.log_witness
    w_ry = field.inner_product(z_snark[:half], eq_table(field, r_y[1:]))
    transcript.absorb_scalar(b"w_ry", field, w_ry)

    # Both claims to one point.
    m = key.log_opening
    gamma = transcript.challenge(b"gamma", field)
    W_m, E_m = padded(field, W, 1 << m), padded(field, E, 1 << m)
    batch, r_z, (_, w_rz, _, e_rz) = sumcheck.prove(
        field,
        transcript,
        b"batch",
        [
            eq_table(field, _lifted(m, r_y[1:])),
            W_m,
            field.scale(eq_table(field, _lifted(m, r_x)), gamma),
            E_m,
        ],
        lambda t: _sum_of_products(field, t),
    )
    transcript.absorb_scalars(b"opening_claims", field, (w_rz, e_rz))

    c = transcript.challenge(b"combine", field)
    opening = pcs.prove_eval(
        ck,
        transcript,
        instance.comm_W + instance.comm_E * c,
        field.axpy(W_m, c, E_m),
        r_z,
        (w_rz + c * e_rz) % p,
    )
    return SpartanProof(outer, az, bz, cz, e_rx, inner, w_ry, batch, w_rz, e_rz, opening)


def verify(
    key: SpartanKey,
    ck: CommitmentKey,
    instance: RelaxedInstance,
    proof: SpartanProof[Opening],
    transcript: SnarkTranscript,
    pcs: EvaluationArgument[Opening],
) -> None:
    """Checks ``proof`` for ``instance`` of the key's shape.

    Raises ``SumcheckError`` (a sum-check round or final value), ``EvaluationProofError`` (the
    opening), ``SnarkError`` (a claimed evaluation outside the field), and for an instance or
    key that does not fit the shape the errors of ``check_instance``, ``ShapeMismatchError`` or
    ``FieldMismatchError``.
    """
    shape, field = key.shape, key.field
    p = field.modulus
    check_instance(shape, instance)
    _check_commitment_key(key, ck)
    _check_claims(p, proof)
    _absorb_statement(key, instance, transcript)
    s, t, m = key.log_rows, key.log_witness, key.log_opening

    # Outer sum-check.
    tau = transcript.challenges(b"tau", field, s)
    final, r_x = sumcheck.verify(field, transcript, b"outer", 0, proof.outer_rounds, s, 3)
    az, bz, cz, e_rx = proof.az, proof.bz, proof.cz, proof.e_rx
    if final != eq_at(p, tau, r_x) * (az * bz - instance.u * cz - e_rx) % p:
        raise SumcheckError(
            "the outer sum-check's final value is not eq(τ, r_x)·(Az·Bz - u·Cz - E) of the "
            "claimed evaluations at r_x"
        )
    transcript.absorb_scalars(b"claims", field, (az, bz, cz, e_rx))

    # Inner sum-check.
    rho = transcript.challenge(b"rho", field)
    claim = (az + rho * bz + rho * rho * cz) % p
    final, r_y = sumcheck.verify(field, transcript, b"inner", claim, proof.inner_rounds, t + 1, 2)
    transcript.absorb_scalar(b"w_ry", field, proof.w_ry)
    eq_rows = eq_table(field, r_x)[: shape.n_constraints]
    eq_y = eq_table(field, r_y)
    head = 1 + shape.n_public
    half = 1 << t
    eq_columns = np.concatenate([eq_y[half : half + head], eq_y[: shape.n_private]])
    a, b, c = (M.bilinear(eq_rows, eq_columns) for M in (shape.A, shape.B, shape.C))
    public = _public_evaluation(p, (instance.u, *instance.X), r_y[1:])
    z_at = ((1 - r_y[0]) * proof.w_ry + r_y[0] * public) % p
    if final != (a + rho * b + rho * rho * c) * z_at % p:
        raise SumcheckError(
            "the inner sum-check's final value is not M(r_x, r_y)·z(r_y) with the claimed W(r_y)"
        )

    # Both claims to one point.
    gamma = transcript.challenge(b"gamma", field)
    claim = (proof.w_ry + gamma * e_rx) % p
    final, r_z = sumcheck.verify(field, transcript, b"batch", claim, proof.batch_rounds, m, 2)
    expected = (
        eq_at(p, _lifted(m, r_y[1:]), r_z) * proof.w_rz
        + gamma * eq_at(p, _lifted(m, r_x), r_z) * proof.e_rz
    )
    if final != expected % p:
        raise SumcheckError(
            "the batching sum-check's final value does not match the claimed W(r_z) and E(r_z)"
        )
    transcript.absorb_scalars(b"opening_claims", field, (proof.w_rz, proof.e_rz))

    combine = transcript.challenge(b"combine", field)
    pcs.verify_eval(
        ck,
        transcript,
        instance.comm_W + instance.comm_E * combine,
        r_z,
        (proof.w_rz + combine * proof.e_rz) % p,
        proof.opening,
    )


def _absorb_statement(
    key: SpartanKey, instance: RelaxedInstance, transcript: SnarkTranscript
) -> None:
    field = key.field
    transcript.absorb_bytes(b"key", key.digest)
    transcript.absorb_point(b"comm_W", instance.comm_W)
    transcript.absorb_point(b"comm_E", instance.comm_E)
    transcript.absorb_scalar(b"u", field, instance.u)
    transcript.absorb_scalars(b"X", field, instance.X)


def _check_commitment_key(key: SpartanKey, ck: CommitmentKey) -> None:
    if ck.field is not key.field:
        raise FieldMismatchError(
            f"a {ck.field.name} commitment key cannot open a {key.field.name} shape's witness"
        )
    if len(ck) < key.opening_length:
        raise ShapeMismatchError(
            f"the opening needs a commitment key of {key.opening_length} generators "
            f"(SpartanKey.opening_length); this one has {len(ck)}"
        )


def _check_claims(p: int, proof: SpartanProof[Opening]) -> None:
    claims = {
        "az": proof.az,
        "bz": proof.bz,
        "cz": proof.cz,
        "e_rx": proof.e_rx,
        "w_ry": proof.w_ry,
        "w_rz": proof.w_rz,
        "e_rz": proof.e_rz,
    }
    for name, value in claims.items():
        if not isinstance(value, int) or not 0 <= value < p:
            raise SnarkError(f"the claimed evaluation {name} ({value!r}) is not in [0, p)")


def _sum_of_products(field: PrimeField, tables: Sequence[Vector]) -> RoundMessage:
    """The batching round: Σ t0·t1 + Σ t2·t3 (γ is already in t2)."""
    first = sumcheck.product_round(field, tables[0], tables[1])
    second = sumcheck.product_round(field, tables[2], tables[3])
    return tuple((x + y) % field.modulus for x, y in zip(first, second, strict=True))


def _public_evaluation(p: int, public: Sequence[int], r: Sequence[int]) -> int:
    """(u, X, 0…)~(r): the few non-zero entries, each times eq(r, its index's bits)."""
    k = len(r)
    total = 0
    for i, value in enumerate(public):
        bits = [(i >> (k - 1 - j)) & 1 for j in range(k)]
        total += value * eq_at(p, r, bits)
    return total % p


def _lifted(m: int, r: Sequence[int]) -> list[int]:
    """The point of 2^m-padded tables where the MLE is the short table's MLE at ``r``."""
    return [0] * (m - len(r)) + list(r)


def _log2_ceil(n: int) -> int:
    return max(n - 1, 0).bit_length()


def _transpose(matrix: SparseMatrix) -> SparseMatrix:
    indptr, indices, data = matrix.to_csr()
    offsets = indptr.astype(np.int64)
    counts_per_row = offsets[1:] - offsets[:-1]
    rows = np.repeat(np.arange(matrix.rows, dtype=np.int64), counts_per_row)
    order = np.argsort(indices, kind="stable")
    counts = np.bincount(indices.astype(np.int64), minlength=matrix.cols)
    transposed_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return SparseMatrix(
        matrix.field, matrix.cols, matrix.rows, transposed_indptr, rows[order], data[order]
    )
