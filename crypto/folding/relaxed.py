"""Relaxed R1CS: the relation Nova folds, A·z ∘ B·z = u·C·z + E with z = (u, X, W).

An instance is what a verifier sees: commitments to W and E, the scalar u and the public X. A
witness holds W and E themselves. A plain (strict) R1CS instance is the special case u = 1,
E = 0, whose commitment to E is the identity: ``fresh`` builds one from a step's witness. Folding
turns two relaxed instances into one; ``check`` is the full satisfiability test a node runs on
an instance it did not fold itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from crypto.circuit.shape import R1CSShape
from crypto.errors import (
    CommitmentMismatchError,
    FieldMismatchError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
    UnsatisfiedRelaxedConstraintError,
)
from crypto.field import PrimeField, Vector, as_vector
from crypto.folding.commitment import CommitmentKey, commitment_key, curve_for
from crypto.group import CurvePoint
from crypto.witness import CompactVector


@dataclass(frozen=True, eq=False)
class RelaxedInstance:
    """(comm_W, comm_E, u, X): commitments on the shape's curve, u and X in the shape's field."""

    # The paper's names (comm_W, comm_E, u, X), which the transcript encoding and SPEC.md use.
    comm_W: CurvePoint  # noqa: N815
    comm_E: CurvePoint  # noqa: N815
    u: int
    X: tuple[int, ...]

    @classmethod
    def fresh(cls, field: PrimeField, comm_W: CurvePoint, X: Sequence[int]) -> RelaxedInstance:
        """The strict instance of a witness committed as ``comm_W``: u = 1, comm_E = identity."""
        return cls(comm_W, curve_for(field).identity(), 1, tuple(X))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RelaxedInstance):
            return NotImplemented
        return self.first_difference(other) is None

    def __hash__(self) -> int:
        return hash((self.comm_W, self.comm_E, self.u, self.X))

    def first_difference(self, other: RelaxedInstance) -> str | None:
        """The name of the first component that differs from ``other`` ("comm_W", ...), or None."""
        if type(self.comm_W) is not type(other.comm_W) or self.comm_W != other.comm_W:
            return "comm_W"
        if type(self.comm_E) is not type(other.comm_E) or self.comm_E != other.comm_E:
            return "comm_E"
        if self.u != other.u:
            return "u"
        if self.X != other.X:
            return "X"
        return None


@dataclass(frozen=True, eq=False)
class RelaxedWitness:
    """(W, E): W compact (a fresh step's witness) or dense (after folding), E dense."""

    W: CompactVector | Vector
    E: Vector

    @classmethod
    def fresh(cls, W: CompactVector, n_constraints: int) -> RelaxedWitness:
        """The witness of a strict instance: E = 0."""
        return cls(W, W.field.zeros(n_constraints))

    def dense_W(self) -> Vector:
        """W as a field vector."""
        return self.W.to_dense() if isinstance(self.W, CompactVector) else self.W


@dataclass(frozen=True, eq=False)
class Products:
    """A·z, B·z and C·z of one instance-witness pair, z = (u, X, W).

    The cross term of a fold needs each input's products once, and they are linear in z: the
    folded pair's z is z1 + r·z2, so its products are P1 + r·P2 (``folded``), which lets a
    chain of folds carry them instead of multiplying by the matrices again.
    """

    Az: Vector
    Bz: Vector
    Cz: Vector

    @classmethod
    def of(cls, shape: R1CSShape, instance: RelaxedInstance, W: Vector) -> Products:
        """The products for z = (u, X, W), W dense: three sparse mat-vecs."""
        z = z_vector(shape, instance, W)
        return cls(shape.A.matvec(z), shape.B.matvec(z), shape.C.matvec(z))

    @classmethod
    def zeros(cls, shape: R1CSShape) -> Products:
        """The products of z = 0 (the zero instance with a zero witness)."""
        field = shape.field
        return cls(*(field.zeros(shape.n_constraints) for _ in range(3)))

    def folded(self, field: PrimeField, r: int, other: Products) -> Products:
        """The products of z1 + r·z2, self being z1's and ``other`` z2's."""
        return Products(
            field.axpy(self.Az, r, other.Az),
            field.axpy(self.Bz, r, other.Bz),
            field.axpy(self.Cz, r, other.Cz),
        )


def key_for(shape: R1CSShape, key: CommitmentKey | None = None) -> CommitmentKey:
    """The commitment key of ``shape``'s witnesses, long enough for W and for E: ``key`` after
    checking that it fits the shape, or the cached key."""
    n = max(shape.n_private, shape.n_constraints)
    if key is None:
        return commitment_key(shape.field, n)
    if key.field is not shape.field:
        raise FieldMismatchError(f"a {key.field.name} key cannot commit {shape.field.name} vectors")
    if len(key) < n:
        raise ShapeMismatchError(
            f"the shape needs a key of {n} generators; this one has {len(key)}"
        )
    return key


def commit_W(key: CommitmentKey, W: CompactVector | Vector) -> CurvePoint:
    """Com(W), through the compact MSM where W is compact."""
    return key.commit_compact(W) if isinstance(W, CompactVector) else key.commit(W)


def fresh(
    shape: R1CSShape,
    X: Sequence[int],
    W: CompactVector,
    key: CommitmentKey | None = None,
) -> tuple[RelaxedInstance, RelaxedWitness]:
    """The strict instance and witness of one assignment (public X, private W) of ``shape``."""
    witness = RelaxedWitness.fresh(W, shape.n_constraints)
    check_witness_lengths(shape, witness)
    instance = RelaxedInstance.fresh(shape.field, commit_W(key_for(shape, key), W), X)
    check_instance(shape, instance)
    return instance, witness


def check_instance(shape: R1CSShape, instance: RelaxedInstance) -> None:
    """That ``instance`` has the form of an instance of ``shape``: points on the shape's curve,
    u and ``n_public`` values of X in [0, p). Says nothing about satisfiability."""
    point_type = type(curve_for(shape.field).identity())
    for name in ("comm_W", "comm_E"):
        point = getattr(instance, name)
        if type(point) is not point_type:
            raise FieldMismatchError(
                f"{name} is a {type(point).__name__}; instances of an {shape.field.name} shape "
                f"commit on {curve_for(shape.field).name}"
            )
    if len(instance.X) != shape.n_public:
        raise ShapeMismatchError(
            f"X has {len(instance.X)} values; the shape has {shape.n_public} public inputs"
        )
    p = shape.field.modulus
    for name, value in (("u", instance.u), *((f"X[{i}]", x) for i, x in enumerate(instance.X))):
        if not isinstance(value, int) or not 0 <= value < p:
            raise NonCanonicalEncodingError(
                f"{name} ({value!r}) is not an element of {shape.field.name} (an int in [0, p))"
            )


def z_vector(shape: R1CSShape, instance: RelaxedInstance, W: Vector) -> Vector:
    """z = (u, X, W) as one field vector."""
    head = shape.field.from_ints([instance.u, *instance.X])
    return np.concatenate([head, W])


def check_witness_lengths(shape: R1CSShape, witness: RelaxedWitness) -> None:
    """That W has ``n_private`` and E ``n_constraints`` elements of the shape's field."""
    if isinstance(witness.W, CompactVector) and witness.W.field is not shape.field:
        raise FieldMismatchError(f"W is in {witness.W.field.name}; the shape in {shape.field.name}")
    if len(witness.W) != shape.n_private:
        raise ShapeMismatchError(
            f"W has {len(witness.W)} elements; the shape has {shape.n_private}"
        )
    if len(as_vector(witness.E, "E")) != shape.n_constraints:
        raise ShapeMismatchError(
            f"E has {len(witness.E)} elements; the shape has {shape.n_constraints} constraints"
        )


def check(
    shape: R1CSShape,
    instance: RelaxedInstance,
    witness: RelaxedWitness,
    key: CommitmentKey | None = None,
) -> None:
    """That ``witness`` satisfies ``instance``: every constraint, then both commitments.

    Raises ``UnsatisfiedRelaxedConstraintError`` naming the first failing constraint and its
    namespace, ``CommitmentMismatchError`` naming the commitment that differs, and
    ``ShapeMismatchError``, ``FieldMismatchError`` or ``NonCanonicalEncodingError`` for an
    instance or witness that does not have the shape's form.
    """
    check_constraints(shape, instance, witness)
    check_commitments(shape, instance, witness, key)


def check_constraints(
    shape: R1CSShape, instance: RelaxedInstance, witness: RelaxedWitness
) -> Products:
    """`check` without the commitments: the form of both, then every constraint. For callers
    that check several instances' commitments at once (one batched MSM per curve). Returns the
    pair's products, which a caller about to fold the pair can reuse."""
    check_instance(shape, instance)
    check_witness_lengths(shape, witness)
    field = shape.field
    W = field.check(witness.dense_W(), "W")
    E = field.check(witness.E, "E")
    products = Products.of(shape, instance, W)
    lhs = field.mul(products.Az, products.Bz)
    rhs = field.axpy(E, instance.u, products.Cz)
    bad = np.flatnonzero(np.any(lhs != rhs, axis=1))
    if bad.size:
        index = int(bad[0])
        name = shape.name_of(index)
        raise UnsatisfiedRelaxedConstraintError(
            f"relaxed constraint {index} ({name!r}) is not satisfied: A·z ∘ B·z ≠ u·C·z + E there",
            index=index,
            name=name,
        )
    return products


def check_commitments(
    shape: R1CSShape,
    instance: RelaxedInstance,
    witness: RelaxedWitness,
    key: CommitmentKey | None = None,
) -> None:
    """That comm_W and comm_E commit to the witness's W and E (lengths already checked)."""
    key = key_for(shape, key)
    if commit_W(key, witness.W) != instance.comm_W:
        raise CommitmentMismatchError("comm_W is not the commitment of the witness's W")
    E = witness.E
    comm_E = key.commit(E) if E.any() else key.curve.identity()
    if comm_E != instance.comm_E:
        raise CommitmentMismatchError("comm_E is not the commitment of the witness's E")
