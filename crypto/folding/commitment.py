"""Pedersen vector commitments to witnesses, on the curve whose scalars are the shape's field.

An Fr vector commits on BN254 G1 and an Fq vector on Grumpkin (``curve_for``), so the
commitments of one side of the cycle have coordinates in the other side's field, where the
circuit that verifies the fold computes natively.

The key is ``derive_generators(COMMITMENT_LABEL, n)``: no trusted setup, and every node derives
the same points. Generator i depends only on the curve, the label and i, so the key for length n
is a prefix of the key for any longer length; one key serves vectors of every length up to its
own (W of ``n_private`` and E of ``n_constraints`` elements alike), a shorter vector committing
with the key's first ``len(vector)`` points. The commitment is not hiding (no blinding point):
Nova as used here needs binding only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

from crypto.errors import FieldMismatchError, ShapeMismatchError
from crypto.field import FQ, FR, PrimeField, Vector, as_vector
from crypto.group import G1, Curve, CurvePoint, Grumpkin, PointVector
from crypto.witness import CompactVector

COMMITMENT_LABEL: Final = b"novanode/ck/v1"
"""The ``derive_generators`` label of every commitment key (version 1)."""


def curve_for(field: PrimeField) -> Curve[CurvePoint]:
    """The curve whose scalar field is ``field``: G1 for Fr, Grumpkin for Fq."""
    if field is FR:
        return G1
    if field is FQ:
        return Grumpkin
    raise FieldMismatchError(f"no commitment curve has {field!r} as its scalar field")


class CommitmentKey:
    """The first ``len(self)`` generators of the commitment key on ``curve``."""

    __slots__ = ("_prefixes", "bases", "curve", "field")

    def __init__(self, field: PrimeField, bases: PointVector[CurvePoint]) -> None:
        self.field = field
        self.curve = curve_for(field)
        self.bases = bases
        self._prefixes: dict[int, PointVector[CurvePoint]] = {len(bases): bases}

    def __len__(self) -> int:
        return len(self.bases)

    def __repr__(self) -> str:
        return f"CommitmentKey({self.curve.name}, n={len(self)})"

    def _bases_for(self, n: int) -> PointVector[CurvePoint]:
        """The first ``n`` generators (sliced once per length, then kept)."""
        if n > len(self.bases):
            raise ShapeMismatchError(
                f"a vector of {n} elements needs a commitment key of at least {n} generators; "
                f"this key has {len(self.bases)}"
            )
        prefix = self._prefixes.get(n)
        if prefix is None:
            prefix = self._prefixes[n] = self.bases[:n]
        return prefix

    def commit(self, vector: Vector) -> CurvePoint:
        """``Σ vᵢ·Gᵢ`` of a dense field vector (canonical; the kernel rejects anything else)."""
        vector = as_vector(vector)
        return self._bases_for(len(vector)).msm(vector)

    def commit_compact(self, vector: CompactVector) -> CurvePoint:
        """``Σ vᵢ·Gᵢ`` of a compact vector: zeros are free and ±1 cost one addition each."""
        if vector.field is not self.field:
            raise FieldMismatchError(
                f"a {vector.field.name} vector cannot be committed with a {self.field.name} key"
            )
        return self._bases_for(len(vector)).msm_compact(vector.tags, vector.others)


_keys: dict[tuple[str, int], CommitmentKey] = {}
_lock = threading.Lock()


Generators = Callable[[Curve[CurvePoint], bytes, int], PointVector[CurvePoint]]
"""What provides ``curve.derive_generators(label, n)`` (it may read them from a cache)."""


def commitment_key(
    field: PrimeField, n: int, generators: Generators | None = None
) -> CommitmentKey:
    """The key committing vectors of up to ``n`` elements of ``field``, cached per (curve, n).

    A key already cached for a longer length provides its prefix instead of a new derivation;
    otherwise ``generators`` (by default the curve's derivation) provides the points.
    """
    if n < 0:
        raise ShapeMismatchError(f"a commitment key cannot have {n} generators")
    curve = curve_for(field)
    with _lock:
        key = _keys.get((curve.name, n))
        if key is None:
            longer = [k for (name, m), k in _keys.items() if name == curve.name and m > n]
            if longer:
                bases = min(longer, key=len)._bases_for(n)
            else:
                derive = generators if generators is not None else Curve.derive_generators
                bases = derive(curve, COMMITMENT_LABEL, n)
            key = _keys[(curve.name, n)] = CommitmentKey(field, bases)
        return key
