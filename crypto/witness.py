"""Compact witnesses: a field vector stored as one tag byte per element plus its other values.

R1CS witnesses are mostly 0 and 1, so storing a tag (``uint8``) per element and the 32-byte
value only for the rest shrinks them about thirtyfold, and lets an MSM add or subtract the bases
of ±1 entries instead of multiplying them.

Layout (shared with the kernel's ``compact.rs`` and MSM): ``tags`` is ``uint8`` of shape
``(n,)`` with ``TAG_ZERO``, ``TAG_ONE``, ``TAG_MINUS_ONE`` or ``TAG_OTHER`` per element;
``others`` is a field vector (``uint64``, ``(k, 4)``, canonical) holding the ``TAG_OTHER``
values in order of appearance. The form is canonical: 0, 1 and p − 1 never appear in ``others``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

import crypto._kernel as _kernel
from crypto.errors import LayoutError, ShapeMismatchError
from crypto.field import PrimeField, Vector, as_vector

TAG_ZERO: Final = 0
TAG_ONE: Final = 1
TAG_MINUS_ONE: Final = 2
TAG_OTHER: Final = 3

Tags = npt.NDArray[np.uint8]


class TagCounts(NamedTuple):
    """How many elements carry each tag."""

    zero: int
    one: int
    minus_one: int
    other: int


@dataclass(frozen=True)
class _Kernel:
    """The kernel's compact-vector functions for one field, typed."""

    from_dense: Callable[[Vector], tuple[Tags, Vector]]
    to_dense: Callable[[Tags, Vector], Vector]
    check: Callable[[Tags, Vector], None]


@cache
def _kernel_for(field: PrimeField) -> _Kernel:
    prefix = f"{field.kernel_prefix}_compact_"
    return _Kernel(**{f.name: getattr(_kernel, prefix + f.name) for f in fields(_Kernel)})


def _as_tags(tags: object) -> Tags:
    if not isinstance(tags, np.ndarray):
        raise LayoutError(f"tags must be a numpy array, got {type(tags).__name__}")
    if tags.dtype != np.uint8:
        raise LayoutError(f"tags has dtype {tags.dtype}; tags are uint8")
    if tags.ndim != 1:
        raise ShapeMismatchError(f"tags has shape {tags.shape}; tags are one-dimensional")
    contiguous: Tags = np.ascontiguousarray(tags)
    return contiguous


class CompactVector:
    """A field vector in compact form; immutable by convention (its arrays are not copied)."""

    __slots__ = ("field", "others", "tags")

    def __init__(self, field: PrimeField, tags: Tags, others: Vector) -> None:
        """Wraps ``(tags, others)`` after checking that they are a canonical compact vector.

        Raises ``InvalidTagError``, ``ShapeMismatchError`` (the count of ``TAG_OTHER`` differs
        from ``len(others)``), ``NonCanonicalEncodingError`` or ``LayoutError``.
        """
        tags = _as_tags(tags)
        others = as_vector(others, "others")
        _kernel_for(field).check(tags, others)
        self.field = field
        self.tags = tags
        self.others = others

    @classmethod
    def from_dense(cls, field: PrimeField, vec: Vector) -> CompactVector:
        """The compact form of a field vector."""
        tags, others = _kernel_for(field).from_dense(as_vector(vec))
        compact = cls.__new__(cls)
        compact.field = field
        compact.tags = tags
        compact.others = others
        return compact

    def to_dense(self) -> Vector:
        """The field vector this stands for."""
        return _kernel_for(self.field).to_dense(self.tags, self.others)

    def __len__(self) -> int:
        return len(self.tags)

    @property
    def nbytes(self) -> int:
        """Bytes held by the two arrays."""
        return int(self.tags.nbytes + self.others.nbytes)

    def tag_counts(self) -> TagCounts:
        counts = np.bincount(self.tags, minlength=4)
        return TagCounts(*(int(c) for c in counts[:4]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactVector):
            return NotImplemented
        return (
            self.field is other.field
            and np.array_equal(self.tags, other.tags)
            and np.array_equal(self.others, other.others)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = self.tag_counts()
        return (
            f"CompactVector({self.field.name}, n={len(self)}, zero={counts.zero}, "
            f"one={counts.one}, minus_one={counts.minus_one}, other={counts.other})"
        )
