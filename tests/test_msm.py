"""Dense and compact MSM against py_ecc (G1), the reference (Grumpkin) and each other."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from crypto import group
from crypto.errors import EncodingError, NonCanonicalEncodingError, ShapeMismatchError
from crypto.group import FieldVector, Tags
from crypto.reference import curve as ref

CURVES = [(group.G1, ref.BN254_G1), (group.Grumpkin, ref.GRUMPKIN)]
IDS = ["bn254", "grumpkin"]
TAG_ZERO, TAG_ONE, TAG_MINUS_ONE, TAG_OTHER = 0, 1, 2, 3


def field_vector(values: list[int]) -> FieldVector:
    """The canonical (n, 4) uint64 layout of `values` (each already in [0, p))."""
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").reshape(-1, 4).astype(np.uint64)


def compact_vector(values: list[int], order: int) -> tuple[Tags, FieldVector]:
    """Tags and TAG_OTHER values of `values` mod `order`."""
    tags, others = [], []
    for v in values:
        v %= order
        if v in (0, 1, order - 1):
            tags.append({0: TAG_ZERO, 1: TAG_ONE, order - 1: TAG_MINUS_ONE}[v])
        else:
            tags.append(TAG_OTHER)
            others.append(v)
    return np.array(tags, dtype=np.uint8), field_vector(others)


def affine(point: group.CurvePoint) -> ref.Point:
    if point.x is None or point.y is None:
        return None
    return (point.x, point.y)


def expected_g1(ks: list[int], scalars: list[int]) -> ref.Point:
    """Σ scalars[i]·(ks[i]·G) by py_ecc."""
    total = bn.Z1
    for k, s in zip(ks, scalars, strict=True):
        total = bn.add(total, bn.multiply(bn.G1, k * s % ref.R))
    if bn.is_inf(total):
        return None
    x, y = bn.normalize(total)
    return (int(x), int(y))


def mixed_scalar(order: int) -> st.SearchStrategy[int]:
    """Scalars of every path: 0, ±1, small, just above 2^64, full width."""
    return st.one_of(
        st.sampled_from([0, 1, order - 1, 2, 2**64 - 1, 2**64, order - 2]),
        st.integers(min_value=0, max_value=2**64 - 1),
        st.integers(min_value=0, max_value=order - 1),
    )


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_g1_msm_matches_py_ecc(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=6))
    ks = data.draw(st.lists(st.integers(min_value=1, max_value=50), min_size=n, max_size=n))
    scalars = data.draw(st.lists(mixed_scalar(ref.R), min_size=n, max_size=n))
    bases = group.G1.vector([group.G1.generator() * k for k in ks])
    expected = expected_g1(ks, scalars)
    assert affine(group.G1.msm(bases, field_vector(scalars))) == expected
    assert affine(group.G1.msm_compact(bases, *compact_vector(scalars, ref.R))) == expected
    assert affine(bases.msm(field_vector(scalars))) == expected
    assert affine(bases.msm_compact(*compact_vector(scalars, ref.R))) == expected


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_grumpkin_msm_matches_reference(data: st.DataObject) -> None:
    c = ref.GRUMPKIN
    n = data.draw(st.integers(min_value=0, max_value=5))
    scalars = data.draw(st.lists(mixed_scalar(ref.Q), min_size=n, max_size=n))
    points = ref.derive_generators(c, b"msm", n)
    bases = group.Grumpkin.derive_generators(b"msm", n)
    expected = ref.msm(c, points, scalars)
    assert affine(group.Grumpkin.msm(bases, field_vector(scalars))) == expected
    compact = compact_vector(scalars, ref.Q)
    assert affine(group.Grumpkin.msm_compact(bases, *compact)) == expected
    assert affine(bases.msm(field_vector(scalars))) == expected
    assert affine(bases.msm_compact(*compact)) == expected


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_small_scalars_through_pippenger(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    rng = random.Random(7)
    n = 70
    scalars = [rng.getrandbits(rng.choice([3, 20, 64])) for _ in range(n)]
    points = ref.derive_generators(model, b"small", n)
    bases = curve.derive_generators(b"small", n)
    assert affine(curve.msm(bases, field_vector(scalars))) == ref.msm(model, points, scalars)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_edge_cases(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    g = curve.generator()
    empty = curve.vector([])
    assert curve.msm(empty, field_vector([])).is_identity()
    assert curve.msm_compact(empty, np.zeros(0, np.uint8), field_vector([])).is_identity()
    one = curve.vector([g])
    assert curve.msm(one, field_vector([5])) == g * 5
    assert curve.msm(one, field_vector([model.order - 1])) == -g
    assert curve.msm(one, field_vector([0])).is_identity()
    duplicates = curve.vector([g, g, g, -g])
    assert curve.msm(duplicates, field_vector([1, 1, 1, 1])) == g * 2
    assert curve.msm(duplicates, field_vector([2, 3, 0, 5])) == curve.identity()
    with_identity = curve.vector([curve.identity(), g])
    assert curve.msm(with_identity, field_vector([9, 4])) == g * 4


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_compact_equals_dense_on_tag_mixes(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    rng = random.Random(11)
    n = 400
    bases = curve.derive_generators(b"mix", n)
    p = model.order
    mixes: list[list[int]] = [
        [0] * n,
        [1] * n,
        [p - 1] * n,
        [rng.choice([0, 1]) for _ in range(n)],
        [rng.choice([0, 1, p - 1, rng.randrange(p), rng.getrandbits(40)]) for _ in range(n)],
        [rng.randrange(p) for _ in range(n)],
    ]
    sum_all = ref.msm(model, ref.derive_generators(model, b"mix", n), [1] * n)
    for values in mixes:
        dense = curve.msm(bases, field_vector(values))
        assert curve.msm_compact(bases, *compact_vector(values, p)) == dense
    assert curve.msm(bases, field_vector([0] * n)).is_identity()
    assert affine(curve.msm(bases, field_vector([1] * n))) == sum_all
    assert affine(curve.msm(bases, field_vector([p - 1] * n))) == ref.neg(model, sum_all)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_compact_accepts_tagged_values_as_others(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    """Writing 0 or ±1 as TAG_OTHER values is legal (just slower) and gives the same sum."""
    bases = curve.derive_generators(b"others", 3)
    values = [0, 1, model.order - 1]
    tags = np.full(3, TAG_OTHER, dtype=np.uint8)
    assert curve.msm_compact(bases, tags, field_vector(values)) == curve.msm(
        bases, field_vector(values)
    )


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_bad_inputs_are_rejected(curve: group.Curve[group.CurvePoint], model: ref.Curve) -> None:
    bases = curve.derive_generators(b"bad", 3)
    with pytest.raises(ShapeMismatchError):
        curve.msm(bases, field_vector([1, 2]))
    with pytest.raises(ShapeMismatchError):
        curve.msm(bases, np.zeros((3, 3), dtype=np.uint64))
    with pytest.raises(NonCanonicalEncodingError, match="scalar 2"):
        curve.msm(bases, field_vector([1, 2, model.order]))
    with pytest.raises(NonCanonicalEncodingError):
        curve.msm(bases, np.full((3, 4), 2**64 - 1, dtype=np.uint64))
    ones = np.ones(3, dtype=np.uint8)
    with pytest.raises(ShapeMismatchError):
        curve.msm_compact(bases, ones[:2], field_vector([]))
    with pytest.raises(ShapeMismatchError):
        curve.msm_compact(bases, ones, field_vector([5]))
    with pytest.raises(ShapeMismatchError):
        curve.msm_compact(bases, np.array([3, 3, 1], np.uint8), field_vector([5]))
    with pytest.raises(EncodingError, match="tag 4"):
        curve.msm_compact(bases, np.array([1, 4, 1], np.uint8), field_vector([]))
    with pytest.raises(NonCanonicalEncodingError):
        curve.msm_compact(bases, np.array([3, 0, 0], np.uint8), field_vector([model.order]))


def test_non_contiguous_scalars_are_read_correctly() -> None:
    bases = group.G1.derive_generators(b"strided", 3)
    wide = np.zeros((6, 4), dtype=np.uint64)
    wide[::2, 0] = [2, 3, 4]
    expected = group.G1.msm(bases, field_vector([2, 3, 4]))
    assert group.G1.msm(bases, wide[::2]) == expected


def test_rust_timing_entry_point() -> None:
    times = group.g1_msm_timings_ms(6, 3)
    assert len(times) == 3 and all(t >= 0 for t in times)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_fixed_bases_equal_the_plain_msm_on_every_prefix(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    rng = random.Random(13)
    n = 300
    bases = curve.derive_generators(b"fixed", n)
    table = curve.fixed_bases(bases)
    assert len(table) == n and table.table_bytes > 64 * n
    p = model.order
    edges = [0, 1, p - 1, 2, 2**64 - 1, 2**64, p - 2]
    values = [rng.choice([*edges, rng.randrange(p), rng.getrandbits(40)]) for _ in range(n)]
    for m in (0, 1, 2, 7, 31, 299, 300):
        dense = curve.msm(bases[:m], field_vector(values[:m]))
        assert table.msm(field_vector(values[:m])) == dense, m
        assert table.msm_compact(*compact_vector(values[:m], p)) == dense, m
    for full in ([rng.randrange(p) for _ in range(n)], [p - 1] * n, [7] * n):
        assert table.msm(field_vector(full)) == curve.msm(bases, field_vector(full))
    small = values[:6]
    points = ref.derive_generators(model, b"fixed", 6)
    assert affine(table.msm(field_vector(small))) == ref.msm(model, points, small)


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_fixed_bases_of_repeated_points_and_the_identity(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    g = curve.generator()
    bases = curve.vector([g, g, -g, curve.identity(), g * 3] * 4)
    table = curve.fixed_bases(bases)
    scalars = [5, 5, model.order - 1, 9, 2**70 + 1] * 4
    assert table.msm(field_vector(scalars)) == curve.msm(bases, field_vector(scalars))
    assert table.msm(field_vector([1, 1, 2] + [0] * 17)).is_identity()


@pytest.mark.parametrize(("curve", "model"), CURVES, ids=IDS)
def test_fixed_bases_reject_bad_inputs(
    curve: group.Curve[group.CurvePoint], model: ref.Curve
) -> None:
    table = curve.fixed_bases(curve.derive_generators(b"bad", 3))
    with pytest.raises(ShapeMismatchError):
        table.msm(field_vector([1, 2, 3, 4]))
    with pytest.raises(ShapeMismatchError):
        table.msm(np.zeros((3, 3), dtype=np.uint64))
    with pytest.raises(NonCanonicalEncodingError, match="scalar 1"):
        table.msm(field_vector([1, model.order]))
    with pytest.raises(ShapeMismatchError):
        table.msm_compact(np.ones(4, dtype=np.uint8), field_vector([]))
    with pytest.raises(EncodingError, match="tag 4"):
        table.msm_compact(np.array([1, 4], np.uint8), field_vector([]))
