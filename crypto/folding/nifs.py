"""Nova's non-interactive folding scheme (NIFS): two relaxed R1CS instances become one.

Both fold kinds the tree uses are the same computation: running + fresh (sequential Nova, the
second instance strict: u = 1, E = 0) and running + running (merging two subtrees). With
z_i = (u_i, X_i, W_i) the prover computes the cross term

    T = A·z1 ∘ B·z2 + A·z2 ∘ B·z1 − u1·C·z2 − u2·C·z1

and sends comm_T = Com(T), the whole proof. The challenge r comes from the transcript
(``crypto.folding.transcript``): shape digest, U1, U2, comm_T, in that order. Then

    comm_W = comm_W1 + r·comm_W2      W = W1 + r·W2
    comm_E = comm_E1 + r·comm_T + r²·comm_E2      E = E1 + r·T + r²·E2
    u = u1 + r·u2      X = X1 + r·X2

and (W, E) satisfies the folded instance whenever both inputs were satisfied, since the
relation's error term absorbs exactly the r and r² cross products. The verifier recomputes r and
the folded instance from (U1, U2, comm_T) alone: two or three scalar multiplications.

A·z, B·z and C·z are linear in z, and the folded z is z1 + r·z2, so the folded pair's products
are the inputs' P1 + r·P2: ``fold`` returns them, and a prover that folds the result again
passes them back in instead of multiplying by the matrices (only fresh pairs need mat-vecs).
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto.circuit.shape import R1CSShape
from crypto.errors import FieldMismatchError, FoldMismatchError
from crypto.field import Vector
from crypto.folding.commitment import CommitmentKey, curve_for
from crypto.folding.relaxed import (
    Products,
    RelaxedInstance,
    RelaxedWitness,
    check_instance,
    check_witness_lengths,
    key_for,
)
from crypto.folding.transcript import nifs_transcript
from crypto.group import CurvePoint


def cross_term(
    shape: R1CSShape,
    U1: RelaxedInstance,
    P1: Products,
    U2: RelaxedInstance,
    P2: Products,
) -> Vector:
    """T = A·z1 ∘ B·z2 + A·z2 ∘ B·z1 − u1·C·z2 − u2·C·z1 from the two instances' products."""
    field = shape.field
    T = field.add(field.mul(P1.Az, P2.Bz), field.mul(P2.Az, P1.Bz))
    T = field.axpy(T, (-U1.u) % field.modulus, P2.Cz)
    return field.axpy(T, (-U2.u) % field.modulus, P1.Cz)


def challenge(
    shape: R1CSShape, U1: RelaxedInstance, U2: RelaxedInstance, comm_T: CurvePoint
) -> int:
    """r: the transcript of (digest, U1, U2, comm_T) squeezed once, 128 bits."""
    transcript = nifs_transcript(shape)
    transcript.absorb_instance(U1)
    transcript.absorb_instance(U2)
    transcript.absorb_point(comm_T)
    return transcript.challenge()


def fold_instances(
    shape: R1CSShape, U1: RelaxedInstance, U2: RelaxedInstance, comm_T: CurvePoint
) -> RelaxedInstance:
    """The folded instance, as the verifier computes it (after checking the inputs' form)."""
    _check_fold_inputs(shape, U1, U2, comm_T)
    return _fold_instance(shape, U1, U2, comm_T, challenge(shape, U1, U2, comm_T))


def _check_fold_inputs(
    shape: R1CSShape, U1: RelaxedInstance, U2: RelaxedInstance, comm_T: CurvePoint
) -> None:
    check_instance(shape, U1)
    check_instance(shape, U2)
    point_type = type(curve_for(shape.field).identity())
    if type(comm_T) is not point_type:
        raise FieldMismatchError(
            f"comm_T is a {type(comm_T).__name__}; folds of an {shape.field.name} shape "
            f"commit on {curve_for(shape.field).name}"
        )


def _fold_instance(
    shape: R1CSShape, U1: RelaxedInstance, U2: RelaxedInstance, comm_T: CurvePoint, r: int
) -> RelaxedInstance:
    p = shape.field.modulus
    comm_E = U1.comm_E + r * comm_T
    if not U2.comm_E.is_identity():
        comm_E = comm_E + (r * r % p) * U2.comm_E
    return RelaxedInstance(
        comm_W=U1.comm_W + r * U2.comm_W,
        comm_E=comm_E,
        u=(U1.u + r * U2.u) % p,
        X=tuple((x1 + r * x2) % p for x1, x2 in zip(U1.X, U2.X, strict=True)),
    )


def verify(
    shape: R1CSShape,
    U1: RelaxedInstance,
    U2: RelaxedInstance,
    comm_T: CurvePoint,
    folded: RelaxedInstance,
) -> None:
    """That ``folded`` is the fold of U1 and U2 under the proof comm_T.

    Raises ``FoldMismatchError`` naming the first component of ``folded`` that differs from
    the recomputed instance (and the form errors of ``fold_instances``).
    """
    expected = fold_instances(shape, U1, U2, comm_T)
    different = expected.first_difference(folded)
    if different is not None:
        raise FoldMismatchError(
            f"the claimed folded instance's {different} differs from the fold of the two "
            "instances under this comm_T"
        )


@dataclass(frozen=True, eq=False)
class Fold:
    """What folding two pairs gives: the folded ``instance`` and ``witness``, the proof
    ``comm_T``, and the folded pair's ``products`` (the inputs' P1 + r·P2, no mat-vec), which the
    next fold of the result can take instead of recomputing them."""

    instance: RelaxedInstance
    witness: RelaxedWitness
    comm_T: CurvePoint  # noqa: N815 — the paper's name
    products: Products


def fold(
    shape: R1CSShape,
    U1: RelaxedInstance,
    W1: RelaxedWitness,
    P1: Products,
    U2: RelaxedInstance,
    W2: RelaxedWitness,
    P2: Products,
    key: CommitmentKey | None = None,
) -> Fold:
    """Folds (U1, W1) and (U2, W2) given their products P1 and P2 (``Products.of`` each pair,
    or carried from the fold that made it): ``prove`` without the mat-vecs.

    Trusts the products as it trusts the witnesses: wrong ones give a wrong cross term, hence
    a folded pair that does not satisfy its instance, never a false acceptance.
    """
    for instance, witness in ((U1, W1), (U2, W2)):
        check_instance(shape, instance)
        check_witness_lengths(shape, witness)
    key = key_for(shape, key)
    field = shape.field
    T = cross_term(shape, U1, P1, U2, P2)
    comm_T = key.commit(T)
    r = challenge(shape, U1, U2, comm_T)
    folded = _fold_instance(shape, U1, U2, comm_T, r)
    W = field.axpy(W1.dense_W(), r, W2.dense_W())
    E = field.axpy(W1.E, r, T)
    if W2.E.any():
        E = field.axpy(E, r * r % field.modulus, W2.E)
    return Fold(folded, RelaxedWitness(W, E), comm_T, P1.folded(field, r, P2))


def prove(
    shape: R1CSShape,
    U1: RelaxedInstance,
    W1: RelaxedWitness,
    U2: RelaxedInstance,
    W2: RelaxedWitness,
    key: CommitmentKey | None = None,
) -> tuple[RelaxedInstance, RelaxedWitness, CurvePoint]:
    """Folds (U1, W1) and (U2, W2): returns the folded instance and witness and comm_T.

    Trusts that each witness satisfies its instance (a node checks what it receives with
    ``crypto.folding.relaxed.check``); if one does not, neither does the result.
    """
    for instance, witness in ((U1, W1), (U2, W2)):
        check_instance(shape, instance)
        check_witness_lengths(shape, witness)
    P1 = Products.of(shape, U1, W1.dense_W())
    P2 = Products.of(shape, U2, W2.dense_W())
    result = fold(shape, U1, W1, P1, U2, W2, P2, key)
    return result.instance, result.witness, result.comm_T
