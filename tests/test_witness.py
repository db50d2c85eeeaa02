"""Compact witnesses against the reference, their memory use, and rejection of malformed ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    InvalidTagError,
    LayoutError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
)
from crypto.field import FQ, FR, PrimeField
from crypto.reference import witness as ref
from crypto.witness import (
    TAG_MINUS_ONE,
    TAG_ONE,
    TAG_OTHER,
    TAG_ZERO,
    CompactVector,
    TagCounts,
)

FIELDS = pytest.mark.parametrize("field", [FR, FQ], ids=["Fr", "Fq"])


def witness_values(p: int) -> st.SearchStrategy[list[int]]:
    special = st.sampled_from([0, 1, p - 1, 2, p - 2])
    return st.lists(st.one_of(special, special, st.integers(0, p - 1)), max_size=30)


def test_tags_are_the_shared_constants() -> None:
    assert (TAG_ZERO, TAG_ONE, TAG_MINUS_ONE, TAG_OTHER) == (0, 1, 2, 3)
    assert (ref.TAG_ZERO, ref.TAG_ONE, ref.TAG_MINUS_ONE, ref.TAG_OTHER) == (0, 1, 2, 3)


@FIELDS
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_conversions_match_reference(field: PrimeField, data: st.DataObject) -> None:
    p = field.modulus
    values = data.draw(witness_values(p))
    compact = CompactVector.from_dense(field, field.from_ints(values))
    tags, others = ref.compact(p, values)
    assert compact.tags.dtype == np.uint8 and compact.tags.tolist() == tags
    assert compact.others.shape == (len(others), 4) and field.to_ints(compact.others) == others
    assert field.to_ints(compact.to_dense()) == values == ref.expand(p, tags, others)
    assert len(compact) == len(values)
    assert compact.tag_counts() == TagCounts(*(tags.count(t) for t in range(4)))
    assert compact.nbytes == len(values) + 32 * len(others)
    rebuilt = CompactVector(field, np.array(tags, dtype=np.uint8), field.from_ints(others))
    assert rebuilt == compact


@FIELDS
def test_long_vectors_cross_kernel_chunks(field: PrimeField) -> None:
    n = 40_000  # more than two kernel chunks of 2^14
    rng = np.random.default_rng(1)
    dense = field.random(n, seed=2)
    choice = rng.integers(0, 4, n)
    dense[choice == 0] = 0
    dense[choice == 1] = field.from_ints([1])
    dense[choice == 2] = field.from_ints([field.modulus - 1])
    compact = CompactVector.from_dense(field, dense)
    assert np.array_equal(compact.tags, choice.astype(np.uint8))
    assert np.array_equal(compact.others, dense[choice == 3])
    assert np.array_equal(compact.to_dense(), dense)


def test_bit_witness_is_small() -> None:
    n = 1 << 12
    bits = FR.from_ints(int(b) for b in np.random.default_rng(3).integers(0, 2, n))
    compact = CompactVector.from_dense(FR, bits)
    assert compact.tag_counts().other == 0
    assert compact.nbytes <= 0.3 * bits.nbytes
    assert compact.nbytes == n


def test_empty_vector() -> None:
    compact = CompactVector.from_dense(FR, FR.zeros(0))
    assert len(compact) == 0 and compact.to_dense().shape == (0, 4)
    assert compact.tag_counts() == TagCounts(0, 0, 0, 0)


def test_minus_one_is_per_field() -> None:
    r_minus_one = FR.modulus - 1
    fr_tags = CompactVector.from_dense(FR, FR.from_ints([r_minus_one])).tags.tolist()
    fq_tags = CompactVector.from_dense(FQ, FQ.from_ints([r_minus_one])).tags.tolist()
    assert (fr_tags, fq_tags) == ([TAG_MINUS_ONE], [TAG_OTHER])


def test_rejects_malformed_compact_vectors() -> None:
    compact = CompactVector.from_dense(FR, FR.from_ints([0, 5, 1, 7, FR.modulus - 1]))
    tags, others = compact.tags, compact.others
    bad_tags = tags.copy()
    bad_tags[2] = 4
    with pytest.raises(InvalidTagError, match="tag 2 is 4"):
        CompactVector(FR, bad_tags, others)
    with pytest.raises(ShapeMismatchError, match="mark 2 elements"):
        CompactVector(FR, tags, others[:1])
    with pytest.raises(NonCanonicalEncodingError, match="tags of their own"):
        CompactVector(FR, tags, FR.from_ints([5, 1]))
    too_big = others.copy()
    too_big[1] = [2**64 - 1] * 4
    with pytest.raises(NonCanonicalEncodingError, match="element 1 of others"):
        CompactVector(FR, tags, too_big)
    with pytest.raises(LayoutError):
        CompactVector(FR, tags.astype(np.int64), others)  # type: ignore[arg-type]
    with pytest.raises(LayoutError):
        CompactVector(FR, list(tags), others)  # type: ignore[arg-type]
    with pytest.raises(ShapeMismatchError):
        CompactVector(FR, tags.reshape(1, -1), others)
    with pytest.raises(LayoutError):
        CompactVector(FR, tags, others.astype(np.int64))  # type: ignore[arg-type]


def test_from_dense_rejects_non_canonical_vectors() -> None:
    dense = FR.from_ints([0, 1, 2])
    dense[2] = [2**64 - 1] * 4
    with pytest.raises(NonCanonicalEncodingError, match="element 2"):
        CompactVector.from_dense(FR, dense)
    with pytest.raises(ShapeMismatchError):
        CompactVector.from_dense(FR, np.zeros((3, 2), dtype=np.uint64))
