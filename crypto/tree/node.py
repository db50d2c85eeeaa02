"""A node of the proof tree and the statement it proves (docs/tree-nova.md §3.1, §8).

A node ν proves ``b − a`` applications of the step circuit F, from ``z_a`` to ``z_b``, under
one set of public parameters and one job context. It carries:

* the **statement** (``Statement``): params digest, ``ctx``, ``a < b``, ``z_a``, ``z_b``;
* the **primary** running pair ``U1``/``W1`` of the augmented circuit P (over Fr: commitments
  on BN254 G1, X of 3, W and E dense);
* the **secondary** running pair ``U2``/``W2`` of S (over Fq: commitments on Grumpkin, X of 2);
* the **fresh** secondary instance's commitment ``u2_comm_W`` and its compact witness ``w2``.

Besides, in memory only, a ``ProductCache`` of A·z, B·z, C·z of those three pairs, filled by
whoever has them anyway (the prover carries them through its folds, ``verify_node`` computes
them in its checks) so that the parent's folds need no mat-vec. It is never encoded, and a node
built from its parts (decoding, ``dataclasses.replace``) starts with an empty one.

The fresh instance's other parts are not stored: u = 1 and comm_E = O by definition, and its
public IO ``[h₁(ν), h₂(ν)]`` is recomputed by the verifier from the statement and the running
instances (§8.1 step 2), which is what binds them. No primary fresh instance travels: the node's
own S has folded it.

These classes check form (fields, curves, lengths that must agree, canonical scalars), not
validity: that is ``verify()``'s job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from crypto.errors import (
    FieldMismatchError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
    StepRangeError,
    WrongLengthError,
)
from crypto.field import FQ, FR, PrimeField, as_vector
from crypto.folding.commitment import curve_for
from crypto.folding.relaxed import Products, RelaxedInstance, RelaxedWitness
from crypto.group import CurvePoint
from crypto.witness import CompactVector
from protocol.limits import MAX_STEPS

DIGEST_BYTES: Final = 32
"""Length of the params digest and of the job context."""

PRIMARY_PUBLIC: Final = 3
"""Public inputs of P: ``[h₁(node), h₂(L), h₂(R)]``."""

SECONDARY_PUBLIC: Final = 2
"""Public inputs of S: ``[h₁(node), h₂(node)]``."""


@dataclass(frozen=True)
class Statement:
    """What a node proves: ``b − a`` steps of F take ``z_a`` to ``z_b``, under the parameters
    with digest ``params_digest`` and in the job ``ctx`` (32 zero bytes for a local proof).

    ``z_a`` and ``z_b`` are F's states as Fr elements (ints in [0, r)), of F's arity.
    """

    params_digest: bytes
    ctx: bytes
    a: int
    b: int
    z_a: tuple[int, ...]
    z_b: tuple[int, ...]

    def __post_init__(self) -> None:
        for name in ("params_digest", "ctx"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != DIGEST_BYTES:
                raise WrongLengthError(f"{name} must be {DIGEST_BYTES} bytes")
        if not all(isinstance(v, int) for v in (self.a, self.b)):
            raise TypeError("a and b must be ints")
        if not 0 <= self.a < self.b <= MAX_STEPS:
            raise StepRangeError(
                f"the range [{self.a}, {self.b}) is not a non-empty range within [0, {MAX_STEPS})"
            )
        if not isinstance(self.z_a, tuple) or not isinstance(self.z_b, tuple):
            raise TypeError("z_a and z_b must be tuples of ints (a statement is hashable)")
        if not self.z_a or len(self.z_a) != len(self.z_b):
            raise ShapeMismatchError(
                f"z_a has {len(self.z_a)} values and z_b {len(self.z_b)}; both have F's arity ≥ 1"
            )
        for name in ("z_a", "z_b"):
            _check_scalars(name, getattr(self, name), FR)

    @property
    def arity(self) -> int:
        """F's arity: the number of elements of a state."""
        return len(self.z_a)

    @property
    def steps(self) -> int:
        """How many applications of F the node accounts for."""
        return self.b - self.a


@dataclass(frozen=True)
class NodeLayout:
    """The sizes a node's vectors have under one set of parameters: F's ``arity``, private
    variables (``n1w``) and constraints (``n1c``) of P's shape, and the same (``n2w``, ``n2c``) of
    S's. Decoding takes every length from here, never from the blob."""

    arity: int
    n1w: int
    n1c: int
    n2w: int
    n2c: int

    def __post_init__(self) -> None:
        sizes = (self.arity, self.n1w, self.n1c, self.n2w, self.n2c)
        if not all(isinstance(n, int) and n >= 0 for n in sizes) or self.arity < 1:
            raise ShapeMismatchError(f"a layout needs arity ≥ 1 and sizes ≥ 0, got {self}")


@dataclass(eq=False)
class ProductCache:
    """A·z, B·z, C·z of a node's pairs ``U1``/``W1`` (on P), ``U2``/``W2`` and ``u2``/``w2`` (on
    S, u2 with its recomputed public IO); ``None`` where not known. Whoever fills an entry
    vouches that it belongs to the node's own vectors: the prover (by linearity from the folds
    that made the node) or ``verify_node`` (after every check passed)."""

    U1: Products | None = None
    U2: Products | None = None
    u2: Products | None = None


@dataclass(frozen=True, eq=False)
class Node:
    """One node of the proof tree (see the module docstring for what each part is).

    ``W1.W`` and ``W2.W`` may be dense or compact (they are stored dense); ``w2`` has S's
    ``n2w`` elements of Fq, the same count as ``W2.W``.
    """

    statement: Statement
    U1: RelaxedInstance
    W1: RelaxedWitness
    U2: RelaxedInstance
    W2: RelaxedWitness
    u2_comm_W: CurvePoint  # noqa: N815 — the paper's comm_W, as in RelaxedInstance
    w2: CompactVector
    products: ProductCache = dataclasses.field(default_factory=ProductCache, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_instance("U1", self.U1, FR, PRIMARY_PUBLIC)
        _check_instance("U2", self.U2, FQ, SECONDARY_PUBLIC)
        _check_witness("W1", self.W1, FR)
        _check_witness("W2", self.W2, FQ)
        _check_point("u2_comm_W", self.u2_comm_W, FQ)
        if not isinstance(self.w2, CompactVector) or self.w2.field is not FQ:
            raise FieldMismatchError("w2 must be a compact vector of Fq")
        if len(self.w2) != len(self.W2.W):
            raise ShapeMismatchError(
                f"w2 has {len(self.w2)} elements and W2.W {len(self.W2.W)}; both are witnesses of S"
            )

    def layout(self) -> NodeLayout:
        """The sizes of this node's vectors (equal to the parameters' layout for a valid node)."""
        return NodeLayout(
            arity=self.statement.arity,
            n1w=len(self.W1.W),
            n1c=len(self.W1.E),
            n2w=len(self.W2.W),
            n2c=len(self.W2.E),
        )

    def u2(self, X: Sequence[int]) -> RelaxedInstance:
        """The fresh secondary instance, given its public IO ``X = [h₁(ν), h₂(ν)]`` recomputed
        by the verifier."""
        return RelaxedInstance.fresh(FQ, self.u2_comm_W, X)

    def w2_witness(self) -> RelaxedWitness:
        """The fresh secondary witness: ``w2`` and E = 0 of S's ``n2c`` constraints."""
        return RelaxedWitness.fresh(self.w2, len(self.W2.E))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return (
            self.statement == other.statement
            and self.U1 == other.U1
            and self.U2 == other.U2
            and _same_witness(self.W1, other.W1)
            and _same_witness(self.W2, other.W2)
            and type(self.u2_comm_W) is type(other.u2_comm_W)
            and self.u2_comm_W == other.u2_comm_W
            and self.w2 == other.w2
        )

    __hash__ = None  # type: ignore[assignment]


def _check_scalars(name: str, values: Sequence[int], field: PrimeField) -> None:
    for i, value in enumerate(values):
        if not isinstance(value, int) or not 0 <= value < field.modulus:
            raise NonCanonicalEncodingError(
                f"{name}[{i}] ({value!r}) is not an element of {field.name} (an int in [0, p))"
            )


def _check_point(name: str, point: object, field: PrimeField) -> None:
    curve = curve_for(field)
    if type(point) is not type(curve.identity()):
        raise FieldMismatchError(f"{name} must be a {curve.name} point, got {type(point).__name__}")


def _check_instance(name: str, instance: object, field: PrimeField, n_public: int) -> None:
    if not isinstance(instance, RelaxedInstance):
        raise TypeError(f"{name} must be a RelaxedInstance, got {type(instance).__name__}")
    _check_point(f"{name}.comm_W", instance.comm_W, field)
    _check_point(f"{name}.comm_E", instance.comm_E, field)
    if len(instance.X) != n_public:
        raise ShapeMismatchError(f"{name}.X has {len(instance.X)} values; it must have {n_public}")
    _check_scalars(f"{name}.u", (instance.u,), field)
    _check_scalars(f"{name}.X", instance.X, field)


def _check_witness(name: str, witness: object, field: PrimeField) -> None:
    if not isinstance(witness, RelaxedWitness):
        raise TypeError(f"{name} must be a RelaxedWitness, got {type(witness).__name__}")
    if isinstance(witness.W, CompactVector):
        if witness.W.field is not field:
            raise FieldMismatchError(f"{name}.W is in {witness.W.field.name}, not {field.name}")
    else:
        as_vector(witness.W, f"{name}.W")
    as_vector(witness.E, f"{name}.E")


def _same_witness(left: RelaxedWitness, right: RelaxedWitness) -> bool:
    return bool(np.array_equal(left.dense_W(), right.dense_W()) and np.array_equal(left.E, right.E))
