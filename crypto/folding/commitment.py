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

A key serves its MSMs through a fixed-base table (``Curve.fixed_bases``: the generators'
multiples for every window, computed here from the generators) once it has one: a fifth to a
quarter less time an MSM of 2^15, for about 1.2 KiB a generator and the time of a dozen plain
MSMs to build. A long-lived process gets it either by asking (``precompute``) or automatically,
once the key has done enough plain MSMs for the table to have paid for itself twice over
(``TABLE_AFTER``); a one-shot verifier or a short job never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final

from crypto.errors import FieldMismatchError, ShapeMismatchError
from crypto.field import FQ, FR, PrimeField, Vector, as_vector
from crypto.group import G1, Curve, CurvePoint, FixedBases, Grumpkin, PointVector
from crypto.witness import CompactVector

COMMITMENT_LABEL: Final = b"novanode/ck/v1"
"""The ``derive_generators`` label of every commitment key (version 1)."""

TABLE_MIN_LENGTH: Final = 1 << 12
"""Keys shorter than this never build a table on their own: their MSMs are too short to repay
it."""

TABLE_AFTER: Final = 96
"""A key builds its table once its plain MSMs have covered ``TABLE_AFTER · len(key)`` elements.
The table costs about 12 full-length plain MSMs and saves a fifth to a quarter of one per use,
so it pays after about 50 (measured, benchmarks/msm.py ``table_pays_after``). Waiting for
twice that keeps short jobs (a 32-step tree job commits about 50 key lengths a key) from paying
for a table they cannot use, while costing a long job at most about three times the best
choice in hindsight (the rent-or-buy argument)."""


def curve_for(field: PrimeField) -> Curve[CurvePoint]:
    """The curve whose scalar field is ``field``: G1 for Fr, Grumpkin for Fq."""
    if field is FR:
        return G1
    if field is FQ:
        return Grumpkin
    raise FieldMismatchError(f"no commitment curve has {field!r} as its scalar field")


class CommitmentKey:
    """The first ``len(self)`` generators of the commitment key on ``curve``."""

    __slots__ = ("_plain_work", "_prefixes", "_table", "_table_lock", "bases", "curve", "field")

    def __init__(self, field: PrimeField, bases: PointVector[CurvePoint]) -> None:
        self.field = field
        self.curve = curve_for(field)
        self.bases = bases
        self._prefixes: dict[int, PointVector[CurvePoint]] = {len(bases): bases}
        self._table: FixedBases[CurvePoint] | None = None
        self._table_lock = threading.Lock()
        self._plain_work = 0

    def __len__(self) -> int:
        return len(self.bases)

    def __repr__(self) -> str:
        return f"CommitmentKey({self.curve.name}, n={len(self)})"

    def precompute(self) -> None:
        """Builds the fixed-base table now, if not built yet (about a second per 2^15
        generators; other threads keep committing without it meanwhile)."""
        with self._table_lock:
            if self._table is None:
                self._table = self.curve.fixed_bases(self.bases)

    @property
    def table_bytes(self) -> int:
        """Memory held by the fixed-base table (0 without one)."""
        return 0 if self._table is None else self._table.table_bytes

    def _table_for(self, n: int) -> FixedBases[CurvePoint] | None:
        """The table, after building it if the plain MSMs so far (plus this one of ``n``
        elements) have reached ``TABLE_AFTER`` full-length ones; ``None`` while there is none."""
        if self._table is None and len(self) >= TABLE_MIN_LENGTH:
            self._plain_work += n
            # The count is a heuristic: a lost update between threads only delays the build.
            if self._plain_work >= TABLE_AFTER * len(self) and self._table_lock.acquire(
                blocking=False
            ):
                try:
                    if self._table is None:
                        self._table = self.curve.fixed_bases(self.bases)
                finally:
                    self._table_lock.release()
        return self._table

    def _check_length(self, n: int) -> None:
        if n > len(self.bases):
            raise ShapeMismatchError(
                f"a vector of {n} elements needs a commitment key of at least {n} generators; "
                f"this key has {len(self.bases)}"
            )

    def _bases_for(self, n: int) -> PointVector[CurvePoint]:
        """The first ``n`` generators (sliced once per length, then kept)."""
        self._check_length(n)
        prefix = self._prefixes.get(n)
        if prefix is None:
            prefix = self._prefixes[n] = self.bases[:n]
        return prefix

    def commit(self, vector: Vector) -> CurvePoint:
        """``Σ vᵢ·Gᵢ`` of a dense field vector (canonical; the kernel rejects anything else)."""
        vector = as_vector(vector)
        self._check_length(len(vector))
        table = self._table_for(len(vector))
        if table is not None:
            return table.msm(vector)
        return self._bases_for(len(vector)).msm(vector)

    def commit_compact(self, vector: CompactVector) -> CurvePoint:
        """``Σ vᵢ·Gᵢ`` of a compact vector: zeros are free and ±1 cost one addition each."""
        if vector.field is not self.field:
            raise FieldMismatchError(
                f"a {vector.field.name} vector cannot be committed with a {self.field.name} key"
            )
        self._check_length(len(vector))
        table = self._table_for(len(vector))
        if table is not None:
            return table.msm_compact(vector.tags, vector.others)
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
