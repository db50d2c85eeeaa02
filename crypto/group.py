"""The two groups of the BN254/Grumpkin cycle: points, point vectors, commitment keys and MSM.

``G1`` is BN254's G1 (base field Fq, scalars in **Fr**); ``Grumpkin`` is its cycle partner
(base field Fr, scalars in **Fq**). So a commitment to an Fr witness lives on G1 and a commitment
to an Fq witness on Grumpkin. Both curves are ``y² = x³ + b`` (b = 3 and b = −17) with cofactor
1: every point on the curve is in the prime-order group.

Point encoding (32 bytes, arkworks' compressed layout): x as a little-endian integer in
``[0, p)``; in the last byte, bit 7 (``0x80``) is set when y is the larger square root
(``y > p − y``) and bit 6 (``0x40``) marks the identity, whose only encoding is x = 0 with bit
7 clear (31 zero bytes, then ``0x40``). Decoding is strict, so each point has exactly one
encoding: a wrong length raises ``WrongLengthError``; x ≥ p or a malformed identity raises
``NonCanonicalEncodingError``; an x with no point above it raises ``NotOnCurveError``. A point
vector encodes as the concatenation of its points.

Commitment keys (``derive_generators``), the same on every node and with no trusted setup:
generator i of the key ``label`` is the first point found by try-and-increment over
``counter = 0, 1, ...`` of::

    digest = SHA-512(b"novanode/generators/v1" ‖ u8(len(name)) ‖ name
                     ‖ u64_le(len(label)) ‖ label ‖ u64_le(i) ‖ u32_le(counter))
    x = int_le(digest) mod p;  accept if x³ + b is a square;  y = the smaller root (y ≤ p − y)

with ``name`` = ``b"BN254-G1"`` or ``b"Grumpkin"``. ``crypto.reference.curve`` re-implements it.

MSM scalars are field vectors (``(n, 4)`` uint64, canonical little-endian limbs) of the curve's
scalar field, or compact vectors (``tags`` + ``others``, see ``crypto.witness``), whose zeros,
ones and minus ones cost no multiplication at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, Self, TypeVar, cast, overload

import numpy as np
from numpy.typing import NDArray

_k: Any = importlib.import_module("crypto._kernel")

FieldVector = NDArray[np.uint64]
"""``(n, 4)`` uint64, canonical little-endian limbs."""
Tags = NDArray[np.uint8]
"""``(n,)`` uint8 compact-vector tags."""


class CurvePoint(Protocol):
    """A point of one curve (immutable; operators return new points)."""

    @property
    def x(self) -> int | None:
        """Affine x, ``None`` for the identity."""

    @property
    def y(self) -> int | None:
        """Affine y, ``None`` for the identity."""

    def __add__(self, other: Self, /) -> Self: ...
    def __sub__(self, other: Self, /) -> Self: ...
    def __neg__(self) -> Self: ...
    def __mul__(self, k: int, /) -> Self: ...
    def __rmul__(self, k: int, /) -> Self: ...
    def __hash__(self) -> int: ...
    def double(self) -> Self: ...
    def is_identity(self) -> bool: ...
    def to_bytes(self) -> bytes:
        """The 32-byte compressed encoding."""


P = TypeVar("P", bound=CurvePoint)
P_co = TypeVar("P_co", bound=CurvePoint, covariant=True)


class PointVector(Protocol[P_co]):
    """An immutable vector of affine points: MSM bases, e.g. a commitment key."""

    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int, /) -> P_co: ...
    @overload
    def __getitem__(self, index: slice, /) -> PointVector[P_co]: ...
    def __iter__(self) -> Iterator[P_co]: ...
    def to_bytes(self) -> bytes:
        """Concatenated 32-byte compressed encodings."""

    def msm(self, scalars: FieldVector, /) -> P_co:
        """``Σ scalars[i]·self[i]`` (see ``Curve.msm``)."""

    def msm_compact(self, tags: Tags, others: FieldVector, /) -> P_co:
        """``Σ vᵢ·self[i]`` for the compact vector ``v`` (see ``Curve.msm_compact``)."""


class FixedBases(Protocol[P_co]):
    """Bases with their multiples ``2^(c·j)·G_i`` precomputed for every MSM window ``j``.

    MSMs over any prefix of the bases skip plain Pippenger's per-window doublings and bucket
    reductions (a fifth to a quarter of the time at 2^15 terms), for a table of roughly 1.2 KiB a
    base that takes about a dozen plain MSMs to build. Results equal the plain MSM's.
    """

    def __len__(self) -> int: ...
    @property
    def table_bytes(self) -> int:
        """Memory held by the table."""

    def msm(self, scalars: FieldVector, /) -> P_co:
        """``Σ scalars[i]·G_i`` over the first ``len(scalars)`` bases."""

    def msm_compact(self, tags: Tags, others: FieldVector, /) -> P_co:
        """``Σ vᵢ·G_i`` for the compact vector ``v`` over the first ``len(tags)`` bases."""


@dataclass(frozen=True)
class Curve(Generic[P]):
    """One curve of the cycle: its constants and everything made of its points."""

    name: str
    base_modulus: int
    order: int
    scalar_field: str
    """Name of the field the MSM scalars live in (``"Fr"`` or ``"Fq"``)."""
    endomorphism_scalar: int
    """λ: the cube root of unity by which ``φ(x, y) = (β·x, y)`` multiplies every point."""
    _point: Any
    _vector: Any
    _derive: Any
    _msm: Any
    _msm_compact: Any
    _fold: Any
    _fixed: Any

    def identity(self) -> P:
        return cast(P, self._point.identity())

    def generator(self) -> P:
        return cast(P, self._point.generator())

    def point_from_bytes(self, data: bytes) -> P:
        """The point with the 32-byte compressed encoding ``data`` (strict, see module doc)."""
        return cast(P, self._point.from_bytes(data))

    def vector(self, points: Sequence[P]) -> PointVector[P]:
        """A point vector of ``points``, made affine with one batch inversion."""
        return cast(PointVector[P], self._vector(points))

    def vector_from_bytes(self, data: bytes) -> PointVector[P]:
        """Points from concatenated compressed encodings; an error names the first bad index."""
        return cast(PointVector[P], self._vector.from_bytes(data))

    def derive_generators(self, label: bytes, n: int) -> PointVector[P]:
        """The first ``n`` generators of the commitment key ``label`` (see module doc)."""
        return cast(PointVector[P], self._derive(label, n))

    def msm(self, bases: PointVector[P], scalars: FieldVector) -> P:
        """``Σ scalars[i]·bases[i]``; scalars is a canonical ``(n, 4)`` vector of the scalar field.

        Raises ``ShapeMismatchError`` for mismatched lengths or a shape other than ``(n, 4)``,
        ``NonCanonicalEncodingError`` for a row ≥ the group order.
        """
        return cast(P, self._msm(bases, scalars))

    def msm_compact(self, bases: PointVector[P], tags: Tags, others: FieldVector) -> P:
        """``Σ vᵢ·bases[i]`` for the compact vector ``v`` = (``tags``, ``others``).

        Zeros are skipped and ±1 cost one addition each, so a witness of bits commits an order
        of magnitude faster than a dense one. Raises ``ShapeMismatchError`` when the tags do not
        match the bases or the count of TAG_OTHER tags differs from ``len(others)``,
        ``EncodingError`` for an unknown tag, ``NonCanonicalEncodingError`` for a bad value.
        """
        return cast(P, self._msm_compact(bases, tags, others))

    def fixed_bases(self, bases: PointVector[P]) -> FixedBases[P]:
        """The precomputed table of ``bases``, derived from them here (never read from input)."""
        return cast(FixedBases[P], self._fixed(bases))

    def fold_generators(self, bases: PointVector[P], x0: int, x1: int) -> PointVector[P]:
        """``bases[i] + x·bases[i + n/2]`` for ``i < n/2`` and ``x = x0 + x1·endomorphism_scalar``.

        One round of an inner-product argument, for a challenge given by its two 64-bit halves:
        the kernel computes ``x0·P + x1·φ(P)``, 64 doublings a point. Raises
        ``ShapeMismatchError`` for an odd length and ``OverflowError`` unless both halves are in
        ``[0, 2^64)``.
        """
        return cast(PointVector[P], self._fold(bases, x0, x1))


R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

G1: Curve[CurvePoint] = Curve(
    name="BN254-G1",
    base_modulus=Q,
    order=R,
    scalar_field="Fr",
    endomorphism_scalar=4407920970296243842393367215006156084916469457145843978461,
    _point=_k.G1Point,
    _vector=_k.G1Vec,
    _derive=_k.g1_derive_generators,
    _msm=_k.g1_msm,
    _msm_compact=_k.g1_msm_compact,
    _fold=_k.g1_fold_generators,
    _fixed=_k.G1FixedBases,
)
"""BN254 G1: y² = x³ + 3 over Fq, generator (1, 2), scalars in Fr."""

Grumpkin: Curve[CurvePoint] = Curve(
    name="Grumpkin",
    base_modulus=R,
    order=Q,
    scalar_field="Fq",
    endomorphism_scalar=2203960485148121921418603742825762020974279258880205651966,
    _point=_k.GrumpkinPoint,
    _vector=_k.GrumpkinVec,
    _derive=_k.grumpkin_derive_generators,
    _msm=_k.grumpkin_msm,
    _msm_compact=_k.grumpkin_msm_compact,
    _fold=_k.grumpkin_fold_generators,
    _fixed=_k.GrumpkinFixedBases,
)
"""Grumpkin: y² = x³ - 17 over Fr, generator (1, √-16), scalars in Fq."""


def g1_msm_timings_ms(log_n: int, repeats: int) -> list[float]:
    """Milliseconds of ``repeats`` G1 MSMs of size ``2**log_n``, inputs made and timed in Rust.

    The floor for ``G1.msm`` called from Python: benchmarks compare the two to measure the
    binding's overhead. Bases are derived generators, scalars uniform in Fr.
    """
    return cast(list[float], _k.bench_g1_msm_random(log_n, repeats))
