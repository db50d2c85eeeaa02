"""Kernel field-vector operations against the pure-Python reference, and their input checks."""

from __future__ import annotations

import crypto._kernel as kernel
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import (
    FieldMismatchError,
    LayoutError,
    NonCanonicalEncodingError,
    ShapeMismatchError,
    WrongLengthError,
    ZeroInversionError,
)
from crypto.field import FQ, FR, Fq, Fr, PrimeField
from crypto.reference import field as ref

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

FIELDS = pytest.mark.parametrize("field", [FR, FQ], ids=["Fr", "Fq"])
EXAMPLES = settings(max_examples=60, deadline=None)


def elements(p: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 2, p - 1, p - 2]), st.integers(0, p - 1))


def vectors(p: int) -> st.SearchStrategy[list[int]]:
    return st.lists(elements(p), max_size=12)


def pairs(p: int) -> st.SearchStrategy[tuple[list[int], list[int]]]:
    return st.integers(0, 12).flatmap(
        lambda n: st.tuples(
            st.lists(elements(p), min_size=n, max_size=n),
            st.lists(elements(p), min_size=n, max_size=n),
        )
    )


def with_value(field: PrimeField, values: list[int], index: int, value: int) -> np.ndarray:
    """A vector of ``values`` whose row ``index`` holds ``value`` (possibly ≥ p) raw."""
    vec = field.from_ints(values)
    vec[index] = [(value >> (64 * k)) & (2**64 - 1) for k in range(4)]
    return vec


def test_moduli_are_the_bn254_ones() -> None:
    assert (FR.modulus, FQ.modulus) == (R, Q)
    assert int.from_bytes(kernel.fr_modulus(), "little") == R
    assert int.from_bytes(kernel.fq_modulus(), "little") == Q


@FIELDS
@EXAMPLES
@given(data=st.data())
def test_elementwise_operations_match_reference(field: PrimeField, data: st.DataObject) -> None:
    p = field.modulus
    a, b = data.draw(pairs(p))
    s = data.draw(elements(p))
    va, vb = field.from_ints(a), field.from_ints(b)
    assert field.to_ints(field.add(va, vb)) == ref.add(p, a, b)
    assert field.to_ints(field.sub(va, vb)) == ref.sub(p, a, b)
    assert field.to_ints(field.mul(va, vb)) == ref.mul(p, a, b)
    assert field.to_ints(field.neg(va)) == ref.neg(p, a)
    assert field.to_ints(field.scale(va, s)) == ref.scale(p, a, s)
    assert field.to_ints(field.axpy(va, s, vb)) == ref.axpy(p, a, s, b)
    assert field.inner_product(va, vb) == ref.inner_product(p, a, b)
    assert field.sum(va) == ref.vector_sum(p, a)


@FIELDS
@EXAMPLES
@given(data=st.data())
def test_batch_inverse_and_powers_match_reference(field: PrimeField, data: st.DataObject) -> None:
    p = field.modulus
    a = data.draw(st.lists(st.one_of(st.sampled_from([1, p - 1]), st.integers(1, p - 1))))
    assert field.to_ints(field.batch_inverse(field.from_ints(a))) == ref.batch_inverse(p, a)
    base = data.draw(elements(p))
    n = data.draw(st.integers(0, 10))
    assert field.to_ints(field.powers(base, n)) == ref.powers(p, base, n)


@FIELDS
@EXAMPLES
@given(data=st.data())
def test_encodings_round_trip(field: PrimeField, data: st.DataObject) -> None:
    values = data.draw(vectors(field.modulus))
    vec = field.from_ints(values)
    assert vec.dtype == np.uint64 and vec.shape == (len(values), 4) and vec.flags.c_contiguous
    encoded = field.to_bytes(vec)
    assert encoded == ref.to_bytes(values) == vec.tobytes()
    assert field.to_ints(field.from_bytes(encoded)) == ref.from_bytes(field.modulus, encoded)


@FIELDS
def test_long_vectors_take_the_parallel_path(field: PrimeField) -> None:
    p, n = field.modulus, 3000  # about three kernel chunks
    va, vb = field.random(n, seed=1), field.random(n, seed=2)
    a, b = field.to_ints(va), field.to_ints(vb)
    assert field.to_ints(field.mul(va, vb)) == ref.mul(p, a, b)
    assert field.to_ints(field.axpy(va, 5, vb)) == ref.axpy(p, a, 5, b)
    assert field.inner_product(va, vb) == ref.inner_product(p, a, b)
    assert field.sum(va) == ref.vector_sum(p, a)
    inverses = field.to_ints(field.batch_inverse(va))
    assert all(x * y % p == 1 for x, y in zip(a, inverses, strict=True))
    assert field.to_ints(field.powers(3, n)) == ref.powers(p, 3, n)


@FIELDS
def test_empty_and_zero_vectors(field: PrimeField) -> None:
    empty = field.zeros(0)
    assert field.add(empty, empty).shape == (0, 4)
    assert field.sum(empty) == 0 and field.inner_product(empty, empty) == 0
    assert field.batch_inverse(empty).shape == (0, 4)
    assert field.to_bytes(empty) == b"" and field.from_bytes(b"").shape == (0, 4)
    assert field.to_ints(field.zeros(3)) == [0, 0, 0]
    assert field.random(0, seed=1).shape == (0, 4)


def test_random_is_reproducible_uniformish_and_canonical() -> None:
    a = FR.random(500, seed=7)
    assert np.array_equal(a, FR.random(500, seed=7))
    assert not np.array_equal(a, FR.random(500, seed=8))
    assert not np.array_equal(FR.random(4, seed=b"x"), FR.random(4, seed=b"y"))
    assert not np.array_equal(FR.random(4, seed=7), FQ.random(4, seed=7))
    assert not np.array_equal(FR.random(4), FR.random(4))
    values = FR.to_ints(a)  # to_ints checks canonicity
    assert sum(v > R // 2 for v in values) > 150  # the top bits are used
    assert len(set(values)) == 500


def test_non_contiguous_and_fortran_arrays_are_accepted() -> None:
    vec = FR.from_ints(range(10))
    strided = vec[::2]
    assert FR.to_ints(FR.add(strided, strided)) == [2 * v for v in range(0, 10, 2)]
    fortran = np.asfortranarray(vec)
    assert FR.to_ints(FR.neg(fortran)) == ref.neg(R, list(range(10)))


@FIELDS
def test_non_canonical_elements_are_named(field: PrimeField) -> None:
    p = field.modulus
    bad = with_value(field, [1, 2, 3, 4], 2, p)
    good = field.from_ints([1, 2, 3, 4])
    for op in (field.add, field.sub, field.mul, field.inner_product):
        with pytest.raises(NonCanonicalEncodingError, match="element 2 of a"):
            op(bad, good)
        with pytest.raises(NonCanonicalEncodingError, match="element 2 of b"):
            op(good, bad)
    for unary in (field.neg, field.sum, field.batch_inverse, field.to_bytes, field.to_ints):
        with pytest.raises(NonCanonicalEncodingError, match="element 2"):
            unary(bad)
    with pytest.raises(NonCanonicalEncodingError, match="element 2"):
        field.check(bad)
    top = with_value(field, [0], 0, 2**256 - 1)
    with pytest.raises(NonCanonicalEncodingError, match="element 0"):
        field.scale(top, 1)
    assert field.check(good) is not None


def test_first_of_several_bad_elements_is_reported() -> None:
    vec = FR.random(5000, seed=3)
    for i in (4000, 1500):
        vec[i] = [2**64 - 1] * 4
    with pytest.raises(NonCanonicalEncodingError, match="element 1500 of a"):
        FR.mul(vec, vec)


@FIELDS
def test_decoding_rejects_bad_bytes(field: PrimeField) -> None:
    with pytest.raises(WrongLengthError):
        field.from_bytes(b"\x00" * 33)
    encoded = ref.to_bytes([1, 2]) + (field.modulus).to_bytes(32, "little")
    with pytest.raises(NonCanonicalEncodingError, match="element 2"):
        field.from_bytes(encoded)
    with pytest.raises(NonCanonicalEncodingError, match="value 1"):
        field.from_ints([0, field.modulus])
    with pytest.raises(NonCanonicalEncodingError):
        field.from_ints([-1])
    with pytest.raises(TypeError):
        field.from_ints([1.5])  # type: ignore[list-item]


@FIELDS
def test_shapes_and_dtypes_are_checked(field: PrimeField) -> None:
    three = field.zeros(3)
    with pytest.raises(ShapeMismatchError):
        field.add(three, field.zeros(2))
    with pytest.raises(ShapeMismatchError):
        field.axpy(three, 1, field.zeros(4))
    with pytest.raises(ShapeMismatchError):
        field.inner_product(three, field.zeros(2))
    with pytest.raises(ShapeMismatchError):
        field.neg(np.zeros((3, 3), dtype=np.uint64))
    with pytest.raises(ShapeMismatchError):
        field.neg(np.zeros(12, dtype=np.uint64))
    with pytest.raises(LayoutError):
        field.neg(np.zeros((3, 4), dtype=np.int64))
    with pytest.raises(LayoutError):
        field.neg([[0, 0, 0, 0]])  # type: ignore[arg-type]
    with pytest.raises(LayoutError):
        field.check(np.zeros((3, 4), dtype=">u8"))


@FIELDS
def test_scalars_are_checked(field: PrimeField) -> None:
    vec = field.from_ints([1, 2])
    for s in (field.modulus, -1):
        with pytest.raises(NonCanonicalEncodingError, match="scalar s"):
            field.scale(vec, s)
    with pytest.raises(NonCanonicalEncodingError, match="scalar base"):
        field.powers(field.modulus, 3)
    other = Fq(1) if field is FR else Fr(1)
    with pytest.raises(FieldMismatchError):
        field.scale(vec, other)
    own = Fr(-1) if field is FR else Fq(-1)
    assert field.to_ints(field.scale(vec, own)) == [field.modulus - 1, field.modulus - 2]
    with pytest.raises(ValueError, match="non-negative"):
        field.powers(2, -1)


def test_batch_inverse_names_the_zero() -> None:
    with pytest.raises(ZeroInversionError, match="element 2 of a"):
        FR.batch_inverse(FR.from_ints([1, 5, 0, 0]))
    long = FR.random(3000, seed=9)
    long[2500] = 0
    with pytest.raises(ZeroInversionError, match="element 2500"):
        FR.batch_inverse(long)


def test_kernel_rejects_malformed_arguments_directly() -> None:
    vec = FR.from_ints([1, 2, 3, 4])
    with pytest.raises(ShapeMismatchError):
        kernel.fr_add(np.zeros((2, 3), dtype=np.uint64), np.zeros((2, 3), dtype=np.uint64))
    with pytest.raises(LayoutError):
        kernel.fr_neg(vec[::2])
    with pytest.raises(WrongLengthError):
        kernel.fr_scale(vec, b"\x01" * 31)
    with pytest.raises(NonCanonicalEncodingError, match="scalar s"):
        kernel.fr_scale(vec, b"\xff" * 32)
    with pytest.raises(WrongLengthError):
        kernel.fr_random(3, b"short")
    with pytest.raises(TypeError):
        kernel.fr_neg(np.zeros((2, 4), dtype=np.int64))


# Single elements


@EXAMPLES
@given(x=elements(R), y=elements(R), e=st.integers(-5, 300))
def test_element_operators_follow_integer_arithmetic(x: int, y: int, e: int) -> None:
    a, b = Fr(x), Fr(y)
    assert int(a + b) == (x + y) % R and int(a + y) == int(y + a) == (x + y) % R
    assert int(a - b) == (x - y) % R and int(x - b) == (x - y) % R
    assert int(a * b) == x * y % R and int(3 * a) == 3 * x % R
    assert int(-a) == -x % R
    if y:
        assert (a / b) * b == a and (x / b) * b == a
    else:
        with pytest.raises(ZeroInversionError):
            a / b
    if x or e >= 0:
        assert a**e == (a.inverse() ** -e if e < 0 else Fr(pow(x, e, R)))
    else:
        with pytest.raises(ZeroInversionError):
            a**e
    assert (a == b) == (x == y)
    if x == y:
        assert hash(a) == hash(b)
    assert Fr.from_bytes(a.to_bytes()) == a and bool(a) == (x != 0)


def test_elements_reduce_ints_and_decode_strictly() -> None:
    assert Fr(-1).value == R - 1 and Fr(R + 5) == Fr(5) and repr(Fq(7)) == "Fq(7)"
    assert Fr(2).inverse() * 2 == Fr(1)
    with pytest.raises(ZeroInversionError):
        Fr(0).inverse()
    with pytest.raises(WrongLengthError):
        Fr.from_bytes(b"\x00" * 31)
    with pytest.raises(NonCanonicalEncodingError):
        Fr.from_bytes(R.to_bytes(32, "little"))
    assert Fq.from_bytes(R.to_bytes(32, "little")).value == R  # R < Q
    with pytest.raises(FieldMismatchError):
        Fr(1) + Fq(1)  # type: ignore[operator]
    assert Fr(1) != Fq(1) and Fr(1) != 1 and len({Fr(1), Fr(R + 1), Fq(1)}) == 2
    with pytest.raises(TypeError):
        Fr(1) + 1.5  # type: ignore[operator]
